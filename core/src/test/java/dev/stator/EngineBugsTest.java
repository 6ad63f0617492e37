package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for the engine bugs found by the review of the first engine (issue "Engine
 * v2", bugs 1-9, 14 and 16). Each failed on the first engine; the comment says how.
 */
class EngineBugsTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  /** A handler blocked until released, interruptible. */
  private static boolean block(CountDownLatch release) {
    try {
      return release.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      return false;
    }
  }

  // First engine: the factory's exception escaped into the process-wide watchdog thread, which
  // died; the machine was left wedged (later mutations QUEUED forever) and no machine was
  // watched any more.
  @Test
  void bug1_throwingThreadFactoryDuringTakeoverWedgesNothing() throws Exception {
    ThreadFactory throwing = r -> {
      throw new IllegalStateException("no threads today");
    };
    CountDownLatch never = new CountDownLatch(1);
    Schema<String> s = Schema.named("b1").state("Stuck").state("Other").build();
    Machine<String> m1 = Machine.of(s).threadFactory(throwing)
        .handlerTimeout(Duration.ofMillis(50))
        .onState("Stuck", e -> block(never)).build();
    Thread caller = Thread.ofVirtual().start(() -> m1.add("Stuck"));
    assertThat(m1.whenError().future().get(5, TimeUnit.SECONDS)).isNull();
    assertThat(m1.lastError()).isInstanceOf(HandlerTimeoutException.class);
    assertThat(m1.add("Other").await(WAIT)).isEqualTo(Status.EXECUTED);
    // Another machine is still watched.
    Machine<String> m2 = Machine.of(s).handlerTimeout(Duration.ofMillis(50))
        .onState("Stuck", e -> block(never)).build();
    Thread caller2 = Thread.ofVirtual().start(() -> m2.add("Stuck"));
    assertThat(m2.whenError().future().get(5, TimeUnit.SECONDS)).isNull();
    never.countDown();
    caller.join();
    caller2.join();
    m1.close();
    m2.close();
  }

  // First engine: close() lost its CAS to a drainer that was releasing, waited out its bound,
  // and the scopes never closed; a caller paused between its closed check and its CAS could run
  // a whole transition after close() returned; a mutation that ran could be reported refused.
  @Test
  void bug2_bug7_closeRacingADrainerClosesEveryScopeAndNothingRunsAfterIt() throws Exception {
    Schema<String> s = Schema.named("b2").state("Open").state("Other").build();
    List<String> violations = new ArrayList<>();
    for (int round = 0; round < 2000; round++) {
      AtomicInteger opened = new AtomicInteger();
      AtomicInteger closedRes = new AtomicInteger();
      AtomicBoolean closeReturned = new AtomicBoolean();
      AtomicBoolean otherRan = new AtomicBoolean();
      AtomicBoolean ranAfterClose = new AtomicBoolean();
      Machine<String> m = Machine.of(s)
          .onState("Open", e -> {
            if (closeReturned.get()) ranAfterClose.set(true);
            opened.incrementAndGet();
            e.scope().open(() -> closedRes::incrementAndGet);
          })
          .onState("Other", e -> {
            if (closeReturned.get()) ranAfterClose.set(true);
            otherRan.set(true);
          })
          .build();
      CyclicBarrier start = new CyclicBarrier(3);
      AtomicReference<Object> otherResult = new AtomicReference<>();
      Thread opener = Thread.ofPlatform().start(() -> {
        await(start);
        try {
          m.add("Open");
        } catch (MachineClosedException e) {
          // refused before it ran
        }
      });
      Thread other = Thread.ofPlatform().start(() -> {
        await(start);
        try {
          otherResult.set(m.add("Other"));
        } catch (MachineClosedException e) {
          otherResult.set(e);
        }
      });
      await(start);
      m.close();
      closeReturned.set(true);
      opener.join();
      other.join();
      if (opened.get() != closedRes.get()) {
        violations.add("round " + round + ": opened " + opened + ", closed " + closedRes);
      }
      if (ranAfterClose.get()) violations.add("round " + round + ": a handler ran after close");
      if (otherResult.get() instanceof MachineClosedException && otherRan.get()) {
        violations.add("round " + round + ": a mutation that ran was reported refused");
      }
      if (otherResult.get() instanceof Result r && r.queued()) {
        try {
          r.await(WAIT);
        } catch (MachineClosedException e) {
          if (otherRan.get()) violations.add("round " + round + ": ran, ticket failed");
        }
      }
    }
    assertThat(violations).isEmpty();
  }

  // First engine: a caller carrying an interrupt that drained a scope close made cancelAll
  // throw at once: resources were closed while tasks still ran and a false "tasks did not end"
  // error was recorded.
  @Test
  void bug3_anInterruptedDrainerStillAwaitsTasksBeforeClosingResources() throws Exception {
    Schema<String> s = Schema.named("b3").state("Work").build();
    AtomicBoolean taskEnded = new AtomicBoolean();
    AtomicBoolean endedBeforeClose = new AtomicBoolean();
    CountDownLatch forked = new CountDownLatch(1);
    Machine<String> m = Machine.of(s).onState("Work", e -> {
      e.scope().open(() -> () -> endedBeforeClose.set(taskEnded.get()));
      e.scope().fork("worker", () -> {
        forked.countDown();
        try {
          new CountDownLatch(1).await();
        } catch (InterruptedException ie) {
          Thread.onSpinWait(); // a little cleanup after the interrupt
          taskEnded.set(true);
        }
      });
    }).build();
    m.add("Work");
    forked.await();
    Thread.currentThread().interrupt();
    Result r = m.remove("Work");
    boolean stillInterrupted = Thread.interrupted();
    assertThat(stillInterrupted).as("the caller's interrupt is restored").isTrue();
    assertThat(r.status()).isEqualTo(Status.EXECUTED);
    assertThat(r.failures()).isEmpty();
    assertThat(endedBeforeClose).as("the resource closed after the task ended").isTrue();
    assertThat(m.hasError()).as("no false 'tasks did not end' error").isFalse();
    m.close();
  }

  // First engine: a scope task that removed its own state through the raw machine became the
  // drainer, interrupted itself, and closed resources while its sibling task still ran.
  @Test
  void bug3_aTaskEndingItsOwnStateDoesNotDrainOnItsThread() throws Exception {
    Schema<String> s = Schema.named("b3b").state("Work").build();
    AtomicBoolean siblingEnded = new AtomicBoolean();
    AtomicBoolean siblingEndedBeforeClose = new AtomicBoolean();
    AtomicReference<Result> fromTask = new AtomicReference<>();
    AtomicReference<Thread> closer = new AtomicReference<>();
    AtomicReference<Thread> taskThread = new AtomicReference<>();
    CountDownLatch siblingStarted = new CountDownLatch(1);
    AtomicReference<Machine<String>> self = new AtomicReference<>();
    CountDownLatch idle = new CountDownLatch(1);
    Machine<String> m = Machine.of(s).onState("Work", e -> {
      e.scope().open(() -> () -> {
        closer.set(Thread.currentThread());
        siblingEndedBeforeClose.set(siblingEnded.get());
      });
      e.scope().fork("sibling", () -> {
        siblingStarted.countDown();
        try {
          new CountDownLatch(1).await();
        } catch (InterruptedException ie) {
          siblingEnded.set(true);
        }
      });
      e.scope().fork("ender", () -> {
        siblingStarted.await();
        idle.await(); // the machine is idle: the first engine drained on this thread
        taskThread.set(Thread.currentThread());
        fromTask.set(self.get().remove("Work")); // the raw machine, not the scope's view
      });
    }).build();
    self.set(m);
    m.add("Work");
    idle.countDown();
    assertThat(m.whenNot("Work").future().get(5, TimeUnit.SECONDS)).isNull();
    m.close(); // waits for the transition that ended Work, and its scope close
    assertThat(fromTask.get().status()).isNotEqualTo(Status.CANCELED);
    assertThat(closer.get()).isNotNull().isNotSameAs(taskThread.get());
    assertThat(siblingEndedBeforeClose).isTrue();
  }

  // First engine: an interrupt a handler left behind reached the handlers of the next caller's
  // mutation drained by the same thread.
  @Test
  void bug3_anInterruptAHandlerLeavesDoesNotLeakIntoTheNextCallersHandlers() throws Exception {
    Schema<String> s = Schema.named("b3c").state("First").state("Second").build();
    CountDownLatch inFirst = new CountDownLatch(1);
    CountDownLatch secondQueued = new CountDownLatch(1);
    AtomicBoolean secondSawInterrupt = new AtomicBoolean(true);
    Machine<String> m = Machine.of(s).noHandlerTimeout()
        .onState("First", e -> {
          inFirst.countDown();
          block(secondQueued);
          Thread.currentThread().interrupt(); // left behind
        })
        .onState("Second", e -> secondSawInterrupt.set(Thread.currentThread().isInterrupted()))
        .build();
    Thread a = Thread.ofPlatform().start(() -> {
      m.add("First");
      Thread.interrupted();
    });
    inFirst.await();
    Result second = m.add("Second"); // queued: A drains it
    assertThat(second.queued()).isTrue();
    secondQueued.countDown();
    assertThat(second.await(WAIT)).isEqualTo(Status.EXECUTED);
    a.join();
    assertThat(secondSawInterrupt).isFalse();
    m.close();
  }

  // First engine: the confined owner enrolled with the watchdog only after waking from a park,
  // so a mutation queued before its first poll ran unwatched and a stuck handler wedged it.
  @Test
  void bug5_theConfinedOwnerIsWatchedFromItsFirstMutation() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    ThreadFactory late = r -> Thread.ofPlatform().daemon().unstarted(() -> {
      try {
        go.await();
      } catch (InterruptedException e) {
        return;
      }
      r.run();
    });
    Schema<String> s = Schema.named("b5").state("Stuck").build();
    Machine<String> m = Machine.of(s).confined().threadFactory(late)
        .handlerTimeout(Duration.ofMillis(50))
        .onState("Stuck", e -> block(never)).build();
    Result r = m.add("Stuck"); // queued before the owner's first poll
    go.countDown();
    assertThat(m.whenError().future().get(5, TimeUnit.SECONDS)).isNull();
    assertThat(m.lastError()).isInstanceOf(HandlerTimeoutException.class);
    assertThat(r.await(WAIT)).isEqualTo(Status.EXECUTED); // abandoned after commit
    never.countDown();
    m.close();
  }

  // First engine: callbacks on Result.future() ran on the draining thread; one that awaited the
  // same machine waited for itself.
  @Test
  void bug6_ticketCallbacksDoNotRunOnTheDrainingThread() throws Exception {
    Schema<String> s = Schema.named("b6").state("Busy").state("Y").state("Z").build();
    CountDownLatch inBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Machine<String> m = Machine.of(s).noHandlerTimeout()
        .onState("Busy", e -> {
          inBusy.countDown();
          block(release);
        }).build();
    Thread a = Thread.ofVirtual().start(() -> m.add("Busy"));
    inBusy.await();
    Result y = m.add("Y");
    assertThat(y.queued()).isTrue();
    AtomicReference<Object> inCallback = new AtomicReference<>();
    var done = y.future().thenRun(() -> {
      try {
        inCallback.set(m.add("Z").await(Duration.ofSeconds(2)));
      } catch (Exception e) {
        inCallback.set(e);
      }
    });
    release.countDown();
    done.get(10, TimeUnit.SECONDS);
    assertThat(inCallback.get()).isEqualTo(Status.EXECUTED);
    a.join();
    m.close();
  }

  // First engine: after the watchdog abandoned a handler and the thread unwound, it still
  // passed `me == drainer` until the takeover thread wrote `drainer`: its addError went into the
  // drainer-local priority queue as if made from a handler (with the abandoned transition as its
  // source), concurrently with the new drainer.
  @Test
  void bug8_anAbandonedThreadIsNeverTakenForTheDrainer() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch takeoverRequested = new CountDownLatch(1);
    ThreadFactory late = r -> {
      takeoverRequested.countDown();
      return Thread.ofVirtual().unstarted(() -> {
      try {
        go.await();
      } catch (InterruptedException e) {
        return;
      }
        r.run();
      });
    };
    ConcurrentLinkedQueue<String> sources = new ConcurrentLinkedQueue<>();
    Schema<String> s = Schema.named("b8").state("Stuck").build();
    CountDownLatch entered = new CountDownLatch(1);
    Machine<String> m = Machine.of(s).threadFactory(late)
        .handlerTimeout(Duration.ofMillis(50))
        .tracer(new Tracer() {
          @Override
          public void transitionStart(Event<?> e) {
            if (e.error() != null && "late".equals(e.error().getMessage())) {
              sources.add(String.valueOf(e.source()));
            }
          }
        })
        .onEnter("Stuck", e -> {
          entered.countDown();
          // Wait past the timeout without noticing the watchdog's interrupt.
          while (release.getCount() != 0) Thread.onSpinWait();
          return true;
        }).build();
    AtomicReference<Result> late2 = new AtomicReference<>();
    Thread caller = Thread.ofVirtual().start(() -> {
      m.add("Stuck"); // abandoned: returns once its handler does
      late2.set(m.addError(new IllegalStateException("late")));
    });
    entered.await();
    assertThat(takeoverRequested.await(5, TimeUnit.SECONDS)).isTrue();
    release.countDown();
    caller.join();
    go.countDown(); // only now does the takeover thread run
    assertThat(late2.get().await(WAIT)).isEqualTo(Status.EXECUTED);
    assertThat(sources).containsExactly("null");
    m.close();
  }

  // First engine: the auto mutation was resolved once and its whole result kept: an auto state
  // that never activated could still remove a state the caller had just set, and one whose
  // requirement was missing still pulled in its add targets.
  @Test
  void bug9_anAutoStateThatDoesNotActivateHasNoEffect() {
    Schema<String> s = Schema.named("b9")
        .state("Charlie", r -> r.auto().remove("Kilo"))
        .state("Kilo", r -> r.auto().remove("November"))
        .state("November")
        .build();
    try (Machine<String> m = Machine.of(s).build()) {
      m.set("November");
      assertThat(m.activeNames()).containsExactly("Charlie", "November");
    }
    Schema<String> s2 = Schema.named("b9b")
        .state("Missing")
        .state("Puller", r -> r.auto().require("Missing").add("Target"))
        .state("Target")
        .state("Other")
        .build();
    try (Machine<String> m = Machine.of(s2).build()) {
      m.add("Other");
      assertThat(m.activeNames()).containsExactly("Other");
    }
  }

  // First engine: a failing scope task ran the machine's error transition inline on its own
  // thread (closing its own scope included) before the task counted as ended.
  @Test
  void bug14_aFailingTasksErrorTransitionRunsOnAnotherThread() throws Exception {
    Schema<String> s = Schema.named("b14").state("Work").build();
    AtomicReference<Thread> taskThread = new AtomicReference<>();
    AtomicReference<Thread> errorThread = new AtomicReference<>();
    CountDownLatch errored = new CountDownLatch(1);
    CountDownLatch idle = new CountDownLatch(1);
    Machine<String> m = Machine.of(s)
        .onState("Work", e -> e.scope().fork("failing", () -> {
          idle.await(); // the machine is idle: the first engine ran the error transition here
          taskThread.set(Thread.currentThread());
          throw new IllegalStateException("task failed");
        }))
        .onState("Exception", e -> {
          errorThread.set(Thread.currentThread());
          errored.countDown();
        })
        .build();
    m.add("Work");
    idle.countDown();
    assertThat(errored.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(errorThread.get()).isNotSameAs(taskThread.get());
    m.close();
  }

  // First engine: context carriers captured the draining thread's context, so a task forked
  // for one caller's queued mutation saw the bindings of whichever caller was draining.
  @Test
  void bug16_tasksSeeTheContextOfTheCallerWhoseMutationForkedThem() throws Exception {
    ScopedValue<String> request = ScopedValue.newInstance();
    Schema<String> s = Schema.named("b16").state("Busy").state("Work").build();
    CountDownLatch inBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<String> seen = new AtomicReference<>();
    CountDownLatch taskRan = new CountDownLatch(1);
    Machine<String> m = Machine.of(s).noHandlerTimeout()
        .context(dev.stator.supervision.Supervisor.carrying(request))
        .onState("Busy", e -> {
          inBusy.countDown();
          block(release);
        })
        .onState("Work", e -> e.scope().fork("reader", () -> {
          seen.set(request.isBound() ? request.get() : "unbound");
          taskRan.countDown();
        }))
        .build();
    Thread a = Thread.ofVirtual().start(() -> ScopedValue.where(request, "a")
        .run(() -> m.add("Busy")));
    inBusy.await();
    Result work = ScopedValue.where(request, "b").call(() -> m.add("Work"));
    assertThat(work.queued()).isTrue(); // A drains it
    release.countDown();
    assertThat(taskRan.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(seen.get()).isEqualTo("b");
    a.join();
    m.close();
  }

  // Found by the examples (a LIBRARY GAP mark there): a stale task whose open() was refused
  // because its scope had ended counted as a task failure (logged, recorded as Exception)
  // instead of a cancellation.
  @Test
  void gap_aStaleTaskRefusedByItsEndedScopeIsCancelledNotFailed() throws Exception {
    Schema<String> s = Schema.named("gap").state("Work").build();
    AtomicReference<dev.stator.supervision.Task<?>> task = new AtomicReference<>();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    CountDownLatch tryOpen = new CountDownLatch(1);
    AtomicReference<Throwable> refused = new AtomicReference<>();
    Machine<String> m = Machine.of(s).scopeCloseTimeout(Duration.ofMillis(200))
        .onState("Work", e -> {
          StateScope<String> scope = e.scope();
          task.set(scope.fork("stale", () -> {
            started.countDown();
            try {
              new CountDownLatch(1).await();
            } catch (InterruptedException ie) {
              interrupted.countDown();
            }
            while (tryOpen.getCount() != 0) { // outlives the close bound, ignoring interrupts
              try {
                tryOpen.await();
              } catch (InterruptedException again) {
                // stubborn on purpose
              }
            }
            try {
              scope.open(() -> () -> { });
            } catch (ScopeEndedException ex) {
              refused.set(ex);
              throw ex;
            }
          }));
        }).build();
    m.add("Work");
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue(); // a task cancelled unstarted never runs
    m.remove("Work");
    assertThat(interrupted.await(5, TimeUnit.SECONDS)).isTrue();
    tryOpen.countDown();
    task.get().future().handle((v, t) -> null).get(5, TimeUnit.SECONDS);
    assertThat(refused.get()).hasMessageContaining("has ended");
    assertThat(task.get().status()).isEqualTo(dev.stator.supervision.Task.Status.CANCELLED);
    assertThat(m.lastError()).as("recorded error").satisfiesAnyOf(
        e -> assertThat(e).isNull(),
        e -> assertThat(e).hasMessageContaining("did not end")); // the close bound's report
    m.close();
  }

  private static void await(CyclicBarrier b) {
    try {
      b.await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
