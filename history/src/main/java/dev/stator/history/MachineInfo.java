package dev.stator.history;

import dev.stator.Schema;
import dev.stator.Snapshot;
import java.util.List;
import java.util.Objects;

/**
 * A recorded machine: its id, its schema as data and the state it was in when recording began
 * (built, restored, or first seen).
 *
 * @param id the machine's id
 * @param schema the schema as data ({@link Schema#data()})
 * @param schemaHash {@link Schema#hash()}
 * @param start the machine's state when recording began
 */
public record MachineInfo(String id, Schema.SchemaData schema, String schemaHash, Snapshot start) {
  /** Checks that the parts agree. */
  public MachineInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(schemaHash, "schemaHash");
    Objects.requireNonNull(start, "start");
    if (start.names().size() != schema.states().size()) {
      throw new IllegalArgumentException("machine " + id + ": start snapshot has "
          + start.names().size() + " states, schema " + schema.name() + " has "
          + schema.states().size());
    }
  }

  /** The state names in schema order. */
  public List<String> names() {
    return start.names();
  }

  /** The schema's name (the machine's kind, in telemetry). */
  public String kind() {
    return schema.name();
  }

  /** The index of a state in schema order. */
  int indexOf(String state) {
    int i = names().indexOf(state);
    if (i < 0) {
      throw new IllegalArgumentException("unknown state '" + state + "' of machine " + id
          + " (schema " + schema.name() + ")");
    }
    return i;
  }

  /** The names of the states in {@code mask}, in schema order. */
  List<String> namesOf(long mask) {
    if (mask == 0) return List.of();
    List<String> names = names();
    String[] out = new String[Long.bitCount(mask)];
    int k = 0;
    for (long m = mask; m != 0; m &= m - 1) out[k++] = names.get(Long.numberOfTrailingZeros(m));
    return List.of(out);
  }

  /** The mask of the named states. */
  long maskOf(List<String> states) {
    long m = 0;
    for (String s : states) m |= 1L << indexOf(s);
    return m;
  }
}
