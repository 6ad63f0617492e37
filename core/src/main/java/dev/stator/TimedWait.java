package dev.stator;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A bounded wait for a future, measured on a machine's {@link Time}: the system time waits with
 * {@link CompletableFuture#get(long, TimeUnit)}; any other time schedules a task on that time
 * that wakes the waiter when the bound has passed, so a fake time ends the wait when it is
 * advanced, and the waiter never waits in real time for it.
 */
final class TimedWait {
  private TimedWait() {}

  /**
   * Waits until {@code f} is done or {@code nanos} have passed on {@code time}; returns whether
   * {@code f} is done. Does not report {@code f}'s outcome.
   *
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  static boolean await(Time time, CompletableFuture<?> f, long nanos) throws InterruptedException {
    if (f.isDone()) return true;
    if (time == SystemTime.INSTANCE) {
      if (nanos <= 0) return false;
      try {
        f.get(nanos, TimeUnit.NANOSECONDS);
      } catch (ExecutionException | CancellationException e) {
        // done: the caller reads the outcome
      } catch (TimeoutException e) {
        return f.isDone();
      }
      return true;
    }
    if (nanos <= 0) return false;
    CompletableFuture<Void> wake = new CompletableFuture<>();
    Time.Cancellable timer = time.schedule(Duration.ofNanos(nanos), () -> wake.complete(null));
    f.whenComplete((v, t) -> wake.complete(null));
    try {
      wake.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e); // never: wake completes normally only
    } finally {
      timer.cancel();
    }
    return f.isDone();
  }

  /** Nanoseconds left until {@code deadline} on {@code time}, at least 0. */
  static long remaining(Time time, long deadline) {
    return Math.max(0L, deadline - time.nanoTime());
  }
}
