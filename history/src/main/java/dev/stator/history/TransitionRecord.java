package dev.stator.history;

import dev.stator.MutationKind;
import dev.stator.Snapshot;
import dev.stator.Status;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One recorded transition: which machine, which mutation, what changed, the clocks after it,
 * its result, and its handler calls. Immutable and safe to share between threads.
 *
 * <p>A refused ({@link Status#CANCELED}) transition changed nothing: its active set and clocks
 * after equal those before. States and clocks are in schema order; state names resolve through
 * {@link #machine()}.
 */
public final class TransitionRecord {
  /* Design: one record per transition is the unit every consumer reads (timelines, exports,
   * the inspector), so it is compact: masks instead of name lists (names resolve on demand).
   * Records are built when a History is copied (recording the transition allocates none);
   * the clocks array is the record's own, never written after construction, and copied on the
   * way out. */

  private final long sequence;
  private final MachineInfo machine;
  private final long transitionId;
  private final MutationKind kind;
  private final long called;
  private final @Nullable String source;
  private final long before;
  private final long after;
  private final long entered;
  private final long[] ticks; // after the transition; shared, never written
  private final Status status;
  private final @Nullable String reason;
  private final @Nullable String error;
  private final long wallNanos; // since the epoch
  private final long durationNanos;
  private final long queueTick;
  private final List<HandlerCall> handlers;
  private final Map<String, String> args;
  private final @Nullable String errorTrace;

  TransitionRecord(long sequence, MachineInfo machine, long transitionId, MutationKind kind,
      long called, @Nullable String source, long before, long after, long entered, long[] ticks,
      Status status, @Nullable String reason, @Nullable String error, long wallNanos,
      long durationNanos, long queueTick, List<HandlerCall> handlers, Map<String, String> args,
      @Nullable String errorTrace) {
    if (status == Status.QUEUED) throw new IllegalArgumentException("a record is never QUEUED");
    if (ticks.length != machine.names().size()) {
      throw new IllegalArgumentException("transition " + machine.id() + "/" + transitionId
          + " has " + ticks.length + " clocks for " + machine.names().size() + " states");
    }
    this.sequence = sequence;
    this.machine = machine;
    this.transitionId = transitionId;
    this.kind = Objects.requireNonNull(kind, "kind");
    this.called = called;
    this.source = source;
    this.before = before;
    this.after = status == Status.EXECUTED ? after : before;
    this.entered = status == Status.EXECUTED ? entered : 0;
    this.ticks = ticks;
    this.status = status;
    this.reason = reason;
    this.error = error;
    this.wallNanos = wallNanos;
    this.durationNanos = durationNanos;
    this.queueTick = queueTick;
    this.handlers = List.copyOf(handlers);
    this.args = args.isEmpty() ? Map.of()
        : Collections.unmodifiableMap(new LinkedHashMap<>(args));
    this.errorTrace = errorTrace;
  }

  /**
   * The mutation's arguments as text, by key name in the order given: each value through its
   * key's codec (cut at 1,024 characters), {@code <Type>} for a key without a codec (its value
   * is not recorded), or the codec's failure.
   */
  public Map<String, String> args() {
    return args;
  }

  /**
   * The stack trace of the error an error transition carried (cut at 8 KiB), or
   * {@code null}.
   */
  public @Nullable String errorTrace() {
    return errorTrace;
  }

  /** The record's position in its {@link History}, increasing across all its machines. */
  public long sequence() {
    return sequence;
  }

  /** The machine. */
  public MachineInfo machine() {
    return machine;
  }

  /** The machine's id. */
  public String machineId() {
    return machine.id();
  }

  /** The transition's number within its machine ({@code Event.transitionId()}). */
  public long transitionId() {
    return transitionId;
  }

  /** The mutation's kind as it ran. */
  public MutationKind kind() {
    return kind;
  }

  /** The called states, in schema order. */
  public List<String> called() {
    return machine.namesOf(called);
  }

  /** Where the mutation came from ({@code "<machine id>/<transition id>"}), or {@code null}. */
  public @Nullable String source() {
    return source;
  }

  /** The id of the machine whose transition caused this one, or {@code null}. */
  public @Nullable String sourceMachine() {
    int slash = source == null ? -1 : source.lastIndexOf('/');
    return slash < 0 ? null : source.substring(0, slash);
  }

  /** The id of the transition that caused this one, or {@code -1}. */
  public long sourceTransition() {
    int slash = source == null ? -1 : source.lastIndexOf('/');
    if (slash < 0) return -1;
    try {
      return Long.parseLong(source.substring(slash + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The states active before, in schema order. */
  public List<String> before() {
    return machine.namesOf(before);
  }

  /** The states active after (equal to {@link #before()} unless executed). */
  public List<String> after() {
    return machine.namesOf(after);
  }

  /** The states that became active. */
  public List<String> added() {
    return machine.namesOf(after & ~before);
  }

  /** The states that became inactive. */
  public List<String> removed() {
    return machine.namesOf(before & ~after);
  }

  /** The states entered: those added, and multi states entered again. */
  public List<String> entered() {
    return machine.namesOf(entered);
  }

  /** Whether {@code state} is active after the transition. */
  public boolean isActive(String state) {
    return (after >>> machine.indexOf(state) & 1) != 0;
  }

  /** Whether {@code state} was entered (activated, or entered again) by the transition. */
  public boolean entered(String state) {
    return (entered >>> machine.indexOf(state) & 1) != 0;
  }

  /** Whether {@code state} was deactivated by the transition. */
  public boolean removed(String state) {
    return ((before & ~after) >>> machine.indexOf(state) & 1) != 0;
  }

  /** The active states before, as a bit mask in schema order. */
  public long beforeMask() {
    return before;
  }

  /** The active states after, as a bit mask in schema order. */
  public long afterMask() {
    return after;
  }

  /** The called states, as a bit mask in schema order. */
  public long calledMask() {
    return called;
  }

  /** The entered states, as a bit mask in schema order. */
  public long enteredMask() {
    return entered;
  }

  /** The clocks after the transition, in schema order (a copy). */
  public long[] ticksAfter() {
    return ticks.clone();
  }

  /**
   * The clocks before the transition (a copy): each state that changed had one tick less, each
   * multi state entered again two less.
   */
  public long[] ticksBefore() {
    long[] out = ticks.clone();
    for (long m = before ^ after; m != 0; m &= m - 1) out[Long.numberOfTrailingZeros(m)] -= 1;
    for (long m = entered & before & after; m != 0; m &= m - 1) {
      out[Long.numberOfTrailingZeros(m)] -= 2;
    }
    return out;
  }

  /** The clock of {@code state} after the transition. */
  public long tick(String state) {
    return ticks[machine.indexOf(state)];
  }

  /** The machine's time after the transition: the sum of all clocks. */
  public long time() {
    long t = 0;
    for (long v : ticks) t += v;
    return t;
  }

  /** The machine's time before the transition. */
  public long timeBefore() {
    return time() - Long.bitCount(before ^ after) - 2L * Long.bitCount(entered & before & after);
  }

  /** {@link Status#EXECUTED} or {@link Status#CANCELED}. */
  public Status status() {
    return status;
  }

  /** Whether the transition committed. */
  public boolean executed() {
    return status == Status.EXECUTED;
  }

  /** Why a canceled transition was refused, or {@code null}. */
  public @Nullable String reason() {
    return reason;
  }

  /** The error an error transition carried, as {@code "class: message"}, or {@code null}. */
  public @Nullable String error() {
    return error;
  }

  /** When the transition started, by the history's clock. */
  public Instant wallTime() {
    return Instant.ofEpochSecond(Math.floorDiv(wallNanos, 1_000_000_000L),
        Math.floorMod(wallNanos, 1_000_000_000L));
  }

  /** {@link #wallTime()} in nanoseconds since the epoch. */
  public long wallNanos() {
    return wallNanos;
  }

  /** Nanoseconds since the epoch of {@code t}. */
  static long epochNanos(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }

  /** How long the transition ran, in nanoseconds ({@code 0} when timing is off). */
  public long durationNanos() {
    return durationNanos;
  }

  /**
   * The number of mutations the machine had processed after this transition, as far as the
   * recorder saw: mutations that changed nothing do not reach tracers, so this may be lower
   * than the machine's own queue tick.
   */
  public long queueTick() {
    return queueTick;
  }

  /** The handler calls, in the order they ran. */
  public List<HandlerCall> handlers() {
    return handlers;
  }

  /** The machine's state after the transition. */
  public Snapshot snapshot() {
    return new Snapshot(machine.schemaHash(), machine.names(), after, ticks, queueTick);
  }

  /** The machine's state before the transition. */
  public Snapshot snapshotBefore() {
    long q = kind == MutationKind.AUTO || kind == MutationKind.CLOSE ? queueTick
        : Math.max(0, queueTick - 1);
    return new Snapshot(machine.schemaHash(), machine.names(), before, ticksBefore(), q);
  }

  long[] sharedTicks() {
    return ticks;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TransitionRecord r && sequence == r.sequence
        && transitionId == r.transitionId && machine.equals(r.machine) && kind == r.kind
        && called == r.called && Objects.equals(source, r.source) && before == r.before
        && after == r.after && entered == r.entered && Arrays.equals(ticks, r.ticks)
        && status == r.status && Objects.equals(reason, r.reason)
        && Objects.equals(error, r.error) && wallNanos == r.wallNanos
        && durationNanos == r.durationNanos && queueTick == r.queueTick
        && handlers.equals(r.handlers) && args.equals(r.args)
        && Objects.equals(errorTrace, r.errorTrace);
  }

  @Override
  public int hashCode() {
    return Objects.hash(sequence, machine.id(), transitionId, after, wallNanos);
  }

  /** For example {@code Conn#1/2 add[Connecting] +Session +Connecting EXECUTED}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder().append(machine.id()).append('/').append(transitionId)
        .append(' ').append(kind.name().toLowerCase(java.util.Locale.ROOT)).append(called());
    for (String s : added()) sb.append(" +").append(s);
    for (String s : removed()) sb.append(" -").append(s);
    sb.append(' ').append(status);
    if (reason != null) sb.append(": ").append(reason);
    return sb.toString();
  }
}
