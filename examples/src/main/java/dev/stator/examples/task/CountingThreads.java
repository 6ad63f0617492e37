package dev.stator.examples.task;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;

/** A factory of virtual threads that remembers them, to prove none is left running. */
public final class CountingThreads implements ThreadFactory {
  private final ThreadFactory delegate;
  private final List<Thread> made = new CopyOnWriteArrayList<>();

  public CountingThreads(String prefix) {
    this.delegate = Thread.ofVirtual().name(prefix + "-", 0).factory();
  }

  @Override
  public Thread newThread(Runnable body) {
    Thread t = delegate.newThread(body);
    made.add(t);
    return t;
  }

  public int created() {
    return made.size();
  }

  /** Waits up to {@code bound} for every thread made so far to end; returns how many still run. */
  public int awaitAlive(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    for (Thread t : made) {
      long left = deadline - System.nanoTime();
      if (left > 0 && t.isAlive()) t.join(Duration.ofNanos(left));
    }
    return (int) made.stream().filter(Thread::isAlive).count();
  }
}
