package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Golden tests for docs/spec.md §12 (threads and interrupts: T1-T4). */
class SpecInterruptTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  enum S { A, B, C, Exception }

  static final Schema<S> SCHEMA = Schema.of(S.class).build();

  private static String interrupted() {
    return Thread.currentThread().isInterrupted() ? "interrupted" : "clear";
  }

  @Test
  void T1_aCallersInterruptIsClearedForTheHandlersAndRestoredWhenItReturns() {
    List<String> log = new CopyOnWriteArrayList<>();
    Machine<S> m = Machine.of(SCHEMA)
        .onAnyEnter(e -> log.add("anyEnter " + interrupted()))
        .onEnter(S.A, e -> log.add("aEnter " + interrupted()))
        .onState(S.A, e -> {
          log.add("aState " + interrupted());
          e.machine().add(S.B); // queued: drained by the same caller
        })
        .onState(S.B, e -> log.add("bState " + interrupted()))
        .onExit(S.A, e -> log.add("aExit " + interrupted()))
        .onEnd(S.A, e -> log.add("aEnd " + interrupted()))
        .build();

    Thread.currentThread().interrupt(); // carried in
    Result r = m.add(S.A);
    boolean restored = Thread.interrupted(); // reads and clears

    assertThat(restored).isTrue();
    assertThat(r.status()).isEqualTo(Status.EXECUTED);
    assertThat(log).containsExactly("anyEnter clear", "aEnter clear", "aState clear",
        "anyEnter clear", "bState clear");

    // The same for close(), which runs the close transition on an idle machine's caller.
    log.clear();
    Thread.currentThread().interrupt();
    m.close();
    restored = Thread.interrupted();
    assertThat(restored).isTrue();
    assertThat(log).containsExactly("aExit clear", "aEnd clear");
    assertThat(m.whenClosed().isDone()).isTrue();
  }

  @Test
  void T2_anInterruptAHandlerLeavesReachesNoLaterHandlerAndIsDiscarded() throws Exception {
    CountDownLatch inA = new CountDownLatch(1);
    CountDownLatch bQueued = new CountDownLatch(1);
    AtomicReference<Thread> drainer = new AtomicReference<>();
    List<String> log = new CopyOnWriteArrayList<>();
    Machine<S> m = Machine.of(SCHEMA).noHandlerTimeout()
        .onState(S.A, e -> {
          drainer.set(Thread.currentThread());
          inA.countDown();
          block(bQueued);
          Thread.currentThread().interrupt(); // left behind
        })
        .onAnyState(e -> log.add("anyState " + e.calledNames() + " " + interrupted()))
        .onEnter(S.B, e -> log.add("bEnter " + interrupted() + " on the drainer "
            + (Thread.currentThread() == drainer.get())))
        .onState(S.B, e -> log.add("bState " + interrupted()))
        .build();
    AtomicBoolean drainerInterruptedAfter = new AtomicBoolean(true);
    Thread x = Thread.ofPlatform().start(() -> {
      m.add(S.A);
      drainerInterruptedAfter.set(Thread.currentThread().isInterrupted());
    });
    inA.await();
    Result b = m.add(S.B); // another caller's mutation: queued, drained by x
    assertThat(b.status()).isEqualTo(Status.QUEUED);
    bQueued.countDown();
    assertThat(b.await(WAIT)).isEqualTo(Status.EXECUTED);
    x.join(WAIT.toMillis());
    assertThat(x.isAlive()).isFalse();

    assertThat(log).containsExactly(
        "anyState [A] clear", // the next handler of the same transition
        "bEnter clear on the drainer true", "bState clear", "anyState [B] clear");
    assertThat(drainerInterruptedAfter).isFalse(); // discarded: x carried nothing in
    m.close();
  }

  @Test
  void T2_everyScopeCloseAndResourceCloseStartsClear() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    Machine<S> m = Machine.of(SCHEMA)
        .onState(S.A, e -> {
          try {
            e.scope().open(() -> (AutoCloseable) () -> log.add("first opened, closed last "
                + interrupted()));
            e.scope().open(() -> (AutoCloseable) () -> {
              log.add("second opened, closed first " + interrupted());
              Thread.currentThread().interrupt(); // left behind by a resource
            });
          } catch (Exception ex) {
            throw new IllegalStateException(ex);
          }
        })
        .onState(S.B, e -> {
          try {
            e.scope().open(() -> (AutoCloseable) () -> log.add("B's resource " + interrupted()));
          } catch (Exception ex) {
            throw new IllegalStateException(ex);
          }
        })
        .onEnd(S.B, e -> {
          log.add("bEnd " + interrupted());
          Thread.currentThread().interrupt(); // left behind by the last final handler
        })
        .onEnd(S.A, e -> log.add("aEnd " + interrupted()))
        .build();
    m.add(S.A);
    m.add(S.B);

    Result r = m.remove(S.A, S.B); // ends and scope closes in reverse handler order: B, then A
    boolean after = Thread.interrupted();

    assertThat(r.status()).isEqualTo(Status.EXECUTED);
    assertThat(log).containsExactly("bEnd clear", "aEnd clear", "B's resource clear",
        "second opened, closed first clear", "first opened, closed last clear");
    assertThat(after).isFalse(); // what the handlers and closes left is discarded
    m.close();
  }

  @Test
  void T3_theWatchdogInterruptsTheThreadOfAHandlerItAbandons() throws Exception {
    for (boolean carried : new boolean[] {false, true}) {
      CountDownLatch interruptedByWatchdog = new CountDownLatch(1);
      AtomicReference<String> atStart = new AtomicReference<>();
      Machine<S> m = Machine.of(SCHEMA).handlerTimeout(Duration.ofMillis(100))
          .onEnter(S.A, e -> {
            atStart.set(interrupted());
            try {
              new CountDownLatch(1).await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException ie) {
              interruptedByWatchdog.countDown();
            }
            return true;
          })
          .build();
      AtomicReference<Result> result = new AtomicReference<>();
      AtomicBoolean flagAfter = new AtomicBoolean();
      Thread caller = Thread.ofPlatform().start(() -> {
        if (carried) Thread.currentThread().interrupt();
        result.set(m.add(S.A));
        flagAfter.set(Thread.currentThread().isInterrupted());
      });
      caller.join(WAIT.toMillis());
      assertThat(caller.isAlive()).isFalse();
      assertThat(interruptedByWatchdog.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      assertThat(atStart.get()).isEqualTo("clear");
      assertThat(result.get().status()).isEqualTo(Status.CANCELED);
      assertThat(result.get().reason()).contains("abandoned");
      // The watchdog's interrupt stays with the handler: the caller gets back what it carried.
      assertThat(flagAfter.get()).as("carried in: %s", carried).isEqualTo(carried);
      m.close();
    }
  }

  @Test
  void T4_aClosersWaitIsNotCutShortByItsInterruptAndTheStatusIsRestored() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // A long bound (1 s + the scope close timeout): the closer must wait for CLOSED, not time out.
    Machine<S> m = Machine.of(SCHEMA).noHandlerTimeout().scopeCloseTimeout(WAIT)
        .onState(S.A, e -> {
          inHandler.countDown();
          block(release);
        })
        .build();
    Thread busy = Thread.ofVirtual().start(() -> m.add(S.A));
    inHandler.await();
    AtomicBoolean closedWhenCloseReturned = new AtomicBoolean();
    AtomicBoolean interruptedAfter = new AtomicBoolean();
    Thread closer = Thread.ofPlatform().start(() -> {
      Thread.currentThread().interrupt(); // carried into close()
      m.close();
      closedWhenCloseReturned.set(m.whenClosed().isDone());
      interruptedAfter.set(Thread.interrupted());
    });
    SpecCloseTest.awaitTrue(() -> m.isClosed()
        && closer.getState() == Thread.State.TIMED_WAITING); // in close's bounded wait
    closer.interrupt(); // and once more while it waits
    assertThat(closer.isAlive()).isTrue();
    release.countDown();
    closer.join(WAIT.toMillis());
    assertThat(closer.isAlive()).isFalse();
    assertThat(closedWhenCloseReturned).isTrue(); // it waited for CLOSED all the same
    assertThat(interruptedAfter).isTrue();
    busy.join(WAIT.toMillis());
  }

  @Test
  void T4_aScopeCloseStillAwaitsItsTasksWhenTheDrainerIsInterrupted() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    CountDownLatch forked = new CountDownLatch(1);
    CountDownLatch taskInterrupted = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    Machine<S> m = Machine.of(SCHEMA).scopeCloseTimeout(WAIT)
        .onState(S.A, e -> {
          try {
            e.scope().open(() -> (AutoCloseable) () -> log.add("resource closed"));
          } catch (Exception ex) {
            throw new IllegalStateException(ex);
          }
          e.scope().fork("stubborn", () -> {
            forked.countDown();
            try {
              new CountDownLatch(1).await(); // until the scope ends
            } catch (InterruptedException ie) {
              log.add("task interrupted");
              taskInterrupted.countDown();
            }
            while (true) { // unwinds only when the test says so, whatever interrupts it
              try {
                if (proceed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) break;
              } catch (InterruptedException again) {
                // keep unwinding slowly
              }
            }
            log.add("task ended");
          });
        })
        .build();
    m.add(S.A);
    forked.await();
    AtomicReference<Result> removed = new AtomicReference<>();
    AtomicBoolean interruptedAfter = new AtomicBoolean(true);
    Thread drainer = Thread.ofPlatform().start(() -> {
      removed.set(m.remove(S.A)); // ends A's scope, then its close awaits the task
      interruptedAfter.set(Thread.currentThread().isInterrupted());
    });
    taskInterrupted.await();
    SpecCloseTest.awaitTrue(() -> drainer.getState() == Thread.State.TIMED_WAITING
        || drainer.getState() == Thread.State.WAITING); // in the scope close's bounded wait
    drainer.interrupt();
    // Either the wait resumes (it is waiting again, its interrupt consumed) or it was cut short
    // and the resource is closed while the task still runs.
    SpecCloseTest.awaitTrue(() -> log.contains("resource closed")
        || (!drainer.isInterrupted() && (drainer.getState() == Thread.State.TIMED_WAITING
            || drainer.getState() == Thread.State.WAITING)));
    proceed.countDown();
    drainer.join(WAIT.toMillis());
    assertThat(drainer.isAlive()).isFalse();
    assertThat(log).containsExactly("task interrupted", "task ended", "resource closed");
    assertThat(removed.get().status()).isEqualTo(Status.EXECUTED);
    assertThat(removed.get().failures()).isEmpty(); // no "tasks did not end" failure
    assertThat(interruptedAfter).isFalse(); // it arrived while draining: discarded (T2)
    m.close();
  }

  private static void block(CountDownLatch latch) {
    try {
      if (!latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("latch not released in " + WAIT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
