package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for the state-scope bugs of issue 8 (3, 4, 18, 19): each failed on the engine
 * before its fix (the failures are recorded in notes/scope-wait.md).
 */
class ScopeBugsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** How long a task or an exit lingers to give a wrongly cut-short close time to show. */
  private static final long LINGER_MS = 300;

  enum S { A, B }

  /** A machine whose states' scopes exist (a final handler asks for them). */
  private static MachineImpl<S> machine(Duration scopeClose) {
    return (MachineImpl<S>) Machine.of(Schema.of(S.class).build())
        .onState(S.A, Event::scope)
        .onState(S.B, Event::scope)
        .scopeCloseTimeout(scopeClose).build();
  }

  private static Scope<S> activeScope(MachineImpl<S> m, S state) {
    assertThat(m.add(state).status()).isEqualTo(Status.EXECUTED);
    Scope<S> scope = m.latestScope(state);
    assertThat(scope).isNotNull();
    return scope;
  }

  /**
   * Waits up to LINGER_MS for {@code latch}, through further interrupts (a cancelled task is
   * interrupted more than once); returns whether it opened.
   */
  private static boolean linger(CountDownLatch latch) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LINGER_MS);
    for (;;) {
      try {
        return latch.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException again) {
        // keep lingering
      }
    }
  }

  // ---------------------------------------------------------------- bug 3: interrupt policy

  @Test
  void bug3_interruptedCloserStillAwaitsTasksBeforeResources() throws Exception {
    try (MachineImpl<S> m = machine(WAIT)) {
      Scope<S> scope = activeScope(m, S.A);
      List<String> log = new CopyOnWriteArrayList<>();
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch resourceClosed = new CountDownLatch(1);
      scope.fork("slow", () -> {
        started.countDown();
        try {
          new CountDownLatch(1).await(); // until the scope ends
        } catch (InterruptedException ie) {
          // Unwinds slowly: the scope's resources must not close before this task has ended.
          boolean early = linger(resourceClosed);
          log.add(early ? "task ended after its resource closed" : "task ended");
        }
      });
      scope.open(() -> () -> {
        log.add("resource closed");
        resourceClosed.countDown();
      });
      started.await();

      Thread.currentThread().interrupt(); // the closing thread carries an interrupt
      Scope.ScopeCloseException failure = scope.close(WAIT);
      boolean interruptedAfter = Thread.interrupted();

      assertThat(failure).as("close failure").isNull();
      assertThat(log).containsExactly("task ended", "resource closed");
      assertThat(interruptedAfter).as("interrupt status restored when close returns").isTrue();
    }
  }

  @Test
  void bug3_interruptedCloserStillAwaitsTheHeldContextsExit() throws Exception {
    try (MachineImpl<S> m = machine(WAIT)) {
      Scope<S> scope = activeScope(m, S.A);
      List<String> log = new CopyOnWriteArrayList<>();
      CountDownLatch closeReturned = new CountDownLatch(1);
      scope.hold("slow exit", () -> () -> {
        boolean late = linger(closeReturned);
        log.add(late ? "exited after close returned" : "exited");
      });

      Thread.currentThread().interrupt();
      Scope.ScopeCloseException failure = scope.close(WAIT);
      boolean interruptedAfter = Thread.interrupted();
      closeReturned.countDown();

      assertThat(failure).as("close failure").isNull();
      assertThat(log).containsExactly("exited");
      assertThat(interruptedAfter).isTrue();
    }
  }

  @Test
  void bug3_aTaskClosingItsOwnScopeStillAwaitsTheHeldContextsExit() throws Exception {
    try (MachineImpl<S> m = machine(WAIT)) {
      Scope<S> scope = activeScope(m, S.A);
      List<String> log = new CopyOnWriteArrayList<>();
      CountDownLatch closeReturned = new CountDownLatch(1);
      AtomicReference<Thread> enteredOn = new AtomicReference<>();
      AtomicReference<Thread> exitedOn = new AtomicReference<>();
      scope.hold("ctx", () -> {
        enteredOn.set(Thread.currentThread());
        return () -> {
          exitedOn.set(Thread.currentThread());
          boolean late = linger(closeReturned);
          log.add(late ? "exited after close returned" : "exited");
        };
      });
      // The closer is one of the scope's own tasks: cancelling them interrupts it (last).
      CompletableFuture<Scope.ScopeCloseException> closed = new CompletableFuture<>();
      CompletableFuture<Boolean> interruptedAfter = new CompletableFuture<>();
      scope.fork("closer", () -> {
        Scope.ScopeCloseException failure = scope.close(WAIT);
        interruptedAfter.complete(Thread.currentThread().isInterrupted());
        closeReturned.countDown();
        closed.complete(failure);
      });

      assertThat(closed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("close failure").isNull();
      assertThat(log).containsExactly("exited");
      assertThat(exitedOn.get()).isSameAs(enteredOn.get());
      assertThat(interruptedAfter.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }
  }

  // ---------------------------------------------------------------- bug 4: hold interrupted

  @Test
  void bug4_holdInterruptedBeforeEnterStillExitsContext() throws Exception {
    ReentrantLock lock = new ReentrantLock();
    CountDownLatch entering = new CountDownLatch(1);
    CountDownLatch gate = new CountDownLatch(1);
    CountDownLatch exited = new CountDownLatch(1);
    AtomicReference<Thread> enteredOn = new AtomicReference<>();
    AtomicReference<Thread> exitedOn = new AtomicReference<>();
    CompletableFuture<Throwable> holdOutcome = new CompletableFuture<>();
    try (MachineImpl<S> m = machine(WAIT)) {
      Scope<S> scope = activeScope(m, S.A);
      Thread caller = Thread.ofVirtual().start(() -> {
        try {
          scope.hold("lock", () -> {
            entering.countDown();
            gate.await(); // entering takes a while (a contended lock, say)
            lock.lock();
            enteredOn.set(Thread.currentThread());
            return () -> {
              exitedOn.set(Thread.currentThread());
              lock.unlock();
              exited.countDown();
            };
          });
          holdOutcome.complete(null);
        } catch (Throwable t) {
          holdOutcome.complete(t);
        }
      });
      entering.await();
      caller.interrupt(); // the caller of hold gives up while the holder is entering
      assertThat(holdOutcome.get(WAIT.toSeconds(), TimeUnit.SECONDS))
          .isInstanceOf(InterruptedException.class);
      gate.countDown(); // now the holder enters: it must exit again at once, on its own thread
      assertThat(exited.await(WAIT.toSeconds(), TimeUnit.SECONDS))
          .as("the context entered after hold gave up is exited").isTrue();
      assertThat(exitedOn.get()).isSameAs(enteredOn.get());
      assertThat(lock.isLocked()).isFalse();
      assertThat(scope.live()).isZero(); // the abandoned hold is not owned by the scope
    }
    assertThat(lock.isLocked()).isFalse();
  }

  @Test
  void SC4_holdThatEntersAfterTheScopeEndedIsExitedAndRefused() throws Exception {
    ReentrantLock lock = new ReentrantLock();
    CountDownLatch entering = new CountDownLatch(1);
    CountDownLatch gate = new CountDownLatch(1);
    CompletableFuture<Throwable> holdOutcome = new CompletableFuture<>();
    try (MachineImpl<S> m = machine(WAIT)) {
      Scope<S> scope = activeScope(m, S.A);
      Thread.ofVirtual().start(() -> {
        try {
          scope.hold("lock", () -> {
            entering.countDown();
            gate.await();
            lock.lock();
            return lock::unlock;
          });
          holdOutcome.complete(null);
        } catch (Throwable t) {
          holdOutcome.complete(t);
        }
      });
      entering.await();
      assertThat(m.remove(S.A).status()).isEqualTo(Status.EXECUTED); // scope ends
      gate.countDown();
      assertThat(holdOutcome.get(WAIT.toSeconds(), TimeUnit.SECONDS))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("has ended");
      assertThat(lock.isLocked()).isFalse(); // hold released it before it threw
    }
  }

  // ---------------------------------------------------------------- bug 18: bound waits

  @Test
  void bug18_boundWaitLeavesScopeWhenDone() throws Exception {
    try (MachineImpl<S> m = machine(WAIT);
        MachineImpl<S> other = machine(WAIT)) {
      Scope<S> scope = activeScope(m, S.A);
      for (int i = 0; i < 100; i++) { // a polling loop: each round's wait must leave
        Wait completes = scope.bind(m.when(S.B));
        m.add(S.B);
        completes.await(WAIT);
        m.remove(S.B);

        Wait timesOut = scope.bind(m.when(S.B));
        assertThatThrownBy(() -> timesOut.await(Duration.ZERO))
            .isInstanceOf(TimeoutException.class);

        Wait cancelled = scope.bind(m.when(S.B));
        cancelled.cancel();

        Wait alreadyDone = scope.bind(m.when(S.A));
        assertThat(alreadyDone.isDone()).isTrue();

        Wait combined = scope.bind(Wait.any(m.when(S.B), m.whenTicks(S.A, 2)));
        combined.cancel();

        assertThat(scope.boundWaits()).as("bound waits after round " + i).isZero();
      }
      Wait fails = scope.bind(other.when(S.B));
      other.close(); // fails the wait with MachineClosedException
      assertThat(fails.isDone()).isTrue();
      assertThat(scope.boundWaits()).isZero();
      assertThat(m.waitCount()).isZero();

      Wait pending = scope.bind(m.when(S.B)); // still cancelled when the scope ends
      assertThat(scope.boundWaits()).isEqualTo(1);
      m.remove(S.A);
      assertThatThrownBy(() -> pending.await(WAIT)).isInstanceOf(CancellationException.class);
      assertThat(scope.boundWaits()).isZero();
      assertThat(m.waitCount()).isZero();
    }
  }

  // ---------------------------------------------------------------- bug 19: huge bounds

  @Test
  void bug19_hugeScopeCloseTimeoutDoesNotOverflow() throws Exception {
    ReentrantLock lock = new ReentrantLock();
    List<String> log = new CopyOnWriteArrayList<>();
    Duration huge = Duration.ofDays(365L * 1000); // ~1000 years: more nanoseconds than a long
    try (MachineImpl<S> m = (MachineImpl<S>) Machine.of(Schema.of(S.class).build())
        .scopeCloseTimeout(huge)
        .onState(S.A, e -> {
          try {
            e.scope().hold("lock", () -> {
              lock.lock();
              return lock::unlock;
            });
            e.scope().fork("task", () -> new CountDownLatch(1).await());
            e.scope().open(() -> () -> log.add("closed"));
          } catch (Exception x) {
            throw new IllegalStateException(x);
          }
        })
        .build()) {
      m.add(S.A);
      assertThat(lock.isLocked()).isTrue();
      m.remove(S.A);
      assertThat(m.hasError()).as("error after release: %s", m.lastError()).isFalse();
      assertThat(lock.isLocked()).isFalse();
      assertThat(log).containsExactly("closed");
    }
  }

  @Test
  void bug19_maximalScopeCloseTimeoutDoesNotOverflow() throws Exception {
    Duration max = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999); // the largest Duration
    try (MachineImpl<S> m = machine(max)) {
      Scope<S> scope = activeScope(m, S.A);
      AtomicReference<Thread> exitedOn = new AtomicReference<>();
      scope.hold("ctx", () -> () -> exitedOn.set(Thread.currentThread()));
      scope.fork("task", () -> new CountDownLatch(1).await());
      m.remove(S.A);
      assertThat(m.hasError()).as("error after release: %s", m.lastError()).isFalse();
      assertThat(exitedOn.get()).isNotNull();
      assertThat(scope.live()).isZero();
    }
  }
}
