package dev.stator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Test fixture: a {@link Time} whose clock moves only in {@link #advance}, which runs the tasks
 * that fell due, in order of due time and then of scheduling, on the advancing thread. (The
 * public, fuller one is stator-test's FakeTime; core cannot depend on it.)
 */
final class ManualTime implements Time {
  private record Entry(long due, long seq, Runnable task, boolean[] cancelled) {}

  private final PriorityQueue<Entry> queue = new PriorityQueue<>((a, b) -> a.due != b.due
      ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq)); // guarded by this
  private long now = 1_000_000_000L; // guarded by this
  private long seq; // guarded by this
  final List<Machine<?>> built = new ArrayList<>(); // guarded by this

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized long millis() {
    return now / 1_000_000;
  }

  @Override
  public synchronized Cancellable schedule(Duration delay, Runnable task) {
    Time.checkDelay(delay);
    boolean[] cancelled = new boolean[1];
    Entry e = new Entry(now + Scope.saturatedNanos(delay), seq++, task, cancelled);
    queue.add(e);
    notifyAll();
    return () -> {
      synchronized (ManualTime.this) {
        boolean was = !cancelled[0] && queue.remove(e);
        cancelled[0] = true;
        return was;
      }
    };
  }

  @Override
  public synchronized void machineBuilt(Machine<?> machine) {
    built.add(machine);
  }

  /** Moves the clock by {@code d}, running each task that falls due on this thread. */
  void advance(Duration d) {
    long target;
    synchronized (this) {
      target = now + d.toNanos();
    }
    for (;;) {
      Entry e;
      synchronized (this) {
        e = queue.peek();
        if (e == null || e.due > target) {
          now = target;
          return;
        }
        queue.poll();
        e.cancelled[0] = true;
        now = Math.max(now, e.due);
      }
      e.task.run();
    }
  }

  /** Waits (in real time, up to {@code timeout}) until {@code n} tasks are pending. */
  synchronized void awaitPending(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (queue.size() < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) throw new AssertionError(queue.size() + " tasks pending, not " + n);
      wait(Math.max(1, left / 1_000_000));
    }
  }

  /** Tasks scheduled and not yet run or cancelled. */
  synchronized int pending() {
    return queue.size();
  }
}
