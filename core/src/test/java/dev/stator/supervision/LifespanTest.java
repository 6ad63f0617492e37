package dev.stator.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/supervision.md, lifespan: one test per guarantee. */
@Timeout(10)
class LifespanTest {
  final List<String> events = new ArrayList<>();
  final ThreadCounter threads = new ThreadCounter("life");

  @AfterEach
  void noThreadLeftBehind() throws InterruptedException {
    Thread.interrupted();
    threads.assertNoLeaks();
  }

  /** A resource whose setup and teardown are recorded in {@link #events}. */
  final class Res implements AutoCloseable {
    final String name;

    Res(String name) {
      this.name = name;
      record("open " + name);
    }

    @Override
    public void close() throws Exception {
      // Teardown runs with a clear interrupt status, so it can still block (this would throw).
      new CountDownLatch(0).await();
      record("close " + name);
    }
  }

  void record(String event) {
    synchronized (events) {
      events.add(event);
    }
  }

  @Test
  void lifespan_setupInOrder_teardownInReverse() throws Exception {
    String result = Lifespan.call("server", life -> {
      Res a = life.enter("a", () -> new Res("a"));
      Res b = life.enter("b", () -> new Res("b"), r -> record("drop " + r.name));
      life.defer("c", () -> record("flush c"));
      assertThat(life.steps()).containsExactly("a", "b", "c");
      record("body");
      return a.name + b.name;
    });
    assertThat(result).isEqualTo("ab");
    assertThat(events).containsExactly("open a", "open b", "body", "flush c", "drop b", "close a");
  }

  @Test
  void lifespan_stepKFails_stepsBeforeItTornDownInReverse_laterStepsNeverStart() {
    IOException refused = new IOException("connection refused");
    assertThatThrownBy(() -> Lifespan.call("server", life -> {
      life.enter("1", () -> new Res("1"));
      life.enter("2", () -> new Res("2"));
      life.enter("3", () -> {
        record("setup 3 fails");
        throw refused;
      });
      life.enter("4", () -> new Res("4"));
      record("body");
      return null;
    })).isSameAs(refused);
    assertThat(events).containsExactly("open 1", "open 2", "setup 3 fails", "close 2", "close 1");
  }

  @Test
  void lifespan_bodyFails_teardownStillRunsInReverse() {
    IllegalStateException bug = new IllegalStateException("bug");
    assertThatThrownBy(() -> Lifespan.call("server", life -> {
      life.enter("a", () -> new Res("a"));
      life.enter("b", () -> new Res("b"));
      throw bug;
    })).isSameAs(bug).satisfies(e -> assertThat(e.getSuppressed()).isEmpty());
    assertThat(events).containsExactly("open a", "open b", "close b", "close a");
  }

  @Test
  void lifespan_bodyInterrupted_teardownInReverse_thenInterruptionPropagates() {
    assertThatThrownBy(() -> Lifespan.call("server", life -> {
      life.enter("a", () -> new Res("a"));
      life.enter("b", () -> new Res("b"));
      Thread.currentThread().interrupt();
      new CountDownLatch(1).await(); // throws InterruptedException
      return null;
    })).isInstanceOf(InterruptedException.class);
    assertThat(events).containsExactly("open a", "open b", "close b", "close a");
    assertThat(Thread.currentThread().isInterrupted()).isFalse(); // carried by the exception
  }

  @Test
  void lifespan_bodyLeavesInterruptStatusSet_teardownRunsClear_thenStatusRestored() throws Exception {
    String result = Lifespan.call("server", life -> {
      life.enter("a", () -> new Res("a"));
      Thread.currentThread().interrupt();
      return "done";
    });
    assertThat(result).isEqualTo("done");
    assertThat(events).containsExactly("open a", "close a");
    assertThat(Thread.interrupted()).isTrue();
  }

  @Test
  void lifespan_failingTeardown_doesNotStopTheOthers() {
    IOException flushFailed = new IOException("flush failed");
    assertThatThrownBy(() -> Lifespan.call("server", life -> {
      life.enter("a", () -> new Res("a"));
      life.defer("b", () -> {
        throw flushFailed;
      });
      life.enter("c", () -> new Res("c"));
      return null;
    })).isSameAs(flushFailed);
    assertThat(events).containsExactly("open a", "open c", "close c", "close a");
  }

  @Test
  void lifespan_allErrorsSurfaced_firstPrimary_othersSuppressedInTeardownOrder() {
    IllegalStateException bodyError = new IllegalStateException("body");
    IOException e1 = new IOException("teardown 1");
    IOException e3 = new IOException("teardown 3");
    assertThatThrownBy(() -> Lifespan.call("server", life -> {
      life.defer("1", () -> {
        throw e1;
      });
      life.defer("2", () -> record("teardown 2"));
      life.defer("3", () -> {
        throw e3;
      });
      throw bodyError;
    })).isSameAs(bodyError).satisfies(e -> assertThat(e.getSuppressed()).containsExactly(e3, e1));

    // Without a body error, the first teardown error (in teardown order) is primary.
    IOException f1 = new IOException("f1");
    IOException f2 = new IOException("f2");
    assertThatThrownBy(() -> Lifespan.call("server", life -> {
      life.defer("1", () -> {
        throw f1;
      });
      life.defer("2", () -> {
        throw f2;
      });
      return null;
    })).isSameAs(f2).satisfies(e -> assertThat(e.getSuppressed()).containsExactly(f1));
    assertThat(events).containsExactly("teardown 2");
  }

  @Test
  void lifespan_nested_interruptionPropagatesThroughEveryLevelAfterTeardown() {
    assertThatThrownBy(() -> Lifespan.call("outer", outer -> {
      outer.enter("o", () -> new Res("o"));
      return Lifespan.call("inner", inner -> {
        inner.enter("i", () -> new Res("i"));
        throw new InterruptedException("cancelled");
      });
    })).isInstanceOf(InterruptedException.class).hasMessage("cancelled");
    assertThat(events).containsExactly("open o", "open i", "close i", "close o");
  }

  @Test
  void lifespan_insideCancelledTask_teardownRuns_andTaskEndsCancelled() throws Exception {
    RecordingLogger log = new RecordingLogger();
    try (Supervisor s = Supervisor.builder("scoped").threadFactory(threads).logger(log).build()) {
      CountDownLatch ready = new CountDownLatch(1);
      Task<?> task = s.run("serve", () -> Lifespan.call("request", life -> {
        life.enter("conn", () -> new Res("conn"));
        ready.countDown();
        new CountDownLatch(1).await();
        return null;
      }));
      ready.await();
      assertThat(task.cancelAndWait(Duration.ofSeconds(5))).isTrue();
      assertThat(task.status()).isEqualTo(Task.Status.CANCELLED);
      assertThat(events).containsExactly("open conn", "close conn");
      assertThat(log.entries()).isEmpty();
    }
  }

  @Test
  void bug21_closeFromAnotherThreadWaitsForTheStepBeingSetUp_thenTearsDownInReverse() throws Exception {
    Lifespan life = Lifespan.open("shared");
    life.enter("a", () -> new Res("a"));
    CountDownLatch inSetup = new CountDownLatch(1);
    AtomicReference<Thread> closer = new AtomicReference<>();
    CountDownLatch closerSet = new CountDownLatch(1);
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread starter = threads.start(() -> {
      try {
        life.enter("b", () -> {
          inSetup.countDown();
          closerSet.await();
          // Finish setting up only once the closer is inside close() (waiting) or done with it.
          Spin.until("the closer waits or has returned", () -> {
            Thread c = closer.get();
            return Spin.waiting(c) || c.getState() == Thread.State.TERMINATED;
          });
          return new Res("b");
        });
      } catch (Throwable t) {
        outcome.set(t);
      }
    });
    inSetup.await();
    closer.set(threads.start(() -> {
      try {
        life.close();
        record("close returned");
      } catch (Exception e) {
        record("close threw " + e);
      }
    }));
    closerSet.countDown();
    closer.get().join();
    starter.join();

    // Step b is torn down before step a, and close() returns only after both.
    assertThat(events).containsExactly("open a", "open b", "close b", "close a", "close returned");
    assertThat(outcome.get()).isInstanceOf(IllegalStateException.class)
        .hasMessage("lifespan 'shared' was closed while step 'b' was starting; it has been torn down");
  }

  @Test
  void lifespan_closerInterruptedWhileWaitingForASetup_stopsWaiting_tearsDownTheRest_keepsTheInterrupt()
      throws Exception {
    Lifespan life = Lifespan.open("shared");
    life.enter("a", () -> new Res("a"));
    CountDownLatch inSetup = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    Thread starter = threads.start(() -> {
      try {
        life.enter("b", () -> {
          inSetup.countDown();
          proceed.await();
          return new Res("b");
        });
      } catch (Exception e) {
        record("enter threw " + e.getMessage());
      }
    });
    inSetup.await();
    AtomicReference<Boolean> interruptedAfterClose = new AtomicReference<>();
    Thread closer = threads.start(() -> {
      try {
        life.close();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      interruptedAfterClose.set(Thread.currentThread().isInterrupted());
    });
    Spin.until("close() waits for the setup of b", () -> Spin.waiting(closer));
    closer.interrupt();
    closer.join();
    assertThat(interruptedAfterClose.get()).isTrue(); // re-asserted after the teardown
    assertThat(events).containsExactly("open a", "close a");

    proceed.countDown(); // b's own thread tears b down when its setup returns
    starter.join();
    assertThat(events).containsExactly("open a", "close a", "open b", "close b",
        "enter threw lifespan 'shared' was closed while step 'b' was starting; it has been torn down");
  }

  @Test
  void lifespan_closedWhileAStepIsStarting_thatStepIsTornDownAndRefused() throws Exception {
    Lifespan life = Lifespan.open("shared");
    life.enter("a", () -> new Res("a"));
    CountDownLatch inSetup = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread starter = threads.start(() -> {
      try {
        life.enter("b", () -> {
          inSetup.countDown();
          proceed.await();
          return new Res("b");
        });
      } catch (Throwable t) {
        outcome.set(t);
      }
    });
    inSetup.await();
    Thread closer = threads.start(() -> {
      try {
        life.close(); // waits for "b" to be set up (and torn down by its thread), then tears down "a"
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    Spin.until("close() waits for the setup of b", () -> Spin.waiting(closer));
    proceed.countDown();
    starter.join();
    closer.join();

    assertThat(outcome.get()).isInstanceOf(IllegalStateException.class)
        .hasMessage("lifespan 'shared' was closed while step 'b' was starting; it has been torn down");
    assertThat(events).containsExactly("open a", "open b", "close b", "close a");
    assertThatThrownBy(() -> life.enter("c", () -> new Res("c"))).isInstanceOf(IllegalStateException.class)
        .hasMessage("lifespan 'shared' is closed; step 'c' not started");
    assertThat(events).doesNotContain("open c");
    life.close(); // idempotent
  }
}
