package dev.stator;

import java.time.Duration;
import java.time.Instant;

/**
 * The time source of a machine: a monotonic clock, a wall clock, and a way to run a short task
 * after a delay. Everything in core that waits on time uses its machine's time: the handler
 * timeout (E3), the close bound (X4), the scope close bound (SC7), {@link Wait#await} and
 * {@link Result#await} timeouts, and delayed mutations ({@link Machine#after}). Set it with
 * {@link Machine.Builder#time(Time)}; the default is {@link #system()}. A test passes a fake
 * time whose clock moves only when the test advances it (the {@code stator-test} module's
 * {@code FakeTime}), so a timeout or a delayed mutation happens without real waiting.
 *
 * <h2>Contract for implementers</h2>
 * {@link #nanoTime()} never goes back. {@link #schedule} runs its task once, at or after the
 * moment {@code nanoTime()} has grown by the delay, on a thread of the time's choosing; tasks
 * due at the same moment run in the order they were scheduled. Core's tasks are short and never
 * block (they queue a mutation, or end a wait); a task that throws is the time's to log. A task
 * may be run on the thread that advances a fake time. {@link Cancellable#cancel()} after the task
 * ran, or twice, is harmless. {@link #machineBuilt} is told of every machine built with this time
 * (a fake time uses it to find the machines to wait for); it must not block or mutate the
 * machine. All methods may be called from any thread.
 */
public interface Time {

  /**
   * The system's time: {@link System#nanoTime()}, {@link System#currentTimeMillis()}, and one
   * shared daemon platform thread, {@code stator-time}, started with the first delayed task of
   * the process and kept for its life (it costs nothing while no task is pending). Machines that
   * use no delayed task (no {@link Machine#after}) never start it.
   */
  static Time system() {
    return SystemTime.INSTANCE;
  }

  /** A monotonic clock in nanoseconds, comparable only with other values of this time. */
  long nanoTime();

  /** The wall clock in milliseconds since the epoch. */
  long millis();

  /** The wall clock as an instant; by default {@link #millis()} as an {@link Instant}. */
  default Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  /**
   * Runs {@code task} once after {@code delay} (at once, on the time's thread, for a zero delay).
   *
   * @param delay how long to wait; not negative
   * @param task a short task that does not block
   * @return a handle that cancels the task if it has not started
   * @throws IllegalArgumentException if {@code delay} is negative
   */
  Cancellable schedule(Duration delay, Runnable task);

  /**
   * Told once of each machine built with this time, at the end of its construction; by default
   * does nothing. Must not block or mutate the machine.
   *
   * @param machine the new machine
   */
  default void machineBuilt(Machine<?> machine) {}

  /** A scheduled task that can be cancelled. */
  @FunctionalInterface
  interface Cancellable {
    /**
     * Cancels the task if it has not started; returns whether this call stopped it from
     * running. Idempotent; harmless after the task ran.
     */
    boolean cancel();
  }

  /** Checks a delay argument: not null, not negative; returns it. */
  static Duration checkDelay(Duration delay) {
    java.util.Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) throw new IllegalArgumentException("delay must not be negative: " + delay);
    return delay;
  }
}
