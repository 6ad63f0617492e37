package dev.stator.history;

import dev.stator.Args;
import dev.stator.MutationKind;
import dev.stator.Status;
import dev.stator.Tracer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

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
 * Recording never blocks the machine and allocates nothing in the steady state: appending
 * takes one atomic increment, one compare-and-set and plain stores into a preallocated slot,
 * with no lock; the immutable records are built when a copy is taken. Any thread may read at any time; {@link #recording()} copies the ring
 * into an immutable {@link Recording}. A record being appended while a copy is taken may be
 * missing from that copy. Memory is bounded by the capacity: the ring holds at most that many
 * records (a slot of about 150 bytes plus 8 bytes per state, preallocated, plus the handler
 * calls when {@link Builder#handlers(boolean) recorded}: at most one per handler the
 * transition ran, about 40 bytes each); an error's text is cut at 1,024 characters, so no
 * record grows without bound. Older records are dropped and counted in {@link #dropped()}. The per-transition cost is measured in {@code bench/} (see
 * {@code docs/telemetry.md}).
 *
 * <p>Memory effects: appending a record happens-before a {@link #recording()} that contains it.
 * A copy holds each record whole or not at all.
 */
public final class History {
  /* Design: a ring of preallocated slots indexed by a global sequence, so that recording
   * allocates nothing in the steady state (the records are built when a reader copies the
   * ring). A writer claims a sequence number with getAndIncrement, then owns slot
   * seq % capacity with one CAS of the slot's version from an even value (2 * seq' + 2 for
   * the record seq' it holds, 0 when empty) to the odd 2 * seq + 1, writes the fields with
   * plain stores (the clocks into the slot's own array), and publishes with a release store of
   * 2 * seq + 2. A reader is a seqlock reader: it reads the version (acquire), copies the
   * fields, fences (acquireFence) and re-reads the version; a slot whose version is not the
   * expected 2 * seq + 2 both times (not yet written, being rewritten, or lapped) is skipped.
   * A writer that finds its slot being written by another writer, or already holding a newer
   * record (the ring lapped it mid-write), drops its record (counted in lost) rather than
   * wait. */

  private final Slot[] slots;
  private final int capacity;
  private final AtomicLong next = new AtomicLong(); // written by recorders, read by readers
  private final LongAdder lost = new LongAdder(); // records a writer gave up on
  // Scope events come from task threads as well as drainers, and are rare next to
  // transitions: a small ring under its own monitor, of immutable events.
  private final ScopeEvent[] scopeRing;
  private long scopeNext; // guarded by scopeRing
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
    this.slots = new Slot[capacity];
    this.scopeRing = new ScopeEvent[b.scopes];
    for (int i = 0; i < capacity; i++) slots[i] = new Slot();
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

  /**
   * The number of records dropped: to stay within the capacity, and (rarely) when a writer
   * found its slot taken by a writer that lapped the ring.
   */
  public long dropped() {
    return Math.max(0, next.get() - capacity) + lost.sum();
  }

  /**
   * An immutable copy of the records now kept, in sequence order, with the scope events
   * kept.
   */
  public Recording recording() {
    return recording(0);
  }

  /**
   * As {@link #recording()}, with only the records of sequence {@code from} or later (and all
   * scope events kept): what a reader that has seen the records before {@code from} needs.
   */
  public Recording recording(long from) {
    long hi = next.get();
    long lo = Math.max(Math.max(0, from), Math.max(0, hi - capacity));
    List<TransitionRecord> out = new ArrayList<>((int) (hi - lo));
    for (long seq = lo; seq < hi; seq++) {
      TransitionRecord r = slots[(int) (seq % capacity)].read(seq);
      if (r != null) out.add(r);
    }
    return Recording.of(out, List.of(), Math.max(0, hi - capacity), scopeEvents());
  }

  /** Appends a scope event; called by the recorders from any thread. Never waits for long. */
  void scope(String machineId, dev.stator.StateScope<?> scope, ScopeEvent.Kind kind, String name,
      @Nullable Throwable failure) {
    if (scopeRing.length == 0) return;
    long wall = wallNanos(System.nanoTime());
    synchronized (scopeRing) {
      long seq = scopeNext++;
      scopeRing[(int) (seq % scopeRing.length)] = new ScopeEvent(seq, machineId, scope.state(),
          scope.activation(), kind, name, wall, Recorder.text(failure));
    }
  }

  /** The scope events kept, oldest first. */
  public List<ScopeEvent> scopeEvents() {
    synchronized (scopeRing) {
      int n = (int) Math.min(scopeNext, scopeRing.length);
      List<ScopeEvent> out = new ArrayList<>(n);
      for (long seq = scopeNext - n; seq < scopeNext; seq++) {
        out.add(scopeRing[(int) (seq % scopeRing.length)]);
      }
      return List.copyOf(out);
    }
  }

  /** Claims the next sequence number; the caller then {@link #write}s its record. */
  long claim() {
    return next.getAndIncrement();
  }

  /** Stores record {@code seq}; {@code ticks} is copied. Never waits. */
  void write(long seq, MachineInfo machine, long transitionId, MutationKind kind, long called,
      @Nullable String source, long before, long after, long entered, long[] ticks,
      Status status, @Nullable String reason, @Nullable String error, @Nullable Throwable cause,
      Args args, long wallNanos, long durationNanos, long queueTick, List<HandlerCall> handlers) {
    Slot s = slots[(int) (seq % capacity)];
    long v = (long) Slot.VERSION.getAcquire(s);
    long mine = 2 * seq + 2;
    if ((v & 1) != 0 || v >= mine || !Slot.VERSION.compareAndSet(s, v, mine - 1)) {
      lost.increment();
      return;
    }
    s.machine = machine;
    s.transitionId = transitionId;
    s.kind = kind;
    s.called = called;
    s.source = source;
    s.before = before;
    s.after = after;
    s.entered = entered;
    long[] t = s.ticks;
    if (t.length != ticks.length) s.ticks = t = new long[ticks.length];
    System.arraycopy(ticks, 0, t, 0, ticks.length);
    s.status = status;
    s.reason = reason;
    s.error = error;
    s.cause = cause;
    s.args = args;
    s.wallNanos = wallNanos;
    s.durationNanos = durationNanos;
    s.queueTick = queueTick;
    s.handlers = handlers;
    Slot.VERSION.setRelease(s, mine);
  }

  /** One place of the ring; see the design note. */
  private static final class Slot {
    static final VarHandle VERSION;

    static {
      try {
        VERSION = MethodHandles.lookup().findVarHandle(Slot.class, "version", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    @SuppressWarnings("unused") // through VERSION
    private long version; // 2 * seq + 2 when it holds record seq; odd while written; 0 empty
    // written by the owning writer between the two version stores; read by seqlock readers
    @Nullable MachineInfo machine;
    long transitionId;
    MutationKind kind = MutationKind.ADD;
    long called;
    @Nullable String source;
    long before;
    long after;
    long entered;
    long[] ticks = new long[0];
    Status status = Status.EXECUTED;
    @Nullable String reason;
    @Nullable String error;
    @Nullable Throwable cause; // rendered to a stack trace by readers
    Args args = Args.NONE; // rendered through the codecs by readers
    long wallNanos;
    long durationNanos;
    long queueTick;
    List<HandlerCall> handlers = List.of();

    /** Record {@code seq}, or null if the slot does not hold it whole right now. */
    @Nullable TransitionRecord read(long seq) {
      long expect = 2 * seq + 2;
      if ((long) VERSION.getAcquire(this) != expect) return null;
      MachineInfo m = machine;
      long id = transitionId;
      MutationKind k = kind;
      long c = called;
      String src = source;
      long b = before;
      long a = after;
      long en = entered;
      long[] t = ticks.clone();
      Status st = status;
      String rs = reason;
      String er = error;
      Throwable cs = cause;
      Args as = args;
      long w = wallNanos;
      long d = durationNanos;
      long q = queueTick;
      List<HandlerCall> h = handlers;
      VarHandle.acquireFence(); // the reads above happen before the version check below
      if ((long) VERSION.getAcquire(this) != expect || m == null || t.length != m.names().size()) {
        return null;
      }
      return new TransitionRecord(seq, m, id, k, c, src, b, a, en, t, st, rs, er, w, d, q, h,
          Details.args(as), Details.trace(cs));
    }
  }

  /**
   * Configuration of a {@link History}; validated as it is set. Not thread-safe.
   */
  public static final class Builder {
    private int capacity = 10_000;
    private InstantSource clock = InstantSource.system();
    private boolean handlers = true;
    private boolean timing = true;
    private int scopes = 1_000;

    Builder() {}

    /**
     * The most scope events kept (tasks started and ended, resources opened and closed; default
     * 1,000); {@code 0} records none.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder scopes(int events) {
      if (events < 0) {
        throw new IllegalArgumentException("history scope capacity must not be negative: "
            + events);
      }
      this.scopes = events;
      return this;
    }

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
