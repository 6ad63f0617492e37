package dev.stator.bench;

import dev.stator.Event;

/**
 * A handler object for {@link Ten}: bound with {@code Machine.Builder.handlers(this)}. In the
 * {@link MutationBenchmark} cycle four of these run per mutation: enter + state for Running and
 * Healthy on {@code add(Running)}, exit + end for both on {@code remove(Running)}.
 */
public final class TenHandlers {
  /** Handler calls so far; read by tests to check that each mutation ran four. */
  public long calls;

  public boolean runningEnter(Event<Ten> e) {
    calls++;
    return true;
  }

  public void runningState(Event<Ten> e) {
    calls++;
  }

  public boolean runningExit(Event<Ten> e) {
    calls++;
    return true;
  }

  public void runningEnd(Event<Ten> e) {
    calls++;
  }

  public boolean healthyEnter(Event<Ten> e) {
    calls++;
    return true;
  }

  public void healthyState(Event<Ten> e) {
    calls++;
  }

  public boolean healthyExit(Event<Ten> e) {
    calls++;
    return true;
  }

  public void healthyEnd(Event<Ten> e) {
    calls++;
  }
}
