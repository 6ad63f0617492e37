package dev.stator;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Observes machines: mutations queued, transitions, handlers, close. Every method has a no-op
 * default; override the ones you need.
 *
 * <h2>Contract for implementers</h2>
 * <ul>
 *   <li>Methods are called on the thread that runs the transition (the machine's draining
 *       thread), inside the transition, one at a time per machine. {@link #mutationQueued} is
 *       called on the thread that queued the mutation.
 *   <li>Be fast and do not block: a tracer delays the machine it observes.
 *   <li>Do not throw. A throwing tracer is logged (once per tracer and method) and the
 *       transition carries on as if it had returned.
 *   <li>Do not mutate the machine from a tracer, and do not keep the {@link Event}: it is reused
 *       by the next transition. Copy what you need.
 *   <li>For a transition: {@code transitionStart}, then for each handler {@code handlerStart} and
 *       {@code handlerEnd}, then exactly one {@code transitionEnd}. A transition abandoned because
 *       a handler exceeded the handler timeout ends with {@code transitionEnd(e, false)} reported
 *       by the machine's new draining thread.
 *   <li>The scope hooks are called where the work happens: {@link #taskStarted} and
 *       {@link #taskEnded} on the task's own thread, {@link #resourceOpened} and {@link #contextHeld} on
 *       the thread that opened or held it (often a task), {@link #resourceClosed} and
 *       {@link #contextReleased} on the thread that closes the scope (the draining thread). So
 *       an implementer of those six must be thread-safe.
 * </ul>
 * A machine with several tracers calls them in the order they were added.
 */
public abstract class Tracer {
  /** A tracer that does nothing. */
  public static final Tracer NOOP = new Tracer() {};

  /** For subclasses. */
  protected Tracer() {}

  /** A machine was built. */
  public void machineStarted(Machine<?> machine) {}

  /** A machine was built from a snapshot, without running handlers. */
  public void machineRestored(Machine<?> machine, Snapshot snapshot) {}

  /**
   * A mutation was queued instead of running at once.
   *
   * @param machine the machine
   * @param kind the mutation's kind ({@code TOGGLE} is reported as the kind it will run as)
   * @param states the names of the called states
   * @param args the arguments
   */
  public void mutationQueued(Machine<?> machine, MutationKind kind, List<String> states,
      Args args) {}

  /** A transition passed resolution and its handlers are about to run. */
  public void transitionStart(Event<?> event) {}

  /** A handler is about to be called. */
  public void handlerStart(Event<?> event, String handler) {}

  /**
   * A handler returned or threw.
   *
   * @param accepted for negotiation handlers, whether it accepted the transition
   * @param failure what it threw, or {@code null}
   */
  public void handlerEnd(Event<?> event, String handler, boolean accepted,
      @Nullable Throwable failure) {}

  /**
   * A transition ended.
   *
   * @param executed whether it committed; {@code false} for a canceled one
   */
  public void transitionEnd(Event<?> event, boolean executed) {}

  /** A state scope was created (on first use, in a final handler). */
  public void scopeOpened(Machine<?> machine, StateScope<?> scope) {}

  /**
   * A state scope closed: its tasks ended (or outlived the bound) and its resources were
   * closed.
   *
   * @param failure the failures, as one exception with the others suppressed, or {@code null}
   */
  public void scopeClosed(Machine<?> machine, StateScope<?> scope, @Nullable Throwable failure) {}

  /**
   * A task of a state's scope started ({@link StateScope#fork}, {@link StateScope#call}); called
   * on the task's own thread before its body runs.
   */
  public void taskStarted(Machine<?> machine, StateScope<?> scope, String task) {}

  /**
   * A task of a state's scope ended, on the task's own thread after its body returned or threw.
   *
   * @param failure what the body threw, or {@code null} if it returned
   * @param cancelled whether it ended because it was cancelled (its scope ended or
   *     {@code Task.cancel}): an interrupt or a cancellation, not a failure of its own
   */
  public void taskEnded(Machine<?> machine, StateScope<?> scope, String task,
      @Nullable Throwable failure, boolean cancelled) {}

  /**
   * A resource became owned by a state's scope ({@link StateScope#open}), on the thread that
   * opened it; and, through {@link #contextHeld}'s default, a held context.
   *
   * @param resource the resource's class name, or a hold's name
   */
  public void resourceOpened(Machine<?> machine, StateScope<?> scope, String resource) {}

  /**
   * A resource of a scope was closed, on the thread closing the scope; and, through
   * {@link #contextReleased}'s default, a held context released.
   *
   * @param failure what its close threw, or {@code null}
   */
  public void resourceClosed(Machine<?> machine, StateScope<?> scope, String resource,
      @Nullable Throwable failure) {}

  /**
   * A context was entered and is held by a state's scope ({@link StateScope#hold}), on the
   * thread that called {@code hold}. The default reports it as
   * {@link #resourceOpened resourceOpened(machine, scope, name)}, so a tracer that does not tell
   * the two apart sees holds as resources.
   *
   * @param name the hold's name
   */
  public void contextHeld(Machine<?> machine, StateScope<?> scope, String name) {
    resourceOpened(machine, scope, name);
  }

  /**
   * A held context was exited (on its holder thread) as its scope closed, reported on the
   * thread closing the scope. The default reports it as
   * {@link #resourceClosed resourceClosed(machine, scope, name, failure)}.
   *
   * @param failure what its exit threw, or {@code null}
   */
  public void contextReleased(Machine<?> machine, StateScope<?> scope, String name,
      @Nullable Throwable failure) {
    resourceClosed(machine, scope, name, failure);
  }

  /** A machine closed; no transitions follow. */
  public void machineClosed(Machine<?> machine) {}

  /**
   * A tracer that logs one line per transition through {@link System.Logger} (logger name
   * {@code dev.stator.Machine}) at the given level: the mutation, the states added and removed,
   * and the new clocks of the states that changed, for example {@code [Conn#1] #2 add[Connecting]
   * +Session +Connecting -Disconnected (Session=1 Connecting=1 Disconnected=2)}.
   */
  public static Tracer log(System.Logger.Level level) {
    return new LogTracer(System.getLogger("dev.stator.Machine"), level);
  }

  /** As {@link #log(System.Logger.Level)}, writing to the given logger. */
  public static Tracer log(System.Logger logger, System.Logger.Level level) {
    return new LogTracer(java.util.Objects.requireNonNull(logger, "logger"),
        java.util.Objects.requireNonNull(level, "level"));
  }
}
