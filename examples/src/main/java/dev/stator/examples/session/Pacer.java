package dev.stator.examples.session;

import java.time.Duration;

/**
 * Waits between two attempts or two heartbeats. Injected so that tests decide when time
 * passes: a test pacer blocks until the test releases it, or returns at once.
 *
 * <p>Contract: {@link #pause} returns after the pause, or throws {@link InterruptedException}
 * when the calling thread is interrupted (a scope that ends interrupts its tasks; a pacer that
 * swallowed the interrupt would keep a stale task alive).
 */
@FunctionalInterface
public interface Pacer {
  /** Real time: {@link Thread#sleep(Duration)}; a zero or negative pause returns at once. */
  Pacer SYSTEM = d -> {
    if (d.isNegative() || d.isZero()) {
      if (Thread.interrupted()) throw new InterruptedException();
      return;
    }
    Thread.sleep(d);
  };

  /** Waits for {@code pause}, or throws if the calling thread is interrupted. */
  void pause(Duration pause) throws InterruptedException;
}
