package dev.stator.jcstress;

import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.Snapshot;

/**
 * The schema of the jcstress tests: {@code Open} and {@code Closed} remove each other,
 * {@code Locked} requires {@code Closed}, {@code Bell} is {@code multi}.
 */
enum Door {
  Open, Closed, Locked, Bell;

  static final Schema<Door> SCHEMA = Schema.of(Door.class)
      .state(Open, s -> s.remove(Closed))
      .state(Closed, s -> s.remove(Open))
      .state(Locked, s -> s.require(Closed))
      .state(Bell, s -> s.multi())
      .build();

  /** A new machine with {@code Closed} and {@code Locked} active: two mutations processed. */
  static Machine<Door> closedAndLocked() {
    Machine<Door> m = Machine.of(SCHEMA).build();
    m.add(Closed);
    m.add(Locked);
    return m;
  }

  /**
   * Whether {@code s} is one consistent view: clocks odd exactly for active states, no active
   * state without its requirements, no two active states that remove each other.
   */
  static boolean consistent(Snapshot s) {
    long[] t = s.ticks();
    for (int i = 0; i < t.length; i++) {
      if (((t[i] & 1) == 1) != ((s.active() >>> i & 1) == 1)) return false;
    }
    if (s.is("Locked") && !s.is("Closed")) return false;
    return !(s.is("Open") && s.is("Closed"));
  }
}
