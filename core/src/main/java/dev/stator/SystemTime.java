package dev.stator;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** {@link Time#system()}: the system clocks and one lazily started scheduler thread. */
final class SystemTime implements Time {
  /* Design.
   *
   * One process-wide ScheduledThreadPoolExecutor with a single daemon platform thread named
   * stator-time, created on the first schedule() (double-checked under the class's lock) and kept
   * for the life of the process. Cancelled tasks are removed from its queue at once
   * (removeOnCancel), so a cancelled timer keeps no machine reachable. Tasks are core's own (they
   * queue a mutation elsewhere or end a wait) and never block; one that throws is logged, and the
   * thread goes on. */

  static final SystemTime INSTANCE = new SystemTime();
  private static final System.Logger LOG = System.getLogger("dev.stator.Machine");
  private volatile @Nullable ScheduledThreadPoolExecutor scheduler;

  private SystemTime() {}

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public long millis() {
    return System.currentTimeMillis();
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    Time.checkDelay(delay);
    java.util.Objects.requireNonNull(task, "task");
    ScheduledFuture<?> f = scheduler().schedule(() -> {
      try {
        task.run();
      } catch (Throwable t) {
        LOG.log(System.Logger.Level.ERROR, "a delayed task threw; ignored", t);
      }
    }, Scope.saturatedNanos(delay), TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  private ScheduledThreadPoolExecutor scheduler() {
    ScheduledThreadPoolExecutor s = scheduler;
    if (s != null) return s;
    synchronized (this) {
      s = scheduler;
      if (s == null) {
        s = new ScheduledThreadPoolExecutor(1,
            Thread.ofPlatform().daemon().name("stator-time").factory());
        s.setRemoveOnCancelPolicy(true);
        s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        scheduler = s;
      }
      return s;
    }
  }

  @Override
  public String toString() {
    return "Time.system()";
  }
}
