package dev.stator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test fixture: a thread factory that records every thread it makes and counts the ones whose
 * task ended, so that a test can join them all and prove that no thread was left behind.
 * Platform threads are daemons named {@code prefix + n}; virtual threads are named the same way.
 */
final class ThreadLedger implements ThreadFactory {
  final String prefix;
  private final Thread.Builder builder;
  private final List<Thread> threads = new ArrayList<>();
  final AtomicInteger started = new AtomicInteger();
  final AtomicInteger ended = new AtomicInteger();

  private ThreadLedger(String prefix, Thread.Builder builder) {
    this.prefix = prefix;
    this.builder = builder;
  }

  static ThreadLedger platform(String prefix) {
    return new ThreadLedger(prefix, Thread.ofPlatform().daemon().name(prefix, 0));
  }

  static ThreadLedger virtual(String prefix) {
    return new ThreadLedger(prefix, Thread.ofVirtual().name(prefix, 0));
  }

  @Override
  public Thread newThread(Runnable task) {
    Thread t = builder.unstarted(() -> {
      started.incrementAndGet();
      try {
        task.run();
      } finally {
        ended.incrementAndGet();
      }
    });
    synchronized (threads) {
      threads.add(t);
    }
    return t;
  }

  /** Starts a thread running {@code task}. */
  Thread start(Runnable task) {
    Thread t = newThread(task);
    t.start();
    return t;
  }

  /** Every thread made so far. */
  List<Thread> threads() {
    synchronized (threads) {
      return List.copyOf(threads);
    }
  }

  /**
   * Joins every thread made so far, waiting at most {@code guard} in all (a failure guard, not a
   * timing assumption), and returns the names of those still alive.
   */
  List<String> joinAll(Duration guard) throws InterruptedException {
    long deadline = System.nanoTime() + guard.toNanos();
    List<String> alive = new ArrayList<>();
    for (Thread t : threads()) {
      long left = Math.max(1, deadline - System.nanoTime());
      if (t.getState() != Thread.State.NEW) t.join(Duration.ofNanos(left));
      if (t.isAlive()) alive.add(t.getName() + " " + t.getState());
    }
    return alive;
  }

  /** Live platform threads (from all of the JVM's threads) whose name starts with the prefix. */
  List<String> livePlatformThreads() {
    List<String> out = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith(prefix) && t.isAlive()) out.add(t.getName());
    }
    return out;
  }
}
