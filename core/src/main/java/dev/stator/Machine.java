package dev.stator;

import java.lang.invoke.MethodHandles;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * One instance of a {@link Schema}: a set of active states with a clock per state, changed only
 * by atomic transitions whose handlers run one at a time.
 *
 * {@snippet :
 * enum Door { Open, Closed, Locked }
 * Schema<Door> schema = Schema.of(Door.class)
 *     .state(Door.Open, s -> s.remove(Door.Closed, Door.Locked))
 *     .state(Door.Closed, s -> s.remove(Door.Open))
 *     .state(Door.Locked, s -> s.require(Door.Closed))
 *     .build();
 * try (Machine<Door> door = Machine.of(schema).build()) {
 *   door.add(Door.Closed);
 *   door.add(Door.Locked);   // EXECUTED: Closed is active
 *   door.add(Door.Open);     // EXECUTED: removes Closed, and Locked with it
 * }
 * }
 *
 * <h2>Mutations</h2>
 * {@code add}, {@code remove}, {@code set}, {@code toggle} and {@code addError} resolve the
 * called states against the relations (see {@code docs/spec.md}) and run the transition. The
 * thread that finds the machine idle runs the mutation and then every mutation queued meanwhile;
 * a mutation made while the machine is busy (including from a handler) is queued and returns a
 * {@link Result} whose status is {@code QUEUED}. Queued mutations run in FIFO order, after any
 * error and {@code auto} mutation the previous transition produced.
 *
 * <h2>Reads</h2>
 * {@link #is}, {@link #not}, {@link #any}, {@link #active()}, {@link #tick} and
 * {@link #snapshot()} never block and never see half a transition: a reader on another thread
 * sees the active set and clocks either before or after a transition.
 *
 * <h2>Thread safety</h2>
 * Every method may be called from any thread. Memory effects: actions of a thread before a
 * mutation happen-before the handlers of that mutation; a transition's commit and its handlers
 * happen-before a read that observes its result and before the completion of its
 * {@link Result}. With {@link Builder#confined()} every handler runs on one owner thread.
 *
 * <h2>Closing</h2>
 * {@link #close()} refuses further mutations with {@link MachineClosedException}, and completes
 * queued ones exceptionally with it. A transition already running finishes.
 *
 * @param <S> the type that names a state
 */
public sealed interface Machine<S> extends AutoCloseable permits MachineBase {

  /** Starts building a machine of {@code schema}. */
  static <S> Builder<S> of(Schema<S> schema) {
    return new Builder<>(schema);
  }

  /**
   * The open machines built with {@link Builder#listed()}, in creation order, for inspectors
   * and diagnostics. The list is weakly held: it never keeps a machine alive.
   */
  static List<Machine<?>> listed() {
    return LiveMachines.live();
  }

  /** The machine's id, unique within this process. */
  String id();

  /** The machine's schema. */
  Schema<S> schema();

  // ------------------------------------------------------------ mutations

  /** Activates {@code state}; see the class comment for the result. */
  Result add(S state);

  /** Activates {@code state} with arguments. */
  Result add(S state, Args args);

  /** Activates several states in one transition; their order is kept (see the spec). */
  Result add(Collection<? extends S> states, Args args);

  /**
   * Activates several states in one transition, in the order named: {@code add(A, B)} is
   * {@code add(List.of(A, B), Args.NONE)}. A single state goes to {@link #add(Object)}, which
   * allocates nothing.
   *
   * @param first the first state
   * @param second the second state
   * @param more further states
   * @return the result, as for {@link #add(Object)}
   */
  @SuppressWarnings("unchecked") // the implementation only reads the array
  Result add(S first, S second, S... more);

  /** Deactivates {@code state}. */
  Result remove(S state);

  /** Deactivates {@code state} with arguments. */
  Result remove(S state, Args args);

  /** Deactivates several states in one transition. */
  Result remove(Collection<? extends S> states, Args args);

  /**
   * Deactivates several states in one transition: {@code remove(A, B)} is
   * {@code remove(List.of(A, B), Args.NONE)}.
   *
   * @param first the first state
   * @param second the second state
   * @param more further states
   * @return the result, as for {@link #remove(Object)}
   */
  @SuppressWarnings("unchecked") // the implementation only reads the array
  Result remove(S first, S second, S... more);

  /** Makes {@code states} exactly the active set (subject to relations) in one transition. */
  Result set(Collection<? extends S> states, Args args);

  /** Makes {@code state} the only active state (subject to relations). */
  Result set(S state);

  /**
   * Makes {@code states} exactly the active set (subject to relations) in one transition, in the
   * order named: {@code set(A, B)} is {@code set(List.of(A, B), Args.NONE)}.
   *
   * @param first the first state
   * @param second the second state
   * @param more further states
   * @return the result, as for {@link #set(Object)}
   */
  @SuppressWarnings("unchecked") // the implementation only reads the array
  Result set(S first, S second, S... more);

  /**
   * Removes {@code state} if it is active when the mutation runs, and adds it otherwise. The
   * decision is taken when the mutation runs, not when it is queued.
   */
  Result toggle(S state);

  /**
   * Activates the built-in {@code Exception} state (again: it is {@code multi}) carrying
   * {@code error}, readable by handlers as {@link Event#error()}. Runs before other queued
   * mutations when called from a handler.
   */
  Result addError(Throwable error);

  /** Activates {@code errorState} and {@code Exception} carrying {@code error}. */
  Result addError(S errorState, Throwable error);

  /** Deactivates the built-in {@code Exception} state. */
  Result removeError();

  // ------------------------------------------------------------ reads

  /** Whether {@code state} is active. Lock-free. */
  boolean is(S state);

  /** Whether all of {@code states} are active, read atomically. */
  boolean is(Collection<? extends S> states);

  /** Whether {@code state} is inactive. */
  boolean not(S state);

  /** Whether any of {@code states} is active, read atomically. */
  boolean any(Collection<? extends S> states);

  /** Whether the built-in {@code Exception} state is active. */
  boolean hasError();

  /** The error of the latest error mutation, or {@code null}. */
  @Nullable Throwable lastError();

  /** The active states that can be named with {@code S}, in schema order. */
  Set<S> active();

  /** The names of the active states in schema order, {@code Exception} included. */
  List<String> activeNames();

  /** The clock of {@code state}: odd while active; +1 per activation and deactivation. */
  long tick(S state);

  /** A consistent copy of the active set, all clocks and the queue tick. */
  Snapshot snapshot();

  /** The number of mutations waiting in the queue. */
  int queueSize();

  // ------------------------------------------------------------ waits

  /** A wait that completes when {@code state} is active (at once if it is now). */
  Wait when(S state);

  /** A wait that completes after a transition leaves all of {@code states} active. */
  Wait when(Collection<? extends S> states);

  /** A wait that completes when {@code state} is inactive (at once if it is now). */
  Wait whenNot(S state);

  /** A wait that completes after a transition leaves all of {@code states} inactive. */
  Wait whenNot(Collection<? extends S> states);

  /**
   * A wait that completes when the clock of {@code state} has grown by {@code ticks} from now
   * (2 per activation of a state, 2 per re-entry of a multi state).
   *
   * @throws IllegalArgumentException if {@code ticks} is not positive
   */
  Wait whenTicks(S state, long ticks);

  /**
   * A wait that completes when every clock has reached the one in {@code time} (a snapshot of
   * this machine or of a machine of the same schema).
   */
  Wait whenTime(Snapshot time);

  /**
   * A wait that completes at the next transition in which {@code state} activates (or, if it
   * is {@code multi}, is entered again) through a mutation whose arguments
   * {@linkplain Args#includes include} {@code expected}: every argument of {@code expected},
   * each with an equal value; others do not matter, and {@link Args#NONE} matches any
   * activation. The activation in progress when it is called does not count: a state active
   * now completes it only by activating again. An activation that begins after this method
   * returns counts; one that commits while it runs may or may not. A state pulled in by a
   * relation ({@code add}) activates with the arguments of the mutation that pulled it; an
   * {@code auto} activation carries none. On a remote machine the condition is evaluated by the
   * server, with {@code expected} encoded by its keys' codecs.
   *
   * @throws IllegalArgumentException if {@code state} is not in the schema, or (on a remote
   *     machine) an argument's key has no codec
   */
  Wait whenArgs(S state, Args expected);

  /** A wait that completes when {@code result} (a ticket of this machine) has been processed. */
  Wait whenQueue(Result result);

  /** A wait that completes when {@code Exception} is active, or activates again from now. */
  Wait whenError();

  /** A wait that completes when the machine is closed. */
  Wait whenClosed();

  /**
   * A wait that completes when the machine is idle: nothing queued and no transition running
   * (in confined mode, the owner thread waiting for work). At once if it is idle now. Tests use
   * it to wait for a machine to settle without sleeping (spec TM7); it says nothing about scope
   * tasks, which may still run and mutate later. Fails with {@link MachineClosedException} on a
   * closed machine, as every wait does (W6).
   *
   * @throws UnsupportedOperationException on a machine that cannot tell (a mirror)
   */
  Wait whenIdle();

  // ------------------------------------------------------------ delayed mutations

  /**
   * Delayed mutations: {@code after(Duration.ofSeconds(5)).add(Timeout)} adds {@code Timeout}
   * once 5 s have passed on the machine's {@link Time}, through the queue like any other
   * mutation, and returns a {@link Delayed} that can be cancelled and awaited. Made through a
   * state scope's machine ({@code e.scope().machine().after(d)}), the mutation belongs to that
   * scope and is cancelled when it ends. A machine that closes first cancels it. See spec §13.
   *
   * @param delay how long to wait; zero queues the mutation as soon as the time's thread runs
   * @return the delayed mutations of this machine with this delay
   * @throws IllegalArgumentException if {@code delay} is negative
   * @throws UnsupportedOperationException on a machine without delayed mutations (a mirror)
   */
  Later<S> after(Duration delay);

  /** Whether {@link #close()} has been called. */
  boolean isClosed();

  /**
   * Closes the machine. Idempotent; callable from any thread, from a handler and from a scope's
   * task.
   *
   * <p>From the call on, new mutations throw {@link MachineClosedException} and new waits fail
   * with it. The transition running now (if any) finishes; then the machine runs its <em>close
   * transition</em>: the exit handlers of every active state run in reverse handler order (their
   * return value is ignored: close cannot be refused), the active set becomes empty (each
   * exiting state's clock ticks), the end handlers run in reverse order, and every scope is
   * ended and closed in reverse order (tasks interrupted and awaited, resources closed). Then
   * queued tickets fail with {@code MachineClosedException}, pending waits fail, and
   * {@link #whenClosed()} completes. A mutation submitted concurrently with close either throws
   * without having run, or ran and reports its outcome: it is never reported refused after it
   * ran.
   *
   * <p>Called from a handler, close returns at once and the close transition runs when the
   * running transition ends. Called from another thread while a transition runs, it waits for
   * the close to finish up to the handler timeout plus the scope close timeout; past that it
   * interrupts the draining thread, fails pending waits and returns (the drainer finishes the
   * close when its handler returns). Its own wait is not cut short by an interrupt of the
   * calling thread (the interrupt status is kept). Handlers that throw during close are logged,
   * not recorded as {@code Exception}.
   */
  @Override
  void close();

  // ------------------------------------------------------------ builder

  /**
   * Configures and builds a machine. Options are validated when set, with messages that show
   * the bad value. Not thread-safe; used by one thread.
   *
   * @param <S> the type that names a state
   */
  final class Builder<S> {
    final Schema<S> schema;
    @Nullable String id;
    final List<Binder.Source> handlers = new ArrayList<>();
    final List<Tracer> tracers = new ArrayList<>();
    boolean confined;
    @Nullable ThreadFactory threadFactory;
    @Nullable Duration handlerTimeout = Duration.ofSeconds(1);
    int queueLimit = 100_000;
    Duration scopeCloseTimeout = Duration.ofSeconds(1);
    boolean listed;
    final List<java.util.function.UnaryOperator<Runnable>> carriers = new ArrayList<>();
    @Nullable Snapshot restore;
    Time time = Time.system();
    private Binder.@Nullable Lambdas lambdas;

    Builder(Schema<S> schema) {
      this.schema = Objects.requireNonNull(schema, "schema");
    }

    /**
     * Sets the machine's id (default: the schema name, {@code #} and a process-wide counter).
     * Ids chosen here must be unique among live machines; this is not checked.
     */
    public Builder<S> id(String id) {
      Objects.requireNonNull(id, "id");
      if (id.isBlank()) throw new IllegalArgumentException("machine id must not be blank");
      this.id = id;
      return this;
    }

    /**
     * Binds the handler methods of {@code target}: each method that takes one {@link Event}
     * parameter must be named after states of the schema ({@code connectedEnter},
     * {@code connectedExit}, {@code connectedState}, {@code connectedEnd}, pair
     * {@code readyWorking}, self {@code workingWorking}, {@code anyEnter}, {@code anyState}).
     * A method with such a name and no parameter ({@code void connectedState()}) is bound too,
     * and does not see the event. Several targets run in the order they were bound.
     *
     * @param target the object whose handler methods are bound
     * @return this builder
     * @throws IllegalArgumentException naming the method (and suggesting the nearest handler
     *     name), if a method that takes an {@code Event} names no state, a method without
     *     parameters looks like a misspelled handler ({@code conectedState}), a name is
     *     ambiguous, or a handler has a wrong return type (spec P8)
     */
    public Builder<S> handlers(Object target) {
      return handlers(target, MethodHandles.lookup());
    }

    /**
     * As {@link #handlers(Object)}, with a lookup from the target's module for targets in named
     * modules that do not open their package to {@code dev.stator.core}.
     */
    public Builder<S> handlers(Object target, MethodHandles.Lookup lookup) {
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(lookup, "lookup");
      lambdas = null;
      handlers.add(Binder.bind(schema, target, lookup));
      return this;
    }

    /**
     * Registers a negotiation handler run when {@code state} is about to activate; it returns
     * {@code false} to refuse the transition ({@code onEnter(X, e -> ready)}). For a handler that
     * only looks and never refuses ({@code e -> log(e)}), use {@link #onEntering}.
     *
     * @param state the state
     * @param handler returns whether the transition may go on
     * @return this builder
     */
    public Builder<S> onEnter(S state, Predicate<? super Event<S>> handler) {
      gate(Binder.ENTER, schema.indexOf(state), -1, handler);
      return this;
    }

    /*
     * Why onEntering and not an onEnter(S, Consumer) overload: a lambda such as e -> log(e) or
     * e -> check(e) is compatible with both Predicate and Consumer, and javac reports such a call
     * as ambiguous (JLS 15.12.2.5 does not rank implicitly typed lambdas). An overload would
     * have broken every onEnter(X, e -> check(e)) and still not compiled onEnter(X, e -> log(e)).
     */

    /**
     * Registers a negotiation handler run when {@code state} is about to activate, in the same
     * slot and order as {@link #onEnter}, that never refuses: {@code onEntering(X, e -> log(e))}.
     *
     * @param state the state
     * @param handler runs while the transition is negotiated; a throw still refuses it (P2)
     * @return this builder
     */
    public Builder<S> onEntering(S state, Consumer<? super Event<S>> handler) {
      action(Binder.ENTER, schema.indexOf(state), handler);
      return this;
    }

    /**
     * Registers a negotiation handler run when {@code state} is about to deactivate; it returns
     * {@code false} to refuse the transition. For one that never refuses, use
     * {@link #onExiting}.
     *
     * @param state the state
     * @param handler returns whether the transition may go on
     * @return this builder
     */
    public Builder<S> onExit(S state, Predicate<? super Event<S>> handler) {
      gate(Binder.EXIT, schema.indexOf(state), -1, handler);
      return this;
    }

    /**
     * Registers a negotiation handler run when {@code state} is about to deactivate, in the same
     * slot and order as {@link #onExit}, that never refuses: {@code onExiting(X, e -> log(e))}.
     *
     * @param state the state
     * @param handler runs while the transition is negotiated; a throw still refuses it (P2)
     * @return this builder
     */
    public Builder<S> onExiting(S state, Consumer<? super Event<S>> handler) {
      action(Binder.EXIT, schema.indexOf(state), handler);
      return this;
    }

    /** Registers a final handler run after {@code state} activated. */
    public Builder<S> onState(S state, Consumer<? super Event<S>> handler) {
      action(Binder.STATE, schema.indexOf(state), handler);
      return this;
    }

    /** Registers a final handler run after {@code state} deactivated. */
    public Builder<S> onEnd(S state, Consumer<? super Event<S>> handler) {
      action(Binder.END, schema.indexOf(state), handler);
      return this;
    }

    /**
     * Registers a negotiation handler run when {@code to} activates while {@code from} is
     * active ({@code from != to}), or, with {@code from == to}, when {@code to} is called while
     * already active.
     */
    public Builder<S> onPair(S from, S to, Predicate<? super Event<S>> handler) {
      int f = schema.indexOf(from);
      int t = schema.indexOf(to);
      gate(f == t ? Binder.SELF : Binder.PAIR, t, f, handler);
      return this;
    }

    /** Registers a negotiation handler run first in every transition that changes states. */
    public Builder<S> onAnyEnter(Predicate<? super Event<S>> handler) {
      gate(Binder.ANY_ENTER, -1, -1, handler);
      return this;
    }

    /**
     * Registers a negotiation handler run first in every transition that changes states, in the
     * same slot as {@link #onAnyEnter}, that never refuses: {@code onAnyEntering(e -> log(e))}.
     *
     * @param handler runs while the transition is negotiated; a throw still refuses it (P2)
     * @return this builder
     */
    public Builder<S> onAnyEntering(Consumer<? super Event<S>> handler) {
      action(Binder.ANY_ENTER, -1, handler);
      return this;
    }

    /** Registers a final handler run last in every transition that changes states. */
    public Builder<S> onAnyState(Consumer<? super Event<S>> handler) {
      action(Binder.ANY_STATE, -1, handler);
      return this;
    }

    /** Adds a tracer; several run in the order added. */
    public Builder<S> tracer(Tracer tracer) {
      tracers.add(Objects.requireNonNull(tracer, "tracer"));
      return this;
    }

    /** Logs one line per transition at {@code INFO} (see {@link Tracer#log}). */
    public Builder<S> log() {
      return tracer(Tracer.log(System.Logger.Level.INFO));
    }

    /**
     * Runs every handler on one dedicated owner thread, made by the thread factory (default: a
     * daemon platform thread). Mutations from other threads are then always queued. The thread
     * ends when the machine closes.
     */
    public Builder<S> confined() {
      this.confined = true;
      return this;
    }

    /** The factory for threads the machine starts (owner thread, queue hand-offs). */
    public Builder<S> threadFactory(ThreadFactory factory) {
      this.threadFactory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /**
     * How long one handler may run before the machine abandons the transition, records a
     * {@link HandlerTimeoutException} and goes on (default 1 s).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder<S> handlerTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("handler timeout must be positive: " + timeout);
      }
      this.handlerTimeout = timeout;
      return this;
    }

    /** Lets handlers run for any time (a stuck handler then wedges the machine). */
    public Builder<S> noHandlerTimeout() {
      this.handlerTimeout = null;
      return this;
    }

    /**
     * Lists the machine in {@link Machine#listed()} while it is open (weakly: the list never
     * keeps it alive). Off by default, so that machines by the million cost nothing extra.
     */
    public Builder<S> listed() {
      this.listed = true;
      return this;
    }

    /**
     * Adds a context carrier (spec Q10): applied to a body on the thread that submits a
     * mutation, it captures that thread's context and re-establishes it wherever the body runs
     * later (for example {@code Supervisor.carrying(TRACE_ID)} for a {@code ScopedValue}, or
     * {@code r -> io.opentelemetry.context.Context.current().wrap(r)}). A mutation that is queued
     * and run by another thread runs its transition (handlers and tracer calls) inside the
     * context its caller had; tasks its handlers fork see the same context. Carriers added later
     * run outermost. Without carriers nothing is captured.
     */
    public Builder<S> context(java.util.function.UnaryOperator<Runnable> carrier) {
      carriers.add(Objects.requireNonNull(carrier, "carrier"));
      return this;
    }

    /**
     * How long closing a state scope waits for its tasks to end after they were interrupted
     * (default 1 s). Past it the machine records an error naming the tasks and closes the
     * scope's resources anyway. The machine's handlers wait meanwhile.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder<S> scopeCloseTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("scope close timeout must not be negative: " + timeout);
      }
      this.scopeCloseTimeout = timeout;
      return this;
    }

    /**
     * The most mutations that may wait in the queue (default 100,000); beyond it a mutation
     * throws {@link QueueFullException}.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder<S> queueLimit(int limit) {
      if (limit <= 0) throw new IllegalArgumentException("queue limit must be positive: " + limit);
      this.queueLimit = limit;
      return this;
    }

    /**
     * Starts the machine in the state of {@code snapshot} without running handlers; tracers are
     * told through {@link Tracer#machineRestored}.
     *
     * @throws IllegalArgumentException if the snapshot is of another schema
     */
    public Builder<S> restore(Snapshot snapshot) {
      Objects.requireNonNull(snapshot, "snapshot");
      if (!snapshot.schemaHash().equals(schema.hash())) {
        throw new IllegalArgumentException("snapshot of schema " + snapshot.schemaHash()
            + " cannot restore a machine of schema " + schema.name() + " (" + schema.hash() + ")");
      }
      this.restore = snapshot;
      return this;
    }

    /**
     * The machine's time source (default {@link Time#system()}): the handler timeout, the close
     * and scope close bounds, {@link Wait#await} and {@link Result#await} timeouts and delayed
     * mutations ({@link Machine#after}) are measured on it (spec TM1). A test passes a fake time
     * ({@code FakeTime} in {@code stator-test}) so that time passes only when it says so.
     *
     * @param time the time source
     * @return this builder
     */
    public Builder<S> time(Time time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /** Builds the machine. */
    public Machine<S> build() {
      return new MachineImpl<>(this);
    }

    private void gate(int phase, int state, int from, Predicate<?> handler) {
      Objects.requireNonNull(handler, "handler");
      if (lambdas == null || !lambdas.gate(phase, state, from, handler)) {
        lambdas = new Binder.Lambdas(schema); // a slot repeats: a new group, run after
        handlers.add(lambdas);
        lambdas.gate(phase, state, from, handler);
      }
    }

    private void action(int phase, int state, Consumer<?> handler) {
      Objects.requireNonNull(handler, "handler");
      if (lambdas == null || !lambdas.action(phase, state, handler)) {
        lambdas = new Binder.Lambdas(schema);
        handlers.add(lambdas);
        lambdas.action(phase, state, handler);
      }
    }
  }
}
