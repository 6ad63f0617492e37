package dev.stator.history;

import dev.stator.Args;
import dev.stator.Event;
import dev.stator.Machine;
import dev.stator.MutationKind;
import dev.stator.Snapshot;
import dev.stator.StateScope;
import dev.stator.Status;
import dev.stator.Tracer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The tracer of a {@link History}: turns each transition into a {@link TransitionRecord}.
 * Called on the machines' draining threads, one call at a time per machine (the Tracer
 * contract), so a machine's {@link Track} needs no lock; different machines may call at once.
 */
final class Recorder extends Tracer {
  /* Design: the clocks are not in the Event, so each Track keeps the machine's clocks, taken
   * once from a snapshot at start (or restore, or first sight) and then advanced from the
   * masks of each executed transition: +1 for every state that changed, +2 for every multi
   * state entered again. A transition abandoned past the handler timeout may or may not have
   * committed, and the engine may not report its end at all (then the next transitionStart finds
   * the Track still open), so then the Track re-reads a snapshot. The Event is reused, so
   * transitionStart copies what the record needs. */

  private final History history;
  // The first machine's Track needs no lookup (one tracer per machine is the usual case).
  private final java.util.concurrent.atomic.AtomicReference<@Nullable Track> first =
      new java.util.concurrent.atomic.AtomicReference<>();
  private final ConcurrentHashMap<Machine<?>, Track> tracks = new ConcurrentHashMap<>();

  Recorder(History history) {
    this.history = history;
  }

  /** The state kept for one machine; used by its draining thread only. */
  static final class Track {
    final Machine<?> machine;
    final MachineInfo info;
    final HandlerName.Resolver names;
    long[] ticks; // the machine's clocks now; advanced in place (History.write copies them)
    long queueTick;
    // the transition in progress
    long wall; // epoch nanos
    long startNanos;
    @Nullable List<HandlerCall> calls;
    @Nullable String openHandler;
    long handlerStart;
    boolean open; // between transitionStart and its record
    long id;
    MutationKind kind = MutationKind.ADD;
    long called;
    @Nullable String source;
    long before;
    long after;
    long entered;
    Args args = Args.NONE;

    final long multi; // the schema's multi states

    Track(Machine<?> machine, MachineInfo info) {
      this.machine = machine;
      this.info = info;
      long m = 0;
      List<dev.stator.Schema.StateData> data = info.schema().states();
      for (int i = 0; i < data.size(); i++) {
        if (data.get(i).multi()) m |= 1L << i;
      }
      this.multi = m;
      this.names = HandlerName.resolver(info.names());
      this.ticks = info.start().ticks();
      this.queueTick = info.start().queueTick();
    }
  }

  @Override
  public void machineStarted(Machine<?> machine) {
    install(track(machine, machine.snapshot()));
  }

  @Override
  public void machineRestored(Machine<?> machine, Snapshot snapshot) {
    install(track(machine, snapshot));
  }

  private Track install(Track t) {
    Track f = first.get();
    if (f == null && first.compareAndSet(null, t)) return t;
    f = first.get();
    if (f != null && f.machine == t.machine) return f;
    Track raced = tracks.putIfAbsent(t.machine, t);
    return raced != null ? raced : t;
  }

  @Override
  public void machineClosed(Machine<?> machine) {
    tracks.remove(machine);
  }

  @Override
  public void transitionStart(Event<?> e) {
    Track t = trackOf(e.machine());
    if (t.open) abandoned(t, e.machine()); // the previous transition never ended
    t.open = true;
    long now = history.timing || history.anchored ? System.nanoTime() : 0;
    t.wall = history.wallNanos(now);
    t.startNanos = now;
    t.calls = null;
    t.openHandler = null;
    t.id = e.transitionId();
    t.kind = e.kind();
    t.called = e.kind() == MutationKind.CLOSE ? 0 : e.calledMask();
    t.source = e.source();
    t.before = e.beforeMask();
    t.after = e.afterMask();
    t.entered = enteredMask(t, e);
    t.args = e.args();
  }

  @Override
  public void handlerStart(Event<?> e, String handler) {
    if (!history.handlers) return;
    Track t = trackOf(e.machine());
    t.openHandler = handler;
    t.handlerStart = history.timing ? System.nanoTime() : 0;
  }

  @Override
  public void handlerEnd(Event<?> e, String handler, boolean accepted,
      @Nullable Throwable failure) {
    if (!history.handlers) return;
    Track t = trackOf(e.machine());
    long nanos = history.timing ? System.nanoTime() - t.handlerStart : 0;
    List<HandlerCall> calls = t.calls;
    if (calls == null) t.calls = calls = new ArrayList<>(4);
    calls.add(new HandlerCall(t.names.of(handler), Math.max(0, nanos), accepted, text(failure)));
    t.openHandler = null;
  }

  @Override
  public void transitionEnd(Event<?> e, boolean executed) {
    Track t = trackOf(e.machine());
    if (!t.open) return;
    if (t.openHandler != null) { // abandoned past the handler timeout and reported
      abandoned(t, e.machine());
      return;
    }
    long end = history.timing ? System.nanoTime() : 0;
    long[] ticks = t.ticks;
    if (executed) advance(ticks, t.before, t.after, t.entered);
    String reason = !executed && !e.refusal().isEmpty() ? e.refusal() : null;
    finish(t, executed ? Status.EXECUTED : Status.CANCELED, ticks, reason, e.error(), end);
  }

  /**
   * Records a transition whose handler was abandoned past the handler timeout: the machine
   * does not say whether it committed, so the Track re-reads the clocks. Called from the next
   * transitionStart (before that transition changes anything) when no transitionEnd came.
   */
  private void abandoned(Track t, Machine<?> machine) {
    long end = history.timing ? System.nanoTime() : 0;
    String open = t.openHandler;
    if (open != null && history.handlers) {
      List<HandlerCall> calls = t.calls;
      if (calls == null) t.calls = calls = new ArrayList<>(1);
      calls.add(new HandlerCall(t.names.of(open), Math.max(0, end - t.handlerStart), false,
          "timed out"));
    }
    Snapshot now = machine.snapshot();
    boolean committed = now.active() == t.after && t.after != t.before;
    finish(t, committed ? Status.EXECUTED : Status.CANCELED, now.ticks(),
        committed ? null : "handler " + open + " timed out", null, end);
  }

  private void finish(Track t, Status status, long[] ticks, @Nullable String reason,
      @Nullable Throwable error, long end) {
    t.ticks = ticks;
    if (t.kind != MutationKind.AUTO && t.kind != MutationKind.CLOSE) t.queueTick++;
    List<HandlerCall> calls = t.calls;
    history.write(history.claim(), t.info, t.id, t.kind, t.called, t.source, t.before, t.after,
        t.entered, ticks, status, reason, text(error), error, t.args, t.wall,
        Math.max(0, end - t.startNanos), t.queueTick, calls == null ? List.of() : calls);
    t.calls = null;
    t.args = Args.NONE;
    t.openHandler = null;
    t.open = false;
  }

  private Track trackOf(Machine<?> machine) {
    Track t = first.get();
    if (t != null && t.machine == machine) return t;
    t = tracks.get(machine);
    if (t == null) t = install(track(machine, machine.snapshot())); // first seen now
    return t;
  }

  private static Track track(Machine<?> machine, Snapshot start) {
    return new Track(machine, new MachineInfo(machine.id(), machine.schema().data(),
        machine.schema().hash(), start));
  }

  /** Advances {@code ticks} in place over an executed transition. */
  static void advance(long[] ticks, long before, long after, long entered) {
    for (long m = before ^ after; m != 0; m &= m - 1) ticks[Long.numberOfTrailingZeros(m)] += 1;
    for (long m = entered & before & after; m != 0; m &= m - 1) {
      ticks[Long.numberOfTrailingZeros(m)] += 2;
    }
  }

  /**
   * The states entered: those activated, plus called multi states that were active (spec:
   * a multi state called while active is entered again). Masks only, no allocation.
   */
  private static long enteredMask(Track t, Event<?> e) {
    long fresh = e.afterMask() & ~e.beforeMask();
    MutationKind k = e.kind();
    if (k == MutationKind.REMOVE || k == MutationKind.CLOSE) return fresh;
    return fresh | (t.called & e.beforeMask() & e.afterMask() & t.multi);
  }

  /** The most characters of an error's text a record keeps, so that a record's size is bounded. */
  static final int MAX_TEXT = 1024;

  static @Nullable String text(@Nullable Throwable t) {
    if (t == null) return null;
    String msg = t.getMessage();
    String s = msg == null ? t.getClass().getName() : t.getClass().getName() + ": " + msg;
    return cut(s, MAX_TEXT);
  }

  /** {@code s}, or its first {@code max - 1} characters and an ellipsis. */
  static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "\u2026";
  }

  // ------------------------------------------------------------ scopes (any thread)

  @Override
  public void taskStarted(Machine<?> machine, StateScope<?> scope, String task) {
    history.scope(machine.id(), scope, ScopeEvent.Kind.TASK_STARTED, task, null);
  }

  @Override
  public void taskEnded(Machine<?> machine, StateScope<?> scope, String task,
      @Nullable Throwable failure, boolean cancelled) {
    history.scope(machine.id(), scope, cancelled ? ScopeEvent.Kind.TASK_CANCELLED
        : ScopeEvent.Kind.TASK_ENDED, task, cancelled ? null : failure);
  }

  @Override
  public void resourceOpened(Machine<?> machine, StateScope<?> scope, String resource) {
    history.scope(machine.id(), scope, ScopeEvent.Kind.RESOURCE_OPENED, resource, null);
  }

  @Override
  public void resourceClosed(Machine<?> machine, StateScope<?> scope, String resource,
      @Nullable Throwable failure) {
    history.scope(machine.id(), scope, ScopeEvent.Kind.RESOURCE_CLOSED, resource, failure);
  }

  @Override
  public void contextHeld(Machine<?> machine, StateScope<?> scope, String name) {
    history.scope(machine.id(), scope, ScopeEvent.Kind.CONTEXT_HELD, name, null);
  }

  @Override
  public void contextReleased(Machine<?> machine, StateScope<?> scope, String name,
      @Nullable Throwable failure) {
    history.scope(machine.id(), scope, ScopeEvent.Kind.CONTEXT_RELEASED, name, failure);
  }
}
