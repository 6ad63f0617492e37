package dev.stator.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/supervision.md, supervised task: one test per guarantee, plus the supervisor's own contract. */
@Timeout(10)
class SupervisedTaskTest {
  final RecordingLogger log = new RecordingLogger();
  final ThreadCounter threads = new ThreadCounter("sup");
  final List<Supervisor> supervisors = new ArrayList<>();

  Supervisor supervisor(String name) {
    return supervisor(Supervisor.builder(name));
  }

  Supervisor supervisor(Supervisor.Builder b) {
    Supervisor s = b.threadFactory(threads).logger(log).closeTimeout(Duration.ofSeconds(5)).build();
    supervisors.add(s);
    return s;
  }

  @AfterEach
  void noThreadLeftBehind() throws InterruptedException {
    for (Supervisor s : supervisors) {
      s.close();
      assertThat(s.running()).isZero();
    }
    threads.assertNoLeaks();
  }

  /** Ends every task of {@code s} without joining any, so nobody receives a failure. */
  static void awaitAllEnded(Supervisor s) throws InterruptedException {
    s.shutdown();
    assertThat(s.awaitTermination(Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void supervisedTask_strongReferenceUntilDone_releasedWhenItEnds() throws Exception {
    Supervisor s = supervisor("refs");
    CountDownLatch release = new CountDownLatch(1);
    s.fireAndForget("held", release::await); // nobody but the supervisor holds it

    assertThat(s.running()).isEqualTo(1);
    assertThat(s.tasks()).extracting(Task::name).containsExactly("held");
    Task<?> held = s.tasks().get(0);
    assertThat(held.status()).isEqualTo(Task.Status.RUNNING);

    release.countDown();
    held.join();
    assertThat(s.running()).isZero(); // released before join returns
    assertThat(s.tasks()).isEmpty();
    assertThat(held.status()).isEqualTo(Task.Status.SUCCEEDED);
  }

  @Test
  void supervisedTask_failureLoggedOnceWithItsName() throws Exception {
    Supervisor s = supervisor("workers");
    IOException boom = new IOException("boom");
    Task<?> task = s.run("uploader", () -> {
      throw boom;
    });
    awaitAllEnded(s);

    assertThat(task.status()).isEqualTo(Task.Status.FAILED);
    assertThat(task.failure()).isSameAs(boom);
    assertThat(log.entries()).singleElement().satisfies(e -> {
      assertThat(e.level()).isEqualTo(Level.ERROR);
      assertThat(e.message()).isEqualTo("Task 'uploader' of supervisor 'workers' failed");
      assertThat(e.thrown()).isSameAs(boom);
    });
  }

  @Test
  void supervisedTask_cancellationNeverLoggedAsFailure() throws Exception {
    List<Task<?>> handled = new ArrayList<>();
    Supervisor s = supervisor(Supervisor.builder("cancel").onFailure((t, f) -> handled.add(t)));
    CountDownLatch never = new CountDownLatch(1);
    Task<?> throwsInterrupted = s.run("throws", never::await); // InterruptedException escapes
    Task<?> returns = s.run("returns", () -> {
      try {
        never.await();
      } catch (InterruptedException e) {
        // ends normally after the interrupt
      }
    });
    Task<?> wrapped = s.run("wraps", () -> {
      try {
        never.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException("interrupted while waiting", e);
      }
    });

    assertThat(s.cancelAll(Duration.ofSeconds(5))).isTrue();

    assertThat(List.of(throwsInterrupted, returns, wrapped))
        .allSatisfy(t -> assertThat(t.status()).isEqualTo(Task.Status.CANCELLED));
    assertThatThrownBy(throwsInterrupted::join).isInstanceOf(CancellationException.class)
        .hasMessage("task 'throws' of supervisor 'cancel' was cancelled");
    assertThat(returns.future().isCancelled()).isTrue();
    assertThat(handled).isEmpty();
    assertThat(log.entries()).isEmpty();
  }

  /** A resource whose {@code close()} fails, for try-with-resources in a cancelled body. */
  record FailingClose(IOException failure) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      throw failure;
    }
  }

  @Test
  void bug11_closeFailureInsideWrappedInterruptIsAFailure() throws Exception {
    Supervisor s = supervisor("wrapping");
    IOException closeFailed = new IOException("close failed");
    CountDownLatch entered = new CountDownLatch(1);
    Task<?> task = s.run("wraps", () -> {
      try {
        try (FailingClose r = new FailingClose(closeFailed)) {
          entered.countDown();
          new CountDownLatch(1).await();
        } // the close failure is suppressed in the InterruptedException
      } catch (InterruptedException e) {
        throw new IllegalStateException("interrupted while waiting", e);
      }
    });
    entered.await();
    assertThat(s.cancelAll(Duration.ofSeconds(5))).isTrue();

    assertThat(task.status()).isEqualTo(Task.Status.FAILED);
    assertThat(task.failure()).isInstanceOf(IllegalStateException.class)
        .cause().isInstanceOf(InterruptedException.class)
        .satisfies(ie -> assertThat(ie.getSuppressed()).containsExactly(closeFailed));
    assertThat(log.at(Level.ERROR)).singleElement().satisfies(e -> {
      assertThat(e.message()).isEqualTo("Task 'wraps' of supervisor 'wrapping' failed");
      assertThat(e.thrown()).isSameAs(task.failure());
    });
  }

  @Test
  void cancellation_cyclesInCausesAndSuppressedListsAreClassifiedWithoutLooping() {
    // A cause cycle (initCause allows it between two throwables) and a suppressed cycle.
    IllegalStateException a = new IllegalStateException("a");
    InterruptedException b = new InterruptedException("b");
    a.initCause(b);
    b.initCause(a);
    assertThat(Cancellation.isCancellation(a, false)).isTrue();

    InterruptedException c = new InterruptedException("c");
    java.util.concurrent.CancellationException d = new java.util.concurrent.CancellationException("d");
    c.addSuppressed(d);
    d.addSuppressed(c);
    assertThat(Cancellation.isCancellation(c, false)).isTrue();

    IOException deep = new IOException("deep");
    d.initCause(new IllegalStateException("wrapper", new InterruptedException("e")));
    d.getCause().getCause().addSuppressed(deep); // a failure suppressed deep in a suppressed one's chain
    assertThat(Cancellation.isCancellation(c, false)).isFalse();
  }

  @Test
  void bug20_futureCallbacksRunAfterTheTaskCountsAsEnded_soTheyCanJoinIt() throws Exception {
    Supervisor s = supervisor("dependents");
    CountDownLatch go = new CountDownLatch(1);
    Task<Integer> task = s.fork("answer", () -> {
      go.await();
      return 42;
    });
    // Registered before the task ends, so the callback runs on the task's own thread.
    CompletableFuture<String> seen = task.future().thenApply(v -> {
      try {
        // Another thread's join must return too (it waits for the same end).
        CompletableFuture<Integer> foreign = new CompletableFuture<>();
        threads.start(() -> {
          try {
            foreign.complete(task.join(Duration.ofSeconds(5)));
          } catch (Throwable t) {
            foreign.completeExceptionally(t);
          }
        });
        return "value=" + v + " status=" + task.status() + " listed=" + s.tasks().contains(task)
            + " join=" + task.join() + " foreignJoin=" + foreign.get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    go.countDown();

    assertThat(seen.get(5, TimeUnit.SECONDS))
        .isEqualTo("value=42 status=SUCCEEDED listed=false join=42 foreignJoin=42");
  }

  @Test
  void taskStatus_finalBeforeTheReport_taskCountsAsEndedOnlyAfterIt() throws Exception {
    AtomicReference<String> inHandler = new AtomicReference<>();
    AtomicReference<Supervisor> self = new AtomicReference<>();
    Supervisor s = supervisor(Supervisor.builder("javadoc").onFailure((task, failure) -> {
      inHandler.set("status=" + task.status() + " isDone=" + task.isDone()
          + " listed=" + self.get().tasks().contains(task)
          + " futureDone=" + task.future().isDone());
    }));
    self.set(s);
    Task<?> task = s.run("fails", () -> {
      throw new IOException("boom");
    });
    awaitAllEnded(s);
    assertThat(inHandler.get()).isEqualTo("status=FAILED isDone=true listed=true futureDone=false");
    assertThatThrownBy(task::join).isInstanceOf(TaskFailedException.class);
    assertThat(task.future().isDone()).isTrue(); // complete once join returned
    assertThat(s.tasks()).isEmpty();
  }

  @Test
  void supervisedTask_customFailureHandlerReplacesTheLog() throws Exception {
    List<String> calls = new ArrayList<>();
    AtomicReference<Thread> handlerThread = new AtomicReference<>();
    Supervisor s = supervisor(Supervisor.builder("handled").onFailure((task, failure) -> {
      synchronized (calls) {
        calls.add(task.name() + ": " + failure.getMessage());
      }
      handlerThread.set(Thread.currentThread());
    }));
    AtomicReference<Thread> taskThread = new AtomicReference<>();
    s.fireAndForget("parser", () -> {
      taskThread.set(Thread.currentThread());
      throw new IllegalArgumentException("bad input");
    });
    awaitAllEnded(s);

    assertThat(calls).containsExactly("parser: bad input");
    assertThat(handlerThread.get()).isSameAs(taskThread.get()); // on the task's own thread
    assertThat(log.entries()).isEmpty();
  }

  @Test
  void supervisedTask_throwingFailureHandlerIsGuarded_loggedAndNothingBreaks() throws Exception {
    RuntimeException handlerBug = new RuntimeException("handler bug");
    Supervisor s = supervisor(Supervisor.builder("guarded").onFailure((t, f) -> {
      throw handlerBug;
    }));
    IOException boom = new IOException("boom");
    Task<?> task = s.run("fails", () -> {
      throw boom;
    });
    Task<?> other = s.run("fine", () -> { });
    other.join();
    CountDownLatch ended = new CountDownLatch(1);
    task.future().whenComplete((v, e) -> ended.countDown());
    ended.await();

    assertThat(task.status()).isEqualTo(Task.Status.FAILED);
    assertThat(log.at(Level.ERROR)).extracting(RecordingLogger.Entry::message, RecordingLogger.Entry::thrown)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "The failure handler of supervisor 'guarded' threw while handling the failure of task 'fails'", handlerBug),
            org.assertj.core.groups.Tuple.tuple("Task 'fails' of supervisor 'guarded' failed", boom));
    // The supervisor still works.
    assertThat(s.fork("after", () -> 42).join()).isEqualTo(42);
  }

  @Test
  void supervisedTask_joinedBeforeItFails_notLogged_joinerReceivesFailure() throws Exception {
    Supervisor s = supervisor("order1");
    CountDownLatch go = new CountDownLatch(1);
    IOException boom = new IOException("boom");
    Task<?> task = s.run("late-failure", () -> {
      go.await();
      throw boom;
    });
    // Release the task only once this thread is registered as waiting in join.
    threads.start(() -> {
      Spin.until("the test thread waits in join", () -> ((TaskImpl<?>) task).waiters() == 1);
      go.countDown();
    });

    assertThatThrownBy(task::join).isInstanceOf(TaskFailedException.class)
        .hasMessage("task 'late-failure' of supervisor 'order1' failed: java.io.IOException: boom")
        .hasCause(boom);
    awaitAllEnded(s);
    assertThat(log.entries()).isEmpty();
    assertThat(((TaskImpl<?>) task).failureUndecided()).isFalse();
  }

  @Test
  void supervisedTask_failsBeforeAnyJoin_loggedOnce_laterJoinsThrowWithoutLogging() throws Exception {
    Supervisor s = supervisor("order2");
    IOException boom = new IOException("boom");
    Task<?> task = s.run("early-failure", () -> {
      throw boom;
    });
    awaitAllEnded(s); // ended and reported before anyone joins

    assertThat(log.entries()).hasSize(1);
    assertThatThrownBy(task::join).isInstanceOf(TaskFailedException.class).hasCause(boom);
    assertThatThrownBy(() -> task.join(Duration.ofSeconds(1))).isInstanceOf(TaskFailedException.class);
    assertThatThrownBy(() -> task.future().get()).isInstanceOf(ExecutionException.class).hasCause(boom);
    assertThat(log.entries()).hasSize(1);
  }

  @Test
  void supervisedTask_joinThatGaveUp_doesNotSwallowTheFailure() throws Exception {
    Supervisor s = supervisor("gaveup");
    CountDownLatch go = new CountDownLatch(1);
    Task<?> task = s.run("slow", () -> {
      go.await();
      throw new IOException("late");
    });
    assertThatThrownBy(() -> task.join(Duration.ofMillis(1))).isInstanceOf(TimeoutException.class)
        .hasMessageContaining("task 'slow' of supervisor 'gaveup' still running after");
    assertThat(((TaskImpl<?>) task).waiters()).isZero();

    go.countDown();
    awaitAllEnded(s);
    assertThat(log.at(Level.ERROR)).singleElement()
        .extracting(RecordingLogger.Entry::message).isEqualTo("Task 'slow' of supervisor 'gaveup' failed");
  }

  @Test
  void fireAndForget_failureAlwaysLoggedOnce() throws Exception {
    Supervisor s = supervisor("fnf");
    s.fireAndForget("notify", () -> {
      throw new IOException("unreachable");
    });
    awaitAllEnded(s);
    assertThat(log.at(Level.ERROR)).singleElement()
        .extracting(RecordingLogger.Entry::message).isEqualTo("Task 'notify' of supervisor 'fnf' failed");
    assertThat(s.running()).isZero();
  }

  @Test
  void close_refusesNewTasksWithAMessageNamingSupervisorAndTask() {
    Supervisor s = supervisor("closing");
    s.close();
    assertThat(s.isShutdown()).isTrue();
    assertThatThrownBy(() -> s.fork("late", () -> 1)).isInstanceOf(IllegalStateException.class)
        .hasMessage("supervisor 'closing' is shut down; cannot start task 'late'");
    assertThatThrownBy(() -> s.fireAndForget("later", () -> { })).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'closing'").hasMessageContaining("'later'");
    assertThat(threads.created.get()).isZero(); // nothing was started
  }

  @Test
  void close_cancelsRunningTasksAndWaits() throws Exception {
    Supervisor s = supervisor("closer");
    CountDownLatch never = new CountDownLatch(1);
    Task<?> a = s.run("a", never::await);
    Task<?> b = s.run("b", never::await);
    s.close();
    assertThat(List.of(a, b)).allSatisfy(t -> assertThat(t.status()).isEqualTo(Task.Status.CANCELLED));
    assertThat(s.awaitTermination(Duration.ZERO)).isTrue();
    assertThat(log.entries()).isEmpty();
  }

  @Test
  void cancelAll_taskIgnoringInterruption_isLoggedByName_andReportedInTheResult() throws Exception {
    Supervisor s = supervisor("stuck");
    Stubborn stubborn = new Stubborn();
    Task<?> task = s.run("deaf", stubborn::run);
    stubborn.entered.await();

    // (Only the stubborn task here: how fast a polite one unwinds is not this test's business.)
    assertThat(s.cancelAll(Duration.ofMillis(20))).isFalse();
    assertThat(log.at(Level.WARNING)).singleElement().extracting(RecordingLogger.Entry::message)
        .isEqualTo("Task 'deaf' of supervisor 'stuck' ignored cancellation: still running after PT0.02S");
    assertThat(s.tasks()).containsExactly(task); // still supervised, visible
    assertThat(task.status()).isEqualTo(Task.Status.RUNNING);

    stubborn.release.countDown();
    awaitAllEnded(s);
    assertThat(task.status()).isEqualTo(Task.Status.CANCELLED);
    assertThat(log.at(Level.ERROR)).isEmpty();
  }

  @Test
  void failureHandler_closingItsOwnSupervisor_cancelsTheOthers_withoutDeadlock() throws Exception {
    AtomicReference<Supervisor> self = new AtomicReference<>();
    List<String> handled = new ArrayList<>();
    Supervisor s = supervisor(Supervisor.builder("scope").onFailure((task, failure) -> {
      handled.add(task.name());
      self.get().close(); // what a state scope does when one of its tasks fails
    }));
    self.set(s);
    CountDownLatch never = new CountDownLatch(1);
    CountDownLatch go = new CountDownLatch(1);
    Task<?> sibling = s.run("sibling", never::await);
    Task<?> failing = s.run("failing", () -> {
      go.await();
      throw new IOException("boom");
    });
    go.countDown();

    assertThatThrownBy(sibling::join).isInstanceOf(CancellationException.class);
    assertThat(s.awaitTermination(Duration.ofSeconds(5))).isTrue();
    assertThat(failing.status()).isEqualTo(Task.Status.FAILED);
    assertThat(handled).containsExactly("failing");
    assertThat(log.entries()).isEmpty();
  }

  @Test
  void cancelAll_fromOneOfItsOwnTasks_cancelsTheOthers_andMarksTheCallerCancelled() throws Exception {
    Supervisor s = supervisor("self-cancel");
    CountDownLatch never = new CountDownLatch(1);
    Task<?> other = s.run("other", never::await);
    AtomicReference<Boolean> returned = new AtomicReference<>();
    Task<?> caller = s.run("caller", () -> {
      returned.set(s.cancelAll(Duration.ofSeconds(5)));
      never.await(); // its own interrupt status is set last: this throws at once
    });

    assertThatThrownBy(caller::join).isInstanceOf(CancellationException.class);
    assertThat(returned.get()).isFalse(); // the caller itself had not ended
    assertThat(other.status()).isEqualTo(Task.Status.CANCELLED);
    assertThat(log.entries()).isEmpty();
  }

  static final ScopedValue<String> REQUEST_ID = ScopedValue.newInstance();

  @Test
  void wrap_carrierAppliedOnForkingThread_taskSeesScopedValueBoundWhereItWasForked() throws Exception {
    AtomicReference<Thread> carrierThread = new AtomicReference<>();
    Supervisor carried = supervisor(Supervisor.builder("carried")
        .wrap(body -> {
          carrierThread.set(Thread.currentThread());
          return body;
        })
        .wrap(Supervisor.carrying(REQUEST_ID)));
    Supervisor plain = supervisor("plain");
    AtomicReference<Task<String>> withCarrier = new AtomicReference<>();
    AtomicReference<Task<String>> without = new AtomicReference<>();

    ScopedValue.where(REQUEST_ID, "req-17").run(() -> {
      withCarrier.set(carried.fork("read", () -> REQUEST_ID.isBound() ? REQUEST_ID.get() : "unbound"));
      without.set(plain.fork("read", () -> REQUEST_ID.isBound() ? REQUEST_ID.get() : "unbound"));
    });

    assertThat(withCarrier.get().join()).isEqualTo("req-17");
    assertThat(without.get().join()).isEqualTo("unbound"); // threads do not inherit bindings
    assertThat(carrierThread.get()).isSameAs(Thread.currentThread());
    // Forked where the key is unbound: the carrier leaves the body as it is.
    assertThat(carried.fork("unbound", () -> REQUEST_ID.isBound()).join()).isFalse();
  }

  @Test
  void wrap_carrierThatNeverRunsTheBody_failsTheTask() throws Exception {
    Supervisor s = supervisor(Supervisor.builder("lossy").wrap(body -> () -> { }));
    Task<Integer> task = s.fork("dropped", () -> 1);
    assertThatThrownBy(task::join).isInstanceOf(TaskFailedException.class)
        .cause().isInstanceOf(IllegalStateException.class)
        .hasMessage("a carrier of supervisor 'lossy' did not run the body of task 'dropped'");
  }

  @Test
  void defaultThreadFactory_virtualThreadsNamedSupervisorDashTask() throws Exception {
    Supervisor s = Supervisor.builder("pool").logger(log).build();
    try {
      Task<String> name = s.fork("worker", () -> Thread.currentThread().getName());
      Task<Boolean> virtual = s.fork("kind", () -> Thread.currentThread().isVirtual());
      assertThat(name.join()).isEqualTo("pool-worker");
      assertThat(virtual.join()).isTrue();
    } finally {
      s.close();
    }
  }

  @Test
  void join_fromTheTasksOwnThread_isRefused() throws Exception {
    Supervisor s = supervisor("self");
    AtomicReference<Task<?>> self = new AtomicReference<>();
    CountDownLatch published = new CountDownLatch(1);
    Task<String> task = s.fork("selfish", () -> {
      published.await();
      try {
        self.get().join();
        return "joined";
      } catch (IllegalStateException e) {
        return e.getMessage();
      }
    });
    self.set(task);
    published.countDown();
    assertThat(task.join()).isEqualTo("task 'selfish' of supervisor 'self' cannot join itself");
  }

  @Test
  void builder_rejectsBadConfigurationWithTheBadValue() {
    assertThatThrownBy(() -> Supervisor.builder(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("supervisor name must not be blank: ' '");
    assertThatThrownBy(() -> Supervisor.builder("x").closeTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("close timeout must not be negative: PT-1S");
  }
}
