package dev.stator.examples.task;

import static dev.stator.examples.task.TaskActor.Life.*;

import dev.stator.Args;
import dev.stator.Event;
import dev.stator.Key;
import dev.stator.Machine;
import dev.stator.MachineClosedException;
import dev.stator.Result;
import dev.stator.Schema;
import dev.stator.StateScope;
import dev.stator.Status;
import dev.stator.Tracer;
import dev.stator.examples.task.AgentExecutor.EventSink;
import dev.stator.examples.task.AgentExecutor.RequestContext;
import dev.stator.examples.task.Subscription.Update;
import java.lang.invoke.MethodHandles;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One A2A task as an actor: requests run one at a time through the {@link AgentExecutor}; every
 * event is persisted in the {@link TaskStore}, then fanned out to {@link Subscription}s; a cancel
 * interrupts the running request and calls the agent's cancel hook; once the task is terminal
 * and its producers have ended, the actor retires.
 *
 * <p>Everything that decides the lifecycle is a state of {@link #SCHEMA}, and the request queue
 * and the fan-out are touched only by handlers, which the machine runs one transition at a time
 * (on the thread that finds it idle, or on a drain thread of its own). Producers and the cancel
 * hook are tasks of the {@code Executing} and {@code Canceling} scopes and publish through those
 * scopes, so an event of a request that has ended is refused, never applied; their events are
 * always drained by another thread, never by the task that made them. The event that ends a
 * request ends its producer's state in the same transition. Subscriptions are owned by the
 * {@code Live} scope: they end, and requests still queued are rejected, on every path by which
 * the task ends.
 *
 * <p><b>Store failures.</b> The task is loaded before the actor exists ({@link TaskRegistry}):
 * a store that throws then fails the start, and no actor is made. Afterwards an event is applied
 * only if the store saved it: a save that throws refuses the event ({@link EventSink#emit}
 * returns false) and fails the task with that exception. The failure is applied even if the
 * store cannot save it either (it stays down): subscribers get the {@code FAILED} update, the
 * request's producer and the cancel hook are interrupted, and the actor retires. After that
 * the store may still hold the last status it saved.
 *
 * <p>Thread safety: every public method may be called from any thread.
 */
public final class TaskActor implements AutoCloseable {
  enum Life {
    Live, Starting,                                  // the task is open; its loaded status comes
    Submitted, Working, InputRequired, AuthRequired, // its status while open (multi: one per event)
    Completed, Canceled, Failed, Rejected, Terminal, // how it ended (first wins); that it did
    Executing, Canceling,                            // a request's producer, the cancel hook
    Request, Subscribe, Artifact,                    // inputs (multi)
    Retired, Exception
  }

  static final Schema<Life> SCHEMA = Schema.of(Life.class)
      .state(Starting, s -> s.require(Live).remove(Executing, Canceling))
      .state(Submitted, s -> status(s).remove(Working, InputRequired, AuthRequired))
      .state(Working, s -> status(s).remove(Submitted, InputRequired, AuthRequired))
      .state(InputRequired, s -> status(s).remove(Submitted, Working, AuthRequired, Executing))
      .state(AuthRequired, s -> status(s).remove(Submitted, Working, InputRequired, Executing))
      .state(Completed, s -> s.require(Terminal))
      .state(Canceled, s -> s.require(Terminal))
      .state(Failed, s -> s.require(Terminal))
      .state(Rejected, s -> s.require(Terminal))
      .state(Terminal, s -> s.remove(Live))
      .state(Executing, s -> s.require(Live))
      .state(Canceling, s -> s.require(Live).remove(Executing))
      .state(Request, s -> s.require(Live).multi())
      .state(Subscribe, s -> s.require(Live).multi())
      .state(Artifact, s -> s.require(Live).multi())
      .state(Retired, s -> s.require(Terminal).auto())
      .build();

  /* The event transitions. An event's transition is decided by the relations, then by anyEnter,
   * the first negotiation handler, which takes every refusal an event can meet (the first
   * terminal status wins; one request at a time; after a failed save only FAILED) and then
   * saves the event as its last act, so that a transition commits only a saved event. No other
   * negotiation handler may refuse a transition that carries an event (terminalTerminal refuses
   * only when anyEnter does, or in a no-op it does not run in). anyState then fans the saved
   * task out.
   *
   * The end of a request is one transition with its final event: an interrupted status removes
   * Executing; a terminal one removes Live, which Executing and Canceling require (so a cancel
   * after the end is refused by the relations, and the hook never runs then). The producer (or
   * hook) that published that event is interrupted at the commit, as its scope ends, and its
   * emit still returns true: a ticket's outcome is decided at the commit, before the scopes it
   * ends are told. Its scope then is no longer current, which is how a producer learns that it
   * ended its request. Those scopes close, awaiting their tasks, before the transition is over,
   * so Retired (auto, once Terminal holds) comes after the producers have ended. */

  private static Schema.Relations<Life> status(Schema.Relations<Life> s) {
    return s.require(Live).multi().remove(Starting);
  }

  static final int DEFAULT_CAPACITY = 64;
  private static final Duration EMIT_BOUND = Duration.ofSeconds(30);
  private static final Key<TaskEvent> EVENT = Key.of("event", TaskEvent.class);
  private static final Key<String> MESSAGE = Key.of("message", String.class);
  private static final Key<Subscription> SUBSCRIBER = Key.of("subscriber", Subscription.class);
  /** On the FAILED event of a failure: what failed the task. */
  private static final Key<Throwable> CAUSE = Key.of("cause", Throwable.class);
  private static final System.Logger LOG = System.getLogger(TaskActor.class.getName());

  /**
   * The task had ended (or its actor closed) with another state than CANCELED. If it failed,
   * the cause is what failed it (the agent's or the cancel hook's exception, the store's).
   */
  public static final class NotCancelable extends RuntimeException {
    private final Task task;

    NotCancelable(Task task, Throwable cause) {
      super("task " + task.id() + " is not cancelable: it is " + task.state(), cause);
      this.task = task;
    }

    public Task task() {
      return task;
    }
  }

  private record Pending(String id, String message, Subscription stream) {}

  private final String id;
  private final AgentExecutor agent;
  private final TaskStore store;
  private final Consumer<TaskActor> onRetired;
  final Machine<Life> machine;
  // Handlers only (the machine runs one transition at a time and orders them, whatever thread):
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private Subscription.Hub hub = new Subscription.Hub();
  private Subscription requestStream; // the running request's, until its final status
  private int requests;
  private Task saved; // the task after the event being negotiated: anyEnter writes, anyState reads
  private Throwable storeFailure; // the first save that threw: after it only FAILED is applied
  // Written by a handler (anyState), read by any thread:
  private volatile Task current; // the task as last applied (saved, unless the store is down)
  private volatile Throwable failure; // what failed the task, once its FAILED event is applied

  /** An actor for {@code loaded}, the task as the store had it; {@link #start} starts it. */
  TaskActor(Task loaded, AgentExecutor agent, TaskStore store, ThreadFactory threads, boolean log,
      Tracer tracer, Consumer<TaskActor> onRetired) {
    this.id = loaded.id();
    this.current = loaded;
    this.agent = agent;
    this.store = store;
    this.onRetired = onRetired;
    Machine.Builder<Life> b = Machine.of(SCHEMA).id("task " + id)
        .handlers(this, MethodHandles.lookup()).threadFactory(threads);
    if (log) b.log();
    if (tracer != Tracer.NOOP) b.tracer(tracer).listed(); // for the inspector
    this.machine = b.build();
  }

  public String id() {
    return id;
  }

  /**
   * Starts the actor in the status it was loaded with; returns once it is starting or started.
   * Only the first start can happen: once started (a status removes Starting) or ended
   * (Terminal removes Live) the relations refuse it.
   */
  void start() throws InterruptedException {
    if (machine.tick(Live) != 0) return; // started already
    try {
      machine.add(List.of(Live, Starting), Args.NONE).await(EMIT_BOUND);
    } catch (TimeoutException | MachineClosedException e) {
      throw new IllegalStateException("task " + id + " did not start", e);
    }
  }

  /**
   * Queues a request; returns its stream: a snapshot when it starts, its events, then the end
   * (after an interrupted or terminal status), or {@link Subscription.Rejected} if the task
   * ended before its turn.
   */
  public Subscription send(String message) {
    Subscription s = new Subscription(DEFAULT_CAPACITY);
    Subscription.Rejected rejected = new Subscription.Rejected("request '" + message
        + "' rejected: task " + id + " has ended");
    try {
      machine.add(Request, Args.of(MESSAGE, message, SUBSCRIBER, s)).future()
          .whenComplete((status, failure) -> {
            if (status != Status.EXECUTED) s.finish(rejected);
          });
    } catch (MachineClosedException closed) {
      s.finish(rejected);
    }
    return s;
  }

  /**
   * Subscribes to the task: its snapshot now, then every later event. A task that has already
   * finished gives its final snapshot, then the end.
   */
  public Subscription subscribe(int capacity, Duration timeout)
      throws InterruptedException, TimeoutException {
    Subscription s = new Subscription(capacity);
    try {
      machine.whenNot(Starting).await(timeout);
      machine.add(Subscribe, Args.of(SUBSCRIBER, s)).future().whenComplete((status, failure) -> {
        if (status != Status.EXECUTED) finished(s);
      });
    } catch (MachineClosedException closed) {
      finished(s);
    }
    return s;
  }

  private void finished(Subscription s) {
    s.offer(new Update(null, current));
    s.end();
  }

  /**
   * Cancels the task and waits until it has ended.
   *
   * @return the task, CANCELED
   * @throws NotCancelable if it ended otherwise (completed first, failed, ...); if it failed,
   *     its cause is what failed it
   * @throws TimeoutException if the task has not ended within {@code timeout}
   */
  public Task cancel(Duration timeout) throws InterruptedException, TimeoutException {
    try {
      machine.whenNot(Starting).await(timeout);
      machine.add(Canceling);
      machine.when(Terminal).await(timeout);
      // The wait reflects the committed state: it may complete between the terminal
      // transition's commit and its final handlers, which publish the task. That transition was
      // made by the agent's or the hook's task, so this thread holds no ticket for it; the
      // ticket of a mutation made after it (a no-op) completes only once it is over.
      machine.remove(Starting).await(timeout);
    } catch (MachineClosedException closed) {
      // retired or closed: the task as last applied has the last word
    }
    Task t = current;
    if (t.state() != Task.State.CANCELED) throw new NotCancelable(t, failure);
    return t;
  }

  /** How many subscriptions receive updates now (tests). */
  int subscribers() {
    return hub.size();
  }

  /** Closes the machine: running tasks are interrupted, streams end, queued requests rejected. */
  @Override
  public void close() {
    machine.close();
  }

  @Override
  public String toString() {
    return "TaskActor[" + id + " " + machine.activeNames() + "]";
  }

  // ---------------------------------------------------------------- handlers

  void liveState(Event<Life> e) {
    StateScope<Life> scope = e.scope();
    hub = scope.open(Subscription.Hub::new);
    scope.open(() -> () -> {
      for (Pending p; (p = pending.poll()) != null; ) {
        p.stream.finish(new Subscription.Rejected("request " + p.id + " rejected: task " + id
            + " ended " + current.state() + " before it ran"));
      }
    });
  }

  void startingState(Event<Life> e) {
    e.scope().machine().add(statesOf(current.state()), Args.NONE); // queued: the loaded status
  }

  void requestState(Event<Life> e) {
    pending.add(new Pending("r" + ++requests, e.arg(MESSAGE), e.arg(SUBSCRIBER)));
  }

  void subscribeState(Event<Life> e) {
    hub.add(e.arg(SUBSCRIBER), current);
  }

  void executingState(Event<Life> e) {
    Pending p = pending.remove();
    StateScope<Life> scope = e.scope();
    Task now = current;
    hub.add(requestStream = p.stream, now);
    RequestContext ctx = new RequestContext(id, p.id, p.message, now);
    Sink sink = new Sink(scope.machine());
    scope.fork("execute " + id + "/" + p.id, () -> {
      agent.execute(ctx, sink);
      // Still current: no event of this request ended it (its final status would have ended
      // Executing), nor did a cancel.
      if (scope.isCurrent()) sink.status(Task.State.FAILED, "agent returned without final status");
    });
  }

  void cancelingState(Event<Life> e) {
    StateScope<Life> scope = e.scope();
    RequestContext ctx = new RequestContext(id, "cancel", "cancel", current);
    Sink sink = new Sink(scope.machine());
    scope.fork("cancel " + id, () -> {
      agent.cancel(ctx, sink);
      // Still current: the task has not ended (a terminal status, the hook's or any other,
      // would have ended Canceling).
      if (scope.isCurrent()) sink.status(Task.State.CANCELED, "canceled");
    });
  }

  boolean terminalTerminal(Event<Life> e) {
    return false; // the first terminal status wins
  }

  void exceptionState(Event<Life> e) { // refused by anyEnter if the task has ended
    Throwable cause = e.error();
    TaskEvent failed = TaskEvent.status(Task.State.FAILED, String.valueOf(cause));
    e.machine().add(statesOf(Task.State.FAILED), Args.of(EVENT, failed, CAUSE, cause));
  }

  void retiredState(Event<Life> e) {
    onRetired.accept(this);
  }

  /** Takes the refusals an event can meet, then saves it (see the note after SCHEMA). */
  boolean anyEnter(Event<Life> e) {
    TaskEvent ev = e.arg(EVENT);
    if (ev == null) return true;
    Machine<Life> m = e.machine(); // reads see the state before this transition
    if (e.isCalled(Terminal) && m.is(Terminal)) return false; // the first terminal status wins
    if (e.isCalled(Executing) && (m.is(Executing) || pending.isEmpty())) {
      return false; // one request at a time, and only a pending one
    }
    Throwable cause = e.arg(CAUSE);
    if (cause == null && storeFailure != null) return false; // the task is failing
    try {
      saved = store.apply(id, ev);
    } catch (RuntimeException saveFailed) {
      if (cause == null) { // refused; the machine records the throw, exceptionState fails the task
        LOG.log(System.Logger.Level.WARNING, "task " + id + ": could not save " + ev
            + "; the task fails", saveFailed);
        storeFailure = saveFailed;
        throw saveFailed;
      }
      // The store is still down: the task fails all the same, unsaved, so that it ends.
      LOG.log(System.Logger.Level.WARNING, "task " + id + ": could not save " + ev, saveFailed);
      saved = current.with(ev);
    }
    return true;
  }

  void anyState(Event<Life> e) {
    Machine<Life> m = e.machine();
    TaskEvent ev = e.arg(EVENT);
    if (ev != null) {
      Throwable cause = e.arg(CAUSE);
      if (cause != null) failure = cause; // before current, which readers read first
      current = saved;
      hub.publish(new Update(ev, saved));
      if (ev.endsRequest() && requestStream != null) {
        requestStream.end(); // even if canceled, the requester sees the final status
        requestStream = null;
      }
    }
    if (!pending.isEmpty() && m.is(Live) && !m.any(List.of(Starting, Executing, Canceling))) {
      m.add(List.of(Executing, Working), Args.of(EVENT,
          TaskEvent.status(Task.State.WORKING, "request " + pending.peek().id + " started")));
    }
  }

  private static List<Life> statesOf(Task.State s) {
    return switch (s) {
      case SUBMITTED -> List.of(Submitted);
      case WORKING -> List.of(Working);
      case INPUT_REQUIRED -> List.of(InputRequired);
      case AUTH_REQUIRED -> List.of(AuthRequired);
      case COMPLETED -> List.of(Completed, Terminal);
      case CANCELED -> List.of(Canceled, Terminal);
      case FAILED -> List.of(Failed, Terminal);
      case REJECTED -> List.of(Rejected, Terminal);
    };
  }

  /**
   * Publishes through a scope's view of the machine: refused once the scope has ended. An event
   * that ends the scope (the request's final status; for the hook, a terminal one) returns true
   * with the calling thread's interrupt status set.
   */
  private static final class Sink implements EventSink {
    private final Machine<Life> view;

    Sink(Machine<Life> view) {
      this.view = view;
    }

    @Override
    public boolean emit(TaskEvent event) {
      List<Life> to = event.state() == null ? List.of(Artifact) : statesOf(event.state());
      try {
        return view.add(to, Args.of(EVENT, event)).await(EMIT_BOUND) == Status.EXECUTED;
      } catch (InterruptedException ie) {
        // Our scope ended in another transition (or the machine closed): this event, still
        // queued, will not be applied. Had this event ended the scope, await would have said so.
        Thread.currentThread().interrupt();
        return false;
      } catch (TimeoutException | MachineClosedException gone) {
        return false;
      }
    }
  }
}
