package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * After 10,000 activation/deactivation cycles with tasks, resources, held contexts and waits,
 * nothing is left: every resource closed exactly once, every thread ended, no wait registered.
 */
class ScopeLeakTest {

  enum Conn { Connected, Disconnected, Exception }

  static final Schema<Conn> SCHEMA = Schema.of(Conn.class)
      .state(Conn.Connected, s -> s.remove(Conn.Disconnected))
      .state(Conn.Disconnected, s -> s.remove(Conn.Connected))
      .build();

  /** Counts threads started and ended through it. */
  static final class CountingFactory implements ThreadFactory {
    final AtomicInteger started = new AtomicInteger();
    final AtomicInteger ended = new AtomicInteger();
    private final ThreadFactory virtual = Thread.ofVirtual().name("leak-", 0).factory();

    @Override
    public Thread newThread(Runnable r) {
      started.incrementAndGet();
      return virtual.newThread(() -> {
        try {
          r.run();
        } finally {
          ended.incrementAndGet();
        }
      });
    }
  }

  @Test
  void SC9_noLeaksAfterTenThousandCycles() throws Exception {
    CountingFactory threads = new CountingFactory();
    AtomicInteger opened = new AtomicInteger();
    AtomicInteger closed = new AtomicInteger();
    AtomicInteger tasksStarted = new AtomicInteger();
    AtomicInteger tasksEnded = new AtomicInteger();
    ReentrantLock lock = new ReentrantLock();
    int cycles = 10_000;
    MachineImpl<Conn> m = (MachineImpl<Conn>) Machine.of(SCHEMA).threadFactory(threads)
        .onState(Conn.Connected, e -> {
          StateScope<Conn> scope = e.scope();
          try {
            scope.open(() -> {
              opened.incrementAndGet();
              return (AutoCloseable) closed::incrementAndGet;
            });
            scope.hold("lock", () -> {
              lock.lock();
              return lock::unlock;
            });
          } catch (Exception ex) {
            throw new IllegalStateException(ex);
          }
          scope.fork("idle", () -> {
            tasksStarted.incrementAndGet(); // a task cancelled before it starts never runs
            try {
              new CountDownLatch(1).await();
            } finally {
              tasksEnded.incrementAndGet();
            }
          });
          scope.bind(e.machine().when(Conn.Exception)); // never completes: cancelled at end
        })
        .build();
    for (int i = 0; i < cycles; i++) {
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.add(Conn.Disconnected).status()).isEqualTo(Status.EXECUTED);
    }
    assertThat(opened.get()).isEqualTo(cycles);
    assertThat(closed.get()).isEqualTo(cycles);
    assertThat(tasksEnded.get()).isEqualTo(tasksStarted.get());
    assertThat(m.waitCount()).isZero();
    assertThat(m.hasError()).isFalse();
    assertThat(lock.isLocked()).isFalse();
    m.close();
    // Holder threads end right after releasing; join through the counts with a bound.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (threads.ended.get() < threads.started.get() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(threads.started.get()).isEqualTo(2 * cycles); // a task and a holder per cycle
    assertThat(threads.ended.get()).isEqualTo(threads.started.get());
  }
}
