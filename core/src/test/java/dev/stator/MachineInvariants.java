package dev.stator;

import java.util.ArrayList;
import java.util.List;

/**
 * Test fixture: the invariants every consistent view of a machine satisfies, computed from the
 * schema's exported data (public API only): every active state's requirements are active; no
 * two active states of which one removes the other; a clock is odd exactly while its state is
 * active.
 */
final class MachineInvariants {
  private final List<String> names;
  private final long[] require;
  private final long[] remove;

  MachineInvariants(Schema<?> schema) {
    this.names = schema.names();
    Schema.SchemaData data = schema.data();
    int n = names.size();
    this.require = new long[n];
    this.remove = new long[n];
    for (int i = 0; i < n; i++) {
      Schema.StateData s = data.states().get(i);
      require[i] = mask(s.require());
      remove[i] = mask(s.remove());
    }
  }

  private long mask(List<String> states) {
    long m = 0;
    for (String s : states) m |= 1L << names.indexOf(s);
    return m;
  }

  /** The invariants the active set {@code active} breaks; empty if none. */
  List<String> violations(long active) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      if ((active >>> i & 1) == 0) continue;
      long missing = require[i] & ~active;
      if (missing != 0) {
        out.add(names.get(i) + " is active without its requirements " + namesOf(missing));
      }
      long conflict = remove[i] & active;
      if (conflict != 0) {
        out.add(names.get(i) + " is active together with " + namesOf(conflict)
            + ", which it removes");
      }
    }
    return out;
  }

  /** The invariants {@code s} breaks, clock parity included; empty if none. */
  List<String> violations(Snapshot s) {
    List<String> out = violations(s.active());
    long[] ticks = s.ticks();
    for (int i = 0; i < ticks.length; i++) {
      boolean on = (s.active() >>> i & 1) != 0;
      if ((ticks[i] & 1) != (on ? 1 : 0)) {
        out.add("clock of " + names.get(i) + " is " + ticks[i] + " but the state is "
            + (on ? "active" : "inactive"));
      }
    }
    if (!out.isEmpty()) out.add(0, "in " + s + " " + java.util.Arrays.toString(ticks));
    return out;
  }

  /** The invariants the machine's current snapshot breaks. */
  List<String> violations(Machine<?> m) {
    return violations(m.snapshot());
  }

  String namesOf(long mask) {
    List<String> out = new ArrayList<>();
    for (long r = mask; r != 0; r &= r - 1) out.add(names.get(Long.numberOfTrailingZeros(r)));
    return out.toString();
  }
}
