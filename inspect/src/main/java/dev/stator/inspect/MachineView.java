package dev.stator.inspect;

import dev.stator.Schema.SchemaData;
import dev.stator.Snapshot;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the inspector shows of one machine at one moment: its id, its schema, its active set and
 * clocks, its queue and its latest error. Immutable.
 *
 * @param id the machine's id, unique within its source
 * @param schema the schema as data
 * @param schemaHash the schema's hash ({@code Schema.hash()})
 * @param snapshot the active set, every clock and the queue tick
 * @param queueSize the mutations waiting in the queue ({@code 0} for a recorded machine)
 * @param lastError the latest error as {@code "class: message"}, or {@code null}
 * @param live whether the machine is open in this process (not only recorded)
 */
public record MachineView(String id, SchemaData schema, String schemaHash, Snapshot snapshot,
    int queueSize, @Nullable String lastError, boolean live) {
  /** Checks the values. */
  public MachineView {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(schemaHash, "schemaHash");
    Objects.requireNonNull(snapshot, "snapshot");
    if (queueSize < 0) throw new IllegalArgumentException("queue size must not be negative: "
        + queueSize);
  }
}
