package dev.stator.inspect;

import dev.stator.Machine;
import dev.stator.Snapshot;
import dev.stator.history.History;
import dev.stator.history.Recording;
import dev.stator.history.Timeline;
import dev.stator.history.TransitionRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an {@link Inspector} gets what it shows: the machines, their recorded transitions and
 * the recording to export. The page and the HTTP API read only this interface, so a source over
 * machines of another process (through {@code stator-rpc}) can be added without changing them.
 *
 * <p>Two sources come with the module: {@link #live(History)}, over the open machines of this
 * process built with {@code Machine.Builder.listed()} and the transitions their
 * {@code History} tracer records, and {@link #of(Recording)}, over a fixed recording (for
 * example one read with {@link Recording#read}).
 *
 * <h2>Contract for implementers</h2>
 * Every method may be called from any thread at any time, concurrently (the server answers
 * requests on virtual threads, and a poller thread calls {@link #records(long)} and
 * {@link #nextSequence()}); implementations must be thread-safe and should not block for long.
 * Records carry the sequence numbers of their {@code History}: increasing across machines,
 * never reused. A live source's methods each read a moment of their own; two calls need not
 * agree (a transition may land between them).
 */
public interface InspectorSource {
  /** The machines, in a stable order (a machine keeps its place while it exists). */
  List<MachineView> machines();

  /** The machine {@code id}, if the source has it. */
  default Optional<MachineView> machine(String id) {
    Objects.requireNonNull(id, "id");
    for (MachineView m : machines()) {
      if (m.id().equals(id)) return Optional.of(m);
    }
    return Optional.empty();
  }

  /** The kept records of every machine with a sequence number of at least {@code from}. */
  List<TransitionRecord> records(long from);

  /** The kept records of machine {@code id} with a sequence number of at least {@code from}. */
  default List<TransitionRecord> records(String id, long from) {
    Objects.requireNonNull(id, "id");
    List<TransitionRecord> out = new ArrayList<>();
    for (TransitionRecord r : records(from)) {
      if (r.machineId().equals(id)) out.add(r);
    }
    return out;
  }

  /**
   * The sequence number the next record will have; a change means new records. A fixed source
   * returns a constant.
   */
  long nextSequence();

  /** Everything kept, as a recording (for export and time travel). */
  Recording recording();

  /** Whether the source can change (live machines) or is fixed (a recording). */
  boolean live();

  /**
   * Machine {@code id}'s active set and clocks right after transition {@code transitionId}, or
   * at the start of its timeline for {@code 0} (the state before its first kept record).
   *
   * @throws NoSuchElementException naming the machine or the transition if either is not kept
   */
  default Snapshot snapshotAt(String id, long transitionId) {
    Recording r = recording();
    if (r.machines().stream().noneMatch(m -> m.id().equals(id))) {
      Optional<MachineView> m = machine(id);
      if (m.isPresent() && transitionId == 0) return m.get().snapshot();
      throw new NoSuchElementException("machine " + id + " has no recorded transitions");
    }
    Timeline t = r.timeline(id);
    return transitionId == 0 ? t.start() : t.snapshotAt(transitionId);
  }

  /**
   * The open machines of this process listed with {@code Machine.Builder.listed()}
   * ({@link Machine#listed()}), and the transitions {@code history} recorded (attach its
   * {@link History#tracer()} to those machines); machines that closed stay visible as long as
   * the history keeps records of them.
   */
  static InspectorSource live(History history) {
    return new LiveSource(Objects.requireNonNull(history, "history"));
  }

  /** A fixed source over {@code recording}: its machines as they were after their last record. */
  static InspectorSource of(Recording recording) {
    return new RecordingSource(Objects.requireNonNull(recording, "recording"));
  }
}
