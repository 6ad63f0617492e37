package dev.stator.supervision;

import java.util.function.BooleanSupplier;

/**
 * Test fixture: waits until a condition holds, spinning (no sleeping). The 5 s guard only stops
 * a broken test from hanging; a correct test never reaches it.
 */
final class Spin {
  private Spin() {}

  static void until(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) throw new AssertionError("never happened: " + what);
      Thread.onSpinWait();
      Thread.yield();
    }
  }

  /** Whether {@code t} is blocked waiting (parked), e.g. in a latch's await. */
  static boolean waiting(Thread t) {
    Thread.State s = t.getState();
    return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
  }
}
