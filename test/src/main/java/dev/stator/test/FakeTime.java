package dev.stator.test;

import dev.stator.Machine;
import dev.stator.Time;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * A {@link Time} that moves only when a test advances it: give it to machines with
 * {@code Machine.Builder.time(fake)}, then {@link #advance} runs every timer that falls due (a
 * delayed mutation, an await's timeout, a close bound) and waits for the machines to settle, so
 * a test of a 30-second timeout takes no real time and needs no sleep.
 *
 * {@snippet :
 * FakeTime time = new FakeTime();
 * try (Machine<Conn> m = Machine.of(schema).time(time).build()) {
 *   m.after(Duration.ofSeconds(30)).add(Conn.Timeout);
 *   time.advance(Duration.ofSeconds(29));
 *   assertThat(m.is(Conn.Timeout)).isFalse();
 *   time.advance(Duration.ofSeconds(1));    // the timer ran and m is idle again
 *   assertThat(m.is(Conn.Timeout)).isTrue();
 * }
 * }
 *
 * <h2>Advance</h2>
 * {@link #advance} moves the clock to each due timer in turn (ordered by due time, then by the
 * order they were scheduled) and runs it on the calling thread; after each timer it waits until
 * every open machine built with this time is idle ({@link Machine#whenIdle}), so a timer
 * scheduled by a transition that a timer caused, and due within the advance, runs too, in its
 * turn. Then the clock moves the rest of the way to the target and the machines settle once more
 * (a handler that has run past its timeout by then is abandoned while the advance waits, as
 * the machine's watchdog reads this clock). A machine that does not settle within
 * {@link #settleTimeout()} of <em>real</em> time (a stuck handler) fails the advance with an
 * {@link AssertionError}.
 *
 * <h2>Thread safety</h2>
 * All methods may be called from any thread; advances are serialized (one at a time). Timers run
 * on the advancing thread with no lock held. The handler-timeout watchdog reads this clock from
 * its own thread: a stuck handler is abandoned within a few milliseconds of real time after an
 * advance past its timeout.
 */
public final class FakeTime implements Time {
  /* Design.
   *
   * `lock` guards the clock (`now`), the timer queue and the machine list; `advancing` serializes
   * advance() calls (a separate lock, held while timers run and machines settle, never while
   * `lock` is held). A timer is cancelled by removing it from the queue under `lock`: a timer
   * that advance() has taken out is past cancelling (its cancel returns false). Machines are
   * held weakly, so a fake time in a long-lived fixture keeps no machine alive. */

  private record Timer(long due, long seq, Runnable task) {}

  private final Object lock = new Object();
  private final Object advancing = new Object();
  private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> a.due != b.due
      ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq)); // guarded by lock
  private final List<WeakReference<Machine<?>>> machines = new ArrayList<>(); // guarded by lock
  private final long epochMillis;
  private long now; // nanoseconds since the start; guarded by lock
  private long seq; // guarded by lock
  private volatile Duration settleTimeout = Duration.ofSeconds(10);

  /** A fake time whose wall clock starts at 2026-01-01T00:00:00Z. */
  public FakeTime() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  /**
   * A fake time whose wall clock starts at {@code start}; its monotonic clock starts at 0.
   *
   * @param start the wall-clock instant of the start
   */
  public FakeTime(Instant start) {
    this.epochMillis = Objects.requireNonNull(start, "start").toEpochMilli();
  }

  @Override
  public long nanoTime() {
    synchronized (lock) {
      return now;
    }
  }

  @Override
  public long millis() {
    synchronized (lock) {
      return epochMillis + now / 1_000_000;
    }
  }

  /** How long this time has been advanced in total. */
  public Duration elapsed() {
    return Duration.ofNanos(nanoTime());
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    Time.checkDelay(delay);
    Objects.requireNonNull(task, "task");
    Timer t;
    synchronized (lock) {
      long due = now + saturated(delay);
      t = new Timer(due < now ? Long.MAX_VALUE : due, seq++, task);
      timers.add(t);
    }
    return () -> {
      synchronized (lock) {
        return timers.remove(t);
      }
    };
  }

  @Override
  public void machineBuilt(Machine<?> machine) {
    synchronized (lock) {
      machines.removeIf(r -> r.get() == null);
      machines.add(new WeakReference<>(machine));
    }
  }

  /**
   * Moves the clock forward by {@code d}, running every timer due by then on this thread and
   * waiting for the machines of this time to be idle (see the class comment).
   *
   * @param d how far; not negative
   * @throws IllegalArgumentException if {@code d} is negative
   * @throws AssertionError if a machine does not settle within {@link #settleTimeout()}
   */
  public void advance(Duration d) {
    Time.checkDelay(d);
    synchronized (advancing) {
      long target;
      synchronized (lock) {
        target = now + saturated(d);
      }
      for (;;) {
        Timer t;
        synchronized (lock) {
          t = timers.peek();
          if (t == null || t.due > target) {
            if (target > now) now = target; // the rest of the way, then settle once more
            t = null;
          } else {
            timers.poll();
            if (t.due > now) now = t.due;
          }
        }
        if (t != null) t.task.run();
        settle(); // with the clock at the timer's due time, or at the target
        if (t == null && !hasDue(target)) break;
      }
    }
  }

  private boolean hasDue(long target) {
    synchronized (lock) {
      Timer t = timers.peek();
      return t != null && t.due <= target;
    }
  }

  /** Runs the timers due now, without moving the clock, and waits for the machines to settle. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /** Waits until every open machine of this time is idle; up to {@link #settleTimeout()}. */
  public void settle() {
    for (Machine<?> m : machines()) {
      if (!m.isClosed()) StatorAssertions.awaitQuiescent(m, settleTimeout);
    }
  }

  /** The number of timers scheduled and not yet run or cancelled. */
  public int pending() {
    synchronized (lock) {
      return timers.size();
    }
  }

  /** The time until the next timer is due, or null if none is scheduled. */
  public @org.jspecify.annotations.Nullable Duration nextDue() {
    synchronized (lock) {
      Timer t = timers.peek();
      return t == null ? null : Duration.ofNanos(t.due - now);
    }
  }

  /** The machines built with this time that are still reachable, in build order. */
  public List<Machine<?>> machines() {
    List<Machine<?>> out = new ArrayList<>();
    synchronized (lock) {
      for (WeakReference<Machine<?>> r : machines) {
        Machine<?> m = r.get();
        if (m != null) out.add(m);
      }
    }
    return out;
  }

  /** How long (in real time) an advance waits for a machine to settle (default 10 s). */
  public Duration settleTimeout() {
    return settleTimeout;
  }

  /**
   * Sets how long (in real time) an advance waits for a machine to settle.
   *
   * @param timeout positive
   * @return this time
   */
  public FakeTime settleTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("settle timeout must be positive: " + timeout);
    }
    this.settleTimeout = timeout;
    return this;
  }

  private static long saturated(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 2;
    }
  }

  @Override
  public String toString() {
    return "FakeTime[" + elapsed() + ", " + pending() + " pending]";
  }
}
