package dev.stator.history;

import dev.stator.Tracer;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A bounded, live record of transitions, fed by its {@link #tracer()}: the latest
 * {@link Builder#capacity(int) capacity} transitions of every machine it is attached to, as
 * immutable {@link TransitionRecord}s.
 *
 * {@snippet :
 * History history = History.builder().capacity(10_000).build();
 * Machine<Conn> m = Machine.of(SCHEMA).tracer(history.tracer()).build();
 * m.add(Conn.Connecting);
 * Timeline t = history.recording().timeline(m.id());
 * t.latest("Connecting");                 // the record that activated it
 * t.snapshotAt(1);                        // the machine's state after transition 1
 * history.recording().write(writer);      // JSON lines, see Recording
 * }
 *
 * <h2>Thread safety and cost</h2>
 * Recording never blocks the machine: appending takes one atomic increment and one array
 * store, with no lock. Any thread may read at any time; {@link #recording()} copies the ring
 * into an immutable {@link Recording}. A record being appended while a copy is taken may be
 * missing from that copy. Memory is bounded by the capacity: the ring holds at most that many
 * records (about 100 bytes each plus 8 bytes per state when clocks change, plus the handler
 * calls when {@link Builder#handlers(boolean) recorded}); older ones are dropped and counted in
 * {@link #dropped()}. The per-transition cost is measured in {@code bench/} (see
 * {@code docs/telemetry.md}).
 *
 * <p>Memory effects: appending a record happens-before a {@link #recording()} that contains it.
 */
public final class History {
  /* Design: a ring of slots indexed by a global sequence; a writer claims a sequence number
   * with getAndIncrement and stores the record (which carries its sequence) in slot
   * seq % capacity. A reader takes `next`, walks the last `capacity` sequence numbers and keeps
   * the slots whose record has the expected sequence: a slot still holding an older record
   * (claimed, not yet written) or already a newer one (lapped) is skipped. Writers never wait
   * for each other or for readers. */

  private final AtomicReferenceArray<TransitionRecord> slots;
  private final int capacity;
  private final AtomicLong next = new AtomicLong(); // written by recorders, read by readers
  final InstantSource clock;
  final boolean handlers;
  final boolean timing;
  // With the system clock, wall time is an anchor plus System.nanoTime(): one clock read per
  // transition serves both the wall time and the duration (and allocates nothing).
  final boolean anchored;
  final long anchorWall; // epoch nanos at anchorNano
  final long anchorNano;

  private History(Builder b) {
    this.capacity = b.capacity;
    this.slots = new AtomicReferenceArray<>(capacity);
    this.clock = b.clock;
    this.handlers = b.handlers;
    this.timing = b.timing;
    this.anchored = b.clock.equals(InstantSource.system());
    this.anchorNano = System.nanoTime();
    this.anchorWall = TransitionRecord.epochNanos(java.time.Instant.now());
  }

  /** The wall time now in epoch nanoseconds, given {@code nanoTime} read now if anchored. */
  long wallNanos(long nanoTime) {
    return anchored ? anchorWall + (nanoTime - anchorNano)
        : TransitionRecord.epochNanos(clock.instant());
  }

  /** Starts configuring a history. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A new tracer that records into this history; add it to a machine with
   * {@code Machine.Builder.tracer}. One tracer may serve several machines (it keeps a small
   * state per machine, dropped when the machine closes), but one per machine is cheapest.
   */
  public Tracer tracer() {
    return new Recorder(this);
  }

  /** The most records kept. */
  public int capacity() {
    return capacity;
  }

  /** The number of records appended so far, dropped ones included. */
  public long appended() {
    return next.get();
  }

  /** The number of records dropped to stay within the capacity. */
  public long dropped() {
    return Math.max(0, next.get() - capacity);
  }

  /** An immutable copy of the records now kept, in sequence order. */
  public Recording recording() {
    long hi = next.get();
    long lo = Math.max(0, hi - capacity);
    List<TransitionRecord> out = new ArrayList<>((int) (hi - lo));
    for (long s = lo; s < hi; s++) {
      TransitionRecord r = slots.get((int) (s % capacity));
      if (r != null && r.sequence() == s) out.add(r);
    }
    return Recording.of(out, List.of(), lo);
  }

  /** Claims the next sequence number; the caller then {@link #publish}es its record. */
  long claim() {
    return next.getAndIncrement();
  }

  void publish(TransitionRecord r) {
    // A release store suffices: the record's fields are final, and a reader that sees it
    // acquires it through AtomicReferenceArray.get.
    slots.setRelease((int) (r.sequence() % capacity), r);
  }

  /**
   * Configuration of a {@link History}; validated as it is set. Not thread-safe.
   */
  public static final class Builder {
    private int capacity = 10_000;
    private InstantSource clock = InstantSource.system();
    private boolean handlers = true;
    private boolean timing = true;

    Builder() {}

    /**
     * The most records kept (default 10,000); older ones are dropped.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder capacity(int records) {
      if (records <= 0) {
        throw new IllegalArgumentException("history capacity must be positive: " + records);
      }
      this.capacity = records;
      return this;
    }

    /**
     * The source of wall time for {@link TransitionRecord#wallTime()} (default the system
     * clock, read as {@link System#nanoTime()} from an anchor taken when the history is built,
     * so that one clock read per transition serves the wall time and the duration; such times
     * do not follow later adjustments of the system clock); tests pass a fake one.
     */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Whether to record handler calls (default {@code true}). */
    public Builder handlers(boolean record) {
      this.handlers = record;
      return this;
    }

    /**
     * Whether to measure durations of transitions and handlers with {@link System#nanoTime()}
     * (default {@code true}); off, they read {@code 0}.
     */
    public Builder timing(boolean measure) {
      this.timing = measure;
      return this;
    }

    /** Builds the history. */
    public History build() {
      return new History(this);
    }
  }
}
