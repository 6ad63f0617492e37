package dev.stator.history;

import dev.stator.Snapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The recorded transitions of one machine, in order, with queries by machine time (the sum of
 * the clocks, {@link Snapshot#time()}) and by wall time ({@link TransitionRecord#wallTime()}),
 * and time travel: {@link #snapshotAt(long)} rebuilds the active set and clocks after any
 * recorded transition. Immutable and safe to share between threads.
 *
 * <p>The timeline begins at {@link #start()}: the state before its first record (the machine's
 * start, unless older records were dropped from the ring). Queries about moments before it
 * answer from {@code start()}. A state becomes active at the wall time of the transition that
 * activated it (the time its handlers began).
 *
 * {@snippet :
 * Timeline t = history.recording().timeline(machine.id());
 * t.activeAt("Connected", Instant.parse("2026-12-02T10:00:00Z"));   // was it active then?
 * t.activatedBetween("Connected", from, to);   // the transitions that activated it
 * Snapshot then = t.snapshotAt(42);             // the state after transition 42
 * Machine<Conn> replay = Machine.of(SCHEMA).restore(then).build();   // and continue from it
 * }
 */
public final class Timeline {
  private final MachineInfo machine;
  private final List<TransitionRecord> records;

  Timeline(MachineInfo machine, List<TransitionRecord> records) {
    this.machine = Objects.requireNonNull(machine, "machine");
    this.records = List.copyOf(records);
  }

  /** The machine. */
  public MachineInfo machine() {
    return machine;
  }

  /** The records, oldest first. */
  public List<TransitionRecord> records() {
    return records;
  }

  /** The state before the first record. */
  public Snapshot start() {
    return records.isEmpty() ? machine.start() : records.get(0).snapshotBefore();
  }

  /** The state after the last record. */
  public Snapshot end() {
    return records.isEmpty() ? machine.start() : records.get(records.size() - 1).snapshot();
  }

  /** Whether {@code state} was active at wall time {@code at}. */
  public boolean activeAt(String state, Instant at) {
    Objects.requireNonNull(at, "at");
    return isActive(lastAtOrBefore(at), state);
  }

  /** Whether {@code state} was active when the machine's time was {@code time}. */
  public boolean activeAt(String state, long time) {
    return isActive(lastAtOrBefore(time), state);
  }

  /**
   * The executed transitions that activated {@code state} (or entered it again, for a multi
   * state) with a wall time from {@code from} to {@code to}, both included.
   */
  public List<TransitionRecord> activatedBetween(String state, Instant from, Instant to) {
    checkRange(from, to);
    int i = machine.indexOf(state);
    List<TransitionRecord> out = new ArrayList<>();
    for (TransitionRecord r : records) {
      if ((r.enteredMask() >>> i & 1) != 0 && !r.wallTime().isBefore(from)
          && !r.wallTime().isAfter(to)) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * The executed transitions that activated {@code state} (or entered it again) and ended at a
   * machine time from {@code from} to {@code to}, both included.
   */
  public List<TransitionRecord> activatedBetween(String state, long from, long to) {
    if (from > to) throw new IllegalArgumentException("time range is reversed: " + from + " > " + to);
    int i = machine.indexOf(state);
    List<TransitionRecord> out = new ArrayList<>();
    for (TransitionRecord r : records) {
      long t = r.time();
      if ((r.enteredMask() >>> i & 1) != 0 && t >= from && t <= to) out.add(r);
    }
    return out;
  }

  /** Whether {@code state} was active at any moment from {@code from} to {@code to}. */
  public boolean activeBetween(String state, Instant from, Instant to) {
    return activeAt(state, from) || !activatedBetween(state, from, to).isEmpty();
  }

  /** Whether {@code state} was active at any machine time from {@code from} to {@code to}. */
  public boolean activeBetween(String state, long from, long to) {
    return activeAt(state, from) || !activatedBetween(state, from, to).isEmpty();
  }

  /** The latest executed transition that activated {@code state} (or entered it again). */
  public Optional<TransitionRecord> latest(String state) {
    int i = machine.indexOf(state);
    for (int k = records.size() - 1; k >= 0; k--) {
      TransitionRecord r = records.get(k);
      if ((r.enteredMask() >>> i & 1) != 0) return Optional.of(r);
    }
    return Optional.empty();
  }

  /** The records that match {@code filter}, oldest first. */
  public List<TransitionRecord> find(Predicate<? super TransitionRecord> filter) {
    Objects.requireNonNull(filter, "filter");
    List<TransitionRecord> out = new ArrayList<>();
    for (TransitionRecord r : records) {
      if (filter.test(r)) out.add(r);
    }
    return out;
  }

  /** The record of transition {@code transitionId}. */
  public Optional<TransitionRecord> transition(long transitionId) {
    for (TransitionRecord r : records) {
      if (r.transitionId() == transitionId) return Optional.of(r);
    }
    return Optional.empty();
  }

  /**
   * The machine's state right after transition {@code transitionId}: its active set, every
   * clock and (as far as recorded, see {@link TransitionRecord#queueTick()}) its queue tick.
   * The snapshot restores a fresh machine of the schema ({@code Machine.Builder.restore}).
   *
   * @throws NoSuchElementException if the transition is not in this timeline
   */
  public Snapshot snapshotAt(long transitionId) {
    return transition(transitionId).map(TransitionRecord::snapshot)
        .orElseThrow(() -> new NoSuchElementException("transition " + transitionId + " of "
            + machine.id() + " is not recorded; recorded: " + range()));
  }

  /** The machine's state at wall time {@code at}. */
  public Snapshot snapshotAt(Instant at) {
    TransitionRecord r = lastAtOrBefore(Objects.requireNonNull(at, "at"));
    return r == null ? start() : r.snapshot();
  }

  private String range() {
    return records.isEmpty() ? "none" : records.get(0).transitionId() + " to "
        + records.get(records.size() - 1).transitionId();
  }

  private @org.jspecify.annotations.Nullable TransitionRecord lastAtOrBefore(Instant at) {
    TransitionRecord found = null;
    for (TransitionRecord r : records) {
      if (r.wallTime().isAfter(at)) break;
      found = r;
    }
    return found;
  }

  private @org.jspecify.annotations.Nullable TransitionRecord lastAtOrBefore(long time) {
    TransitionRecord found = null;
    for (TransitionRecord r : records) {
      if (r.time() > time) break;
      found = r;
    }
    return found;
  }

  private boolean isActive(@org.jspecify.annotations.Nullable TransitionRecord r, String state) {
    int i = machine.indexOf(state);
    long active = r != null ? r.afterMask()
        : records.isEmpty() ? machine.start().active() : records.get(0).beforeMask();
    return (active >>> i & 1) != 0;
  }

  private static void checkRange(Instant from, Instant to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (from.isAfter(to)) {
      throw new IllegalArgumentException("time range is reversed: " + from + " > " + to);
    }
  }

  @Override
  public String toString() {
    return "Timeline[" + machine.id() + ", " + records.size() + " transitions]";
  }
}
