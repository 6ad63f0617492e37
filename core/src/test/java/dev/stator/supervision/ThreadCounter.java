package dev.stator.supervision;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test fixture: a thread factory (virtual threads) that counts the threads it made and the ones
 * that ended, so a test can prove it left no thread behind.
 */
final class ThreadCounter implements ThreadFactory {
  private final Thread.Builder builder;
  private final List<Thread> threads = new ArrayList<>();
  final AtomicInteger created = new AtomicInteger();
  final AtomicInteger ended = new AtomicInteger();

  ThreadCounter(String prefix) {
    this.builder = Thread.ofVirtual().name(prefix + "-", 0);
  }

  @Override
  public Thread newThread(Runnable r) {
    Thread t = builder.unstarted(() -> {
      try {
        r.run();
      } finally {
        ended.incrementAndGet();
      }
    });
    created.incrementAndGet();
    synchronized (threads) {
      threads.add(t);
    }
    return t;
  }

  /** Starts a helper thread (counted like the others). */
  Thread start(Runnable r) {
    Thread t = newThread(r);
    t.start();
    return t;
  }

  /**
   * Joins every thread made so far (a bound only guards against a hang; a correct test never
   * reaches it) and asserts that all of them ended.
   */
  void assertNoLeaks() throws InterruptedException {
    List<Thread> all;
    synchronized (threads) {
      all = List.copyOf(threads);
    }
    for (Thread t : all) t.join(Duration.ofSeconds(5));
    assertThat(all).noneMatch(Thread::isAlive);
    assertThat(ended.get()).isEqualTo(created.get());
  }
}
