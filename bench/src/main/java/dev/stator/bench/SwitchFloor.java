package dev.stator.bench;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Floor (a) of docs/benchmarks.md for the {@link Ten} workload: the relations of {@link Ten}
 * compiled by hand into a {@code switch} over the called state, behind a {@link ReentrantLock},
 * with the active set in a volatile {@code long} (several states are active at once, so one
 * enum field cannot hold it). No clocks, no generic resolution: the cheapest correct code for
 * exactly this schema.
 */
public final class SwitchFloor {
  private static final long STARTED = Ten.Started.bit();
  private static final long RUNNING = Ten.Running.bit();
  private static final long PAUSED = Ten.Paused.bit();
  private static final long HEALTHY = Ten.Healthy.bit();
  private static final long DEGRADED = Ten.Degraded.bit();
  private static final long STOPPED = Ten.Stopped.bit();
  private static final long CONNECTED = Ten.Connected.bit();
  private static final long BUSY = Ten.Busy.bit();
  private static final long IDLE = Ten.Idle.bit();
  private static final long LOGGED = Ten.Logged.bit();

  private final ReentrantLock lock = new ReentrantLock();
  private volatile long active;

  public SwitchFloor() {
    active = STARTED | CONNECTED | IDLE;
  }

  /** Activates {@code s} as {@link Ten}'s relations say; returns whether it is active after. */
  public boolean add(Ten s) {
    lock.lock();
    try {
      long a = active;
      long next = switch (s) {
        case Started -> (a | STARTED) & ~STOPPED;
        case Running -> (a & STARTED) == 0 ? a
            : (a | RUNNING | HEALTHY) & ~(PAUSED | STOPPED | DEGRADED);
        case Paused -> (a & STARTED) == 0 ? a : (a | PAUSED) & ~(RUNNING | HEALTHY);
        case Healthy -> (a & RUNNING) == 0 ? a : (a | HEALTHY) & ~DEGRADED;
        case Degraded -> (a | DEGRADED) & ~HEALTHY;
        case Stopped -> (a | STOPPED) & ~(STARTED | RUNNING | PAUSED | HEALTHY);
        case Connected -> a | CONNECTED;
        case Busy -> (a & CONNECTED) == 0 ? a : (a | BUSY) & ~IDLE;
        case Idle -> (a | IDLE) & ~BUSY;
        case Logged -> a | LOGGED;
      };
      active = next;
      return (next & s.bit()) != 0;
    } finally {
      lock.unlock();
    }
  }

  /** Deactivates {@code s} and the states that require it. */
  public boolean remove(Ten s) {
    lock.lock();
    try {
      long a = active;
      active = switch (s) {
        case Started -> a & ~(STARTED | RUNNING | PAUSED | HEALTHY);
        case Running -> a & ~(RUNNING | HEALTHY);
        case Connected -> a & ~(CONNECTED | BUSY);
        default -> a & ~s.bit();
      };
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@code s} is active; lock-free. */
  public boolean is(Ten s) {
    return (active >>> s.ordinal() & 1) != 0;
  }
}
