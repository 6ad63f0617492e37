package dev.stator;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The transition a handler or tracer is called for: which mutation, which states enter and
 * exit, its arguments.
 *
 * <p>An event is valid only during the call it is passed to: the machine reuses one instance
 * for all its transitions, so a handler must copy what it needs before returning and must not
 * hand the event to another thread.
 *
 * @param <S> the type that names a state
 */
public final class Event<S> {
  /* Written by the machine's draining thread before each transition (and before each handler
   * for `handler`); read by handlers and tracers on that same thread. Never shared. */
  private final MachineImpl<S> machine;
  MutationKind kind = MutationKind.ADD;
  long id;
  long called;
  long before;
  long after;
  long entering; // newly active plus multi states entered again
  Args args = Args.NONE;
  @Nullable String source;
  String handler = "";
  int state = -1; // the state of the handler being called, or -1 (any handlers)
  boolean finalPhase;
  String refusal = ""; // why the transition was refused, once it was
  long queueTick; // mutations processed before this transition
  long nanos; // the machine's time, once read in this transition (`timed`)
  boolean timed; // reset when the transition starts

  Event(MachineImpl<S> machine) {
    this.machine = machine;
  }

  /** The machine this transition belongs to. */
  public Machine<S> machine() {
    return machine;
  }

  /** The id of the machine, for tracers. */
  public String machineId() {
    return machine.id();
  }

  /** The kind of the mutation. */
  public MutationKind kind() {
    return kind;
  }

  /** The transition's number, unique and increasing within its machine. */
  public long transitionId() {
    return id;
  }

  /**
   * The machine's queue tick when this transition started: the number of mutations it had
   * processed before it ({@link Snapshot#queueTick()}).
   */
  public long queueTick() {
    return queueTick;
  }

  /**
   * The machine's time ({@code Builder.time}, spec TM1) in nanoseconds at the start of this
   * transition, for tracers measuring it: read from the machine's time at the first call in
   * this transition (a tracer's {@code transitionStart} makes it as the transition starts) and
   * the same value at every later call, so the tracers of one machine share one clock read and
   * a machine whose tracers never ask pays none.
   */
  public long nanoTime() {
    if (!timed) {
      nanos = machine.config.time.nanoTime();
      timed = true;
    }
    return nanos;
  }

  /**
   * Why the transition was refused ({@code "Locked requires Closed"}, {@code "handler
   * lockedEnter refused"}), for tracers at {@link Tracer#transitionEnd}; empty otherwise.
   */
  public String refusal() {
    return refusal;
  }

  /** The name of the handler being called, or an empty string outside handlers. */
  public String handler() {
    return handler;
  }

  /**
   * The scope of the handler's state (for {@code xState} the activation that just began; for
   * {@code xEnd} the one that just ended). Available in final handlers only.
   *
   * @throws IllegalStateException in negotiation handlers and in {@code anyState}
   */
  public StateScope<S> scope() {
    if (state < 0) {
      throw new IllegalStateException("handler " + handler + " belongs to no state; use "
          + "scope(state)");
    }
    return machine.scopeOf(state, finalPhase);
  }

  /**
   * The scope of an active state (or of one that exited in this transition). Available in final
   * handlers only.
   */
  public StateScope<S> scope(S state) {
    return machine.scopeOf(machine.schema.indexOf(state), finalPhase);
  }

  /** The mutation's arguments. */
  public Args args() {
    return args;
  }

  /** One argument, or {@code null} if absent. */
  public <T> @Nullable T arg(Key<T> key) {
    return args.get(key);
  }

  /** The error carried by an error mutation ({@link Machine#addError}), or {@code null}. */
  public @Nullable Throwable error() {
    return args.get(Key.ERROR);
  }

  /** Where the mutation came from: {@code "<machine id>/<transition id>"} when queued by a handler. */
  public @Nullable String source() {
    return source;
  }

  /** Whether {@code state} was named by the mutation. */
  public boolean isCalled(S state) {
    return (called >>> machine.schema.indexOf(state) & 1) != 0;
  }

  /** Whether {@code state} is being activated (or entered again, for a multi state). */
  public boolean isEntering(S state) {
    return (entering >>> machine.schema.indexOf(state) & 1) != 0;
  }

  /** Whether {@code state} is being deactivated. */
  public boolean isExiting(S state) {
    return ((before & ~after) >>> machine.schema.indexOf(state) & 1) != 0;
  }

  /** The states named by the mutation, in schema order. */
  public Set<S> called() {
    return setOf(called);
  }

  /** The names of the states named by the mutation, in schema order. */
  public List<String> calledNames() {
    return machine.schema.namesOf(called);
  }

  /** The names of the states active before the transition. */
  public List<String> beforeNames() {
    return machine.schema.namesOf(before);
  }

  /** The names of the states active after the transition, if it is executed. */
  public List<String> afterNames() {
    return machine.schema.namesOf(after);
  }

  /** The names of the states being activated or entered again. */
  public List<String> enteringNames() {
    return machine.schema.namesOf(entering);
  }

  /** The names of the states being deactivated. */
  public List<String> exitingNames() {
    return machine.schema.namesOf(before & ~after);
  }

  /**
   * The states named by the mutation, as a bit mask in schema order (bit i is state i of
   * {@code machine().schema()}; {@code Exception} for an error mutation); 0 for close.
   */
  public long calledMask() {
    return called;
  }

  /** The active states before the transition, as a bit mask in schema order. */
  public long beforeMask() {
    return before;
  }

  /** The active states after the transition, as a bit mask in schema order. */
  public long afterMask() {
    return after;
  }

  @Override
  public String toString() {
    return machine.id() + "/" + id + " " + kind.label() + calledNames();
  }

  private Set<S> setOf(long mask) {
    Set<S> out = new LinkedHashSet<>();
    for (long m = mask; m != 0; m &= m - 1) {
      S s = machine.schema.valueAt(Long.numberOfTrailingZeros(m));
      if (s != null) out.add(s);
    }
    return Collections.unmodifiableSet(out);
  }
}
