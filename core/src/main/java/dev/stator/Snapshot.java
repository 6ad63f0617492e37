package dev.stator;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An immutable, consistent view of a machine: its active states, the clock of every state and
 * the number of mutations processed, all from one point between two transitions.
 *
 * <p>A snapshot can restore a fresh machine of the same schema (see
 * {@link Machine.Builder#restore(Snapshot)}) without re-running handlers.
 *
 * @param schemaHash the {@link Schema#hash()} of the machine's schema
 * @param names the state names in schema order
 * @param active the active states as a bit mask in schema order
 * @param ticks the clock of every state, in schema order; odd means active
 * @param queueTick the number of mutations the machine had processed
 */
public record Snapshot(String schemaHash, List<String> names, long active, long[] ticks,
    long queueTick) {
  /** Copies the arrays and checks that the clocks agree with the active set. */
  public Snapshot {
    Objects.requireNonNull(schemaHash, "schemaHash");
    names = List.copyOf(names);
    ticks = ticks.clone();
    if (ticks.length != names.size()) {
      throw new IllegalArgumentException(
          "snapshot has " + ticks.length + " clocks for " + names.size() + " states");
    }
    for (int i = 0; i < ticks.length; i++) {
      boolean on = (active >>> i & 1) != 0;
      if (ticks[i] < 0 || (ticks[i] & 1) != (on ? 1 : 0)) {
        throw new IllegalArgumentException("snapshot clock of '" + names.get(i) + "' is "
            + ticks[i] + " but the state is " + (on ? "active" : "inactive"));
      }
    }
  }

  /** Whether the named state is active. */
  public boolean is(String state) {
    return (active >>> index(state) & 1) != 0;
  }

  /** The clock of the named state. */
  public long tick(String state) {
    return ticks[index(state)];
  }

  /** The clocks, copied. */
  @Override
  public long[] ticks() {
    return ticks.clone();
  }

  /** The sum of all clocks: the machine's time. */
  public long time() {
    long t = 0;
    for (long v : ticks) t += v;
    return t;
  }

  /** The names of the active states, in schema order. */
  public List<String> activeNames() {
    return names.stream().filter(n -> (active >>> names.indexOf(n) & 1) != 0).toList();
  }

  private int index(String state) {
    int i = names.indexOf(state);
    if (i < 0) throw new IllegalArgumentException("unknown state '" + state + "' in snapshot");
    return i;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Snapshot s && schemaHash.equals(s.schemaHash) && active == s.active
        && queueTick == s.queueTick && Arrays.equals(ticks, s.ticks) && names.equals(s.names);
  }

  @Override
  public int hashCode() {
    return Objects.hash(schemaHash, active, Arrays.hashCode(ticks), queueTick);
  }

  @Override
  public String toString() {
    return "Snapshot" + activeNames() + " t=" + time() + " q=" + queueTick;
  }
}
