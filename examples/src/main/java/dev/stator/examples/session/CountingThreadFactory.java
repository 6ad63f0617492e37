package dev.stator.examples.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A thread factory that makes virtual threads named {@code PREFIX-N} and counts them: how many
 * were made, how many have ended. Given to a machine ({@code Machine.Builder.threadFactory}) it
 * sees every thread the machine starts (owner, tasks, holders), so a test can prove that none
 * is left behind.
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class CountingThreadFactory implements ThreadFactory {
  private final ThreadFactory delegate;
  private final AtomicInteger ended = new AtomicInteger();
  private final Object lock = new Object();
  private final List<Thread> made = new ArrayList<>(); // guarded by lock; in creation order

  /** Makes virtual threads named {@code prefix-0}, {@code prefix-1}… */
  public CountingThreadFactory(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    this.delegate = Thread.ofVirtual().name(prefix + "-", 0).factory();
  }

  @Override
  public Thread newThread(Runnable body) {
    Objects.requireNonNull(body, "body");
    Thread t = delegate.newThread(() -> {
      try {
        body.run();
      } finally {
        ended.incrementAndGet();
      }
    });
    synchronized (lock) {
      made.add(t);
    }
    return t;
  }

  /** How many threads were made. */
  public int created() {
    synchronized (lock) {
      return made.size();
    }
  }

  /** How many threads have finished their body. */
  public int ended() {
    return ended.get();
  }

  /** The threads made so far, in creation order. */
  public List<Thread> threads() {
    synchronized (lock) {
      return List.copyOf(made);
    }
  }

  /** The threads made so far that are still alive. */
  public List<Thread> alive() {
    return threads().stream().filter(Thread::isAlive).toList();
  }

  /**
   * Waits until every thread in {@code threads} has terminated (joins each, within one overall
   * bound).
   *
   * @throws TimeoutException naming the threads still alive after {@code bound}
   */
  public static void awaitTermination(List<Thread> threads, Duration bound)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + bound.toNanos();
    for (Thread t : threads) {
      long left = deadline - System.nanoTime();
      if (left > 0) t.join(Duration.ofNanos(left));
    }
    List<String> alive = threads.stream().filter(Thread::isAlive).map(Thread::getName).toList();
    if (!alive.isEmpty()) throw new TimeoutException("threads still alive after " + bound + ": " + alive);
  }
}
