package dev.stator.rpc;

import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.Snapshot;
import dev.stator.Wait;
import java.util.ArrayList;
import java.util.List;

/** Waits for clocks of a machine to move, with core's waits only (nothing runs on its drainer). */
final class Changes {
  private Changes() {}

  /**
   * A wait that completes when the clock of any state in {@code mask} passes its value in
   * {@code last}, or when the machine closes. One {@code whenTime} per state (it names states by
   * clock, so it also covers an enum schema's implicit {@code Exception}), combined with
   * {@link Wait#any}: once one completes the others are cancelled, so nothing stays registered.
   */
  static Wait after(Machine<?> machine, Snapshot last, long mask) {
    Schema<?> schema = machine.schema();
    long[] base = last.ticks();
    List<String> names = schema.names();
    List<Wait> parts = new ArrayList<>(Long.bitCount(mask) + 1);
    for (long m = mask; m != 0; m &= m - 1) {
      int i = Long.numberOfTrailingZeros(m);
      long[] target = new long[base.length];
      target[i] = base[i] + 1;
      long active = (target[i] & 1) != 0 ? 1L << i : 0;
      parts.add(machine.whenTime(new Snapshot(schema.hash(), names, active, target, 0)));
    }
    parts.add(machine.whenClosed());
    return Wait.any(parts.toArray(Wait[]::new));
  }

  /** Every state of the machine, as a mask. */
  static long all(Machine<?> machine) {
    return -1L >>> (64 - machine.schema().size());
  }
}
