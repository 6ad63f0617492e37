package dev.stator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The engine behind {@link Machine}.
 */
final class MachineImpl<S> extends MachineBase<S> {
  /* Design.
   *
   * The flow of a mutation, one file per step: submit (here) -> queue (Inbox) -> resolve
   * (Resolver) -> negotiate, commit, final handlers (Transition; the commit publishes through
   * Published, a seqlock) -> scopes (ScopeTable and Scope: ended at the commit, closed after the
   * final handlers) -> waits (WaitRegistry). A queued mutation runs in its caller's context
   * (CallerContext). This class owns the protocol that decides which thread drains, and close;
   * what a drainer writes for one transition lives in its Generation.
   *
   * Ownership: `running` is null while the machine is idle, the live Generation while a thread
   * drains, and TERMINAL once close has finished. Every path takes and gives back the right to
   * drain through one pair, acquire() and release(): a caller that finds the machine idle, the
   * re-check after a release, a scope's or task's mutation drained on another thread, close.
   * Hand-off passes a held generation to a new thread (Thread.start orders it); the confined
   * owner acquires once and keeps it; the watchdog replaces a stuck generation by a new one.
   *
   * States of `running` and who moves them:
   *   null -> g          acquire (CAS), by any thread; then it writes g.thread = itself
   *   g -> null          release (CAS), by g.thread, after clearing g.thread
   *   g -> g'            the watchdog (abandon), after it claimed a stuck handler of g: g is dead,
   *                      g' has a new thread already set, which takes over
   *   g -> TERMINAL      close finishing (finishClose), by g.thread; never left again
   * acquire() checks after its CAS that it took the current generation (`gen`): a dead one read
   * before the watchdog replaced it is given back at once.
   *
   * release() re-checks both the inbox and `closed` after its CAS (a full fence): a producer
   * pushes then reads `running`; close() writes `closed` then tries to acquire; the releaser
   * writes `running` then reads both. By the Dekker argument one side always sees the other, so
   * no pushed mutation is stranded and close always finds someone to finish it.
   *
   * Close protocol (also docs/spec.md, "Close"):
   *   OPEN --close()--> CLOSING: `closed` is set; new mutations and waits are refused; whoever
   *     holds the machine (or acquires it next: the closer itself if the machine is idle)
   *     finishes the running transition and then runs finishClose:
   *   CLOSING --finishClose--> CLOSED: the close transition (exit handlers, then commit to the
   *     empty set, then end handlers, in reverse handler order, none can refuse), every scope
   *     ended and closed in reverse order, queued mutations and priority errors failed with
   *     MachineClosedException, `running` = TERMINAL, waits failed, `terminated` completed.
   *   A closer on another thread waits for CLOSED up to the handler timeout plus the scope close
   *   bound; past it, it interrupts the draining thread, logs, and returns (the drainer still
   *   finishes close when its handler returns). A closer inside a handler returns at once.
   *
   * Interrupt policy: a thread that acquires clears its interrupt status and remembers it; every
   * handler and every scope close starts with a clear status (an interrupt a handler leaves
   * behind never reaches the next handler, whoever's mutation it runs); when the thread gives
   * the machine back (release, hand-off, or unwinding after abandonment) the status it carried in
   * is restored and any other interrupt that arrived meanwhile is discarded. The watchdog
   * interrupts the thread of a handler it abandons. Bounded waits inside scope close are
   * uninterruptible (Scope.close).
   *
   * User code on the draining thread: handlers and tracers only. Ticket and wait futures
   * complete their dependents on other threads (Mutation.future, WaitBase.future); a scope's or
   * a scope task's mutation is never drained on the task's thread (drainElsewhere), so a task
   * never runs the transition that ends its own scope.
   *
   * Happens-before: a push (CAS on inbox) hb the drainer's take (getAndSet); a release CAS hb
   * the next acquire CAS, so the next drainer sees the drainer-local state; the watchdog's
   * publication of g' hb the takeover thread's start; readers see commits through Published. */

  private static final System.Logger LOG = System.getLogger("dev.stator.Machine");
  private static final AtomicLong SERIALS = new AtomicLong();
  private static final VarHandle RUNNING;
  private static final VarHandle TERMINATED;
  private static final VarHandle TASKS;
  private static final Generation<?> TERMINAL = new Generation<>(-1);
  /** Bound to the machine while one of its scope tasks runs (on the task's thread). */
  static final ScopedValue<MachineImpl<?>> TASK_OF = ScopedValue.newInstance();

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      RUNNING = l.findVarHandle(MachineImpl.class, "running", Generation.class);
      TERMINATED = l.findVarHandle(MachineImpl.class, "terminated", CompletableFuture.class);
      TASKS = l.findVarHandle(MachineImpl.class, "tasks", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final Schema<S> schema;
  private final long serial;
  private final @Nullable String customId;
  final MachineConfig config;
  final @Nullable Handlers handlers;
  final Watchdog.@Nullable Watch watch;
  final Published state;
  private final WaitRegistry waits = new WaitRegistry();

  // Drain protocol (see design).
  private volatile @Nullable Generation<S> running;
  private volatile Generation<S> gen = new Generation<>(0); // replaced by the watchdog only
  private final Inbox inbox = new Inbox(); // the queue
  volatile boolean closed;
  private volatile int tasks; // scope task bodies running now (cheap guard for TASK_OF)
  volatile @Nullable Throwable lastError;
  private volatile @Nullable Set<Thread> abandoned; // threads whose handler was abandoned
  private volatile @Nullable Thread owner; // confined mode
  private volatile boolean ownerParked;
  private volatile @Nullable CompletableFuture<Void> closedFuture;
  private volatile @Nullable CompletableFuture<Void> terminated; // set by close(), then closed
  // Delayed mutations still scheduled (spec §13), created with the first; close cancels them.
  private volatile java.util.@Nullable Set<DelayedMutation> delayed;

  // Drainer-local, shared by generations: only a live generation's thread touches them, and an
  // abandoned thread touches nothing after the watchdog's claim (Watchdog design).
  long transitions;
  @Nullable ScopeTable<S> scopeTable; // created with the first scope
  int closePhase; // 0 not started, 1 close transition running, 2 committed

  MachineImpl(Machine.Builder<S> b) {
    this.schema = b.schema;
    this.serial = SERIALS.incrementAndGet();
    this.customId = b.id;
    this.config = MachineConfig.of(b);
    this.handlers = Handlers.of(b.handlers, schema.exception);
    this.watch = handlers != null && config.timeoutNanos > 0
        ? new Watchdog.Watch(this, config.timeoutNanos, config.fakeTime) : null;
    Snapshot r = b.restore;
    this.state = new Published(schema, r);
    if (config.tracing) {
      if (r != null) trace(() -> config.tracer.machineRestored(this, r));
      else trace(() -> config.tracer.machineStarted(this));
    }
    if (b.listed) LiveMachines.add(this, serial);
    if (config.confined) {
      Thread t = config.ownerFactory.newThread(this::ownerLoop);
      if (t == null) throw new IllegalStateException("thread factory returned null");
      owner = t;
      t.start();
    }
    Time fake = config.fakeTime;
    if (fake != null) fake.machineBuilt(this);
  }

  // ================================================================ identity

  @Override
  public String id() {
    String c = customId;
    return c != null ? c : schema.name + "#" + serial;
  }

  @Override
  public Schema<S> schema() {
    return schema;
  }

  @Override
  public String toString() {
    return "Machine[" + id() + " " + activeNames() + "]";
  }

  // ================================================================ mutations

  @Override
  MachineImpl<S> core() {
    return this;
  }

  @Override
  Result submit(MutationKind kind, long called, byte @Nullable [] order, Args args, int flags) {
    return submit(kind, called, order, args, flags, null);
  }

  /** Runs the mutation now if the machine is idle, or queues it. */
  Result submit(MutationKind kind, long called, byte @Nullable [] order, Args args,
      int flags, @Nullable Scope<?> guard) {
    return submit(kind, called, order, args, flags, guard, false);
  }

  /**
   * Runs the mutation now if the machine is idle, or queues it; {@code fromTask} (or a guard, or
   * a caller that is one of this machine's scope tasks) makes it drain on another thread.
   */
  private Result submit(MutationKind kind, long called, byte @Nullable [] order, Args args,
      int flags, @Nullable Scope<?> guard, boolean fromTask) {
    if (closed) throw closedError(kind, called);
    Thread me = Thread.currentThread();
    Generation<S> g = running;
    if (g != null && g.isDrainer(me)) { // from a handler or tracer of this machine
      Event<S> e = g.event;
      Mutation m = new Mutation(kind, called, order, args, flags,
          e == null ? null : id() + "/" + e.id, guard);
      m.context = g.context;
      if ((flags & Mutation.ERROR) != 0) {
        m.time = config.fakeTime;
        g.priority().add(m);
      } else {
        enqueue(m);
      }
      return m;
    }
    Set<Thread> ab = abandoned;
    if (ab != null && ab.contains(me)) { // a late, abandoned handler
      return Outcome.of(false, "the handler running on " + me.getName() + " was abandoned "
          + "by the handler timeout; its mutations have no effect", List.of());
    }
    boolean elsewhere = fromTask || guard != null || isOwnTask();
    if (!config.confined && !elsewhere) {
      Generation<S> a = acquire(me);
      if (a == null) a = acquireSoon(me);
      if (a != null) return runNow(me, a, kind, called, order, args, flags);
    }
    Mutation m = new Mutation(kind, called, order, args, flags, null, guard);
    if (!config.contexts.isEmpty()) m.context = config.contexts.capture();
    enqueue(m);
    if (config.confined) {
      if (ownerParked) LockSupport.unpark(owner);
    } else if (elsewhere) {
      // A scope's or task's mutation never runs on the calling thread: a task must not run the
      // transition that ends its own scope (it would interrupt and await itself).
      if (running == null) drainElsewhere();
    } else {
      drainHere(me);
    }
    return m;
  }

  /** Whether the calling thread runs one of this machine's scope tasks. */
  private boolean isOwnTask() {
    return tasks != 0 && TASK_OF.isBound() && TASK_OF.get() == this;
  }

  /** Counts a scope task body in or out (Scope, on the task's thread). */
  void taskRunning(int delta) {
    TASKS.getAndAdd(this, delta);
  }

  // ================================================================ the drain protocol

  /**
   * Takes the right to drain if the machine is idle; returns the generation now held by
   * {@code me}, or null. Enrols the machine with the watchdog.
   */
  /** How many times a caller looks for the machine to become idle before queueing. */
  private static final int ACQUIRE_SPINS = 64;

  private @Nullable Generation<S> acquire(Thread me) {
    for (;;) {
      Generation<S> g = gen;
      if (running != null || !RUNNING.compareAndSet(this, null, g)) return null;
      if (g != gen) { // the watchdog replaced it before our CAS: give the dead one back
        RUNNING.setVolatile(this, null);
        continue;
      }
      g.thread(me);
      Watchdog.Watch w = watch;
      if (w != null) Watchdog.INSTANCE.enroll(w);
      return g;
    }
  }

  /**
   * A caller that found the machine busy waits a moment for it before queueing (spec Q1): a
   * transition takes tens of nanoseconds, so the holder has often released it by then, and the
   * caller runs its mutation itself instead of paying for a ticket, a queue entry and a wake-up.
   * Returns the generation taken, or null if the machine stayed busy (or something is queued:
   * FIFO) for about a microsecond.
   */
  private @Nullable Generation<S> acquireSoon(Thread me) {
    for (int i = 0; i < ACQUIRE_SPINS; i++) {
      Thread.onSpinWait();
      if (running == null) {
        if (closed || inbox.hasPushed()) return null; // queued ones go first
        Generation<S> a = acquire(me);
        if (a != null) return a;
      }
    }
    return null;
  }

  /**
   * Gives the machine back, then re-checks the inbox and {@code closed}; returns the generation
   * re-acquired if there is more to do, or null.
   */
  private @Nullable Generation<S> release(Thread me, Generation<S> g) {
    g.thread(null);
    if (!RUNNING.compareAndSet(this, g, null)) {
      throw new IllegalStateException("machine " + id() + ": release by a thread that does not "
          + "hold it (generation " + g.number + ")");
    }
    if (!waits.isEmpty()) waits.recheck(state);
    if (!inbox.hasPushed() && !closed) return null;
    return acquire(me);
  }

  /** Runs a caller's mutation on its own thread (the machine was idle), then drains. */
  private Result runNow(Thread me, Generation<S> g, MutationKind kind, long called,
      byte @Nullable [] order, Args args, int flags) {
    boolean carried = Thread.interrupted();
    Result result;
    try {
      if (closed) { // close() came between our check and our acquire: finish it, refuse ours
        drain(me, g);
        throw closedError(kind, called);
      }
      if (inbox.isEmpty()) {
        g.current = null;
        g.context = null;
        boolean ok = Transition.execute(this, g, kind, called, order, args, flags, null, null);
        result = Outcome.of(ok, ok ? "" : g.refusal, g.takeFailures());
        afterTransition(g);
        drain(me, g);
      } else { // keep FIFO with what is already queued
        Mutation mine = new Mutation(kind, called, order, args, flags, null, null);
        try {
          enqueue(mine);
        } catch (RuntimeException full) { // queue full or closed: drain what is there, report
          drain(me, g);
          throw full;
        }
        drain(me, g);
        result = mine;
      }
    } catch (Abandoned a) {
      leaveAbandoned(me);
      result = Outcome.of(a.committed, "a handler of this transition was abandoned by the "
          + "handler timeout", List.of());
    } finally {
      restoreInterrupt(carried);
    }
    return result;
  }

  /** After queueing on an idle machine: drains here (the lost-wake-up re-check). */
  private void drainHere(Thread me) {
    if (running != null) return;
    Generation<S> g = acquire(me);
    if (g == null) return;
    boolean carried = Thread.interrupted();
    try {
      drain(me, g);
    } catch (Abandoned a) {
      leaveAbandoned(me);
    } finally {
      restoreInterrupt(carried);
    }
  }

  private static void restoreInterrupt(boolean carried) {
    Thread.interrupted(); // discard what arrived while draining (see the interrupt policy)
    if (carried) Thread.currentThread().interrupt();
  }

  /** Starts a thread that drains the machine if it is idle. */
  private void drainElsewhere() {
    Thread t = newDrainThread(() -> drainHere(Thread.currentThread()));
    if (t == null) {
      drainHere(Thread.currentThread()); // no thread to be had: drain here rather than never
    } else {
      t.start();
    }
  }

  /** A new, unstarted drain thread, or null if none can be had (logged). */
  private @Nullable Thread newDrainThread(Runnable body) {
    try {
      Thread t = config.customFactory
          ? config.drainFactory.newThread(body)
          : Thread.ofVirtual().name("stator-drain-" + id()).unstarted(body);
      if (t != null) return t;
      LOG.log(System.Logger.Level.WARNING, "machine " + id() + ": thread factory returned null");
    } catch (RuntimeException | Error e) {
      LOG.log(System.Logger.Level.WARNING, "machine " + id() + ": thread factory threw", e);
    }
    try {
      return Thread.ofVirtual().name("stator-drain-" + id()).unstarted(body);
    } catch (RuntimeException | Error e) {
      return null;
    }
  }

  /**
   * Drains the queue while holding {@code g}, then releases; finishes close if it was asked for.
   * Throws {@link Abandoned} if the watchdog took the machine over meanwhile.
   */
  private void drain(Thread me, Generation<S> g) {
    for (;;) {
      int batch = 0;
      Mutation m;
      while (!closed && (m = inbox.poll()) != null) {
        if (!m.queued()) continue; // failed by a racing close already
        runQueued(g, m);
        afterTransition(g);
        if (++batch >= config.drainBatch && !inbox.isEmpty() && handOff(g)) return;
      }
      if (closed) {
        finishClose(g);
        return;
      }
      Generation<S> again = release(me, g);
      if (again == null) return;
      g = again;
    }
  }

  /**
   * Passes the held machine to a new drain thread so that the caller returns after
   * {@link MachineConfig#DRAIN_BATCH} queued mutations; false if no thread could be started.
   */
  private boolean handOff(Generation<S> g) {
    Thread t = newDrainThread(() -> {
      Thread me = Thread.currentThread();
      g.thread(me);
      try {
        drain(me, g);
      } catch (Abandoned a) {
        leaveAbandoned(me);
      }
    });
    if (t == null) return false;
    g.thread(null); // before start: the new thread writes itself
    t.start(); // Thread.start hb the new thread's actions
    return true;
  }

  // ================================================================ confined owner

  private void ownerLoop() {
    Thread me = Thread.currentThread();
    Generation<S> g;
    while ((g = acquire(me)) == null) Thread.onSpinWait(); // only a closer can hold it briefly
    runOwner(me, g);
  }

  private void runOwner(Thread me, Generation<S> g) {
    try {
      for (;;) {
        Mutation m = closed ? null : inbox.poll();
        if (m == null) {
          if (closed) break;
          ownerParked = true;
          if (!waits.isEmpty()) waits.notify(state.active(), state.ticksForDrainer());
          if (!inbox.hasPushed() && !closed) LockSupport.park(this);
          ownerParked = false;
          Watchdog.Watch w = watch;
          if (w != null) Watchdog.INSTANCE.enroll(w); // awake: watched before the next poll
          Thread.interrupted(); // the owner has no caller: nothing to restore
          continue;
        }
        if (!m.queued()) continue;
        runQueued(g, m);
        afterTransition(g);
      }
      finishClose(g);
    } catch (Abandoned a) {
      leaveAbandoned(me);
    }
  }

  /** The abandoned thread, unwound: it may use the machine again as an ordinary caller. */
  private void leaveAbandoned(Thread me) {
    editAbandoned(me, false);
  }

  // ================================================================ queue

  private void enqueue(Mutation m) {
    if (config.fakeTime != null) m.time = config.fakeTime; // await measures on it (TM2)
    if (!inbox.push(m, config.queueLimit)) {
      throw new QueueFullException("queue of machine " + id() + " is full (limit "
          + config.queueLimit + "); " + describe(m.kind, m.called) + " rejected");
    }
    if (config.tracing) {
      trace(() -> config.tracer.mutationQueued(this, m.kind, schema.namesOf(m.called), m.args));
    }
    if (closed) { // close may have begun before our push: refuse it only if it did not run
      m.fail(closedError(m.kind, m.called));
      // Close may have finished too, after its last look at the inbox: then nobody else will
      // take our push out (finishClose writes TERMINAL, then empties the inbox; we pushed, then
      // read `running`: one of the two sees the other).
      if (running == TERMINAL) failQueued();
      if (m.failed()) throw m.failure();
    }
  }

  // ================================================================ transitions

  /** Runs one queued (or error) mutation and completes its ticket; drainer only. */
  private void runQueued(Generation<S> g, Mutation m) {
    g.current = m;
    Runnable ctx = m.context;
    g.context = ctx;
    boolean ok;
    if (ctx == null) {
      ok = Transition.execute(this, g, m.kind, m.called, m.order, m.args, m.flags, m.source,
          m.scope);
    } else { // spec Q10: the transition runs in the context its caller had at submit
      ok = CallerContext.runTransition(ctx, () -> Transition.execute(this, g, m.kind, m.called,
          m.order, m.args, m.flags, m.source, m.scope), id());
    }
    g.current = null;
    g.context = null;
    m.complete(ok, ok ? null : g.refusal, g.takeFailures());
  }

  /** The mutation that adds Exception carrying {@code error}. */
  Mutation errorMutation(Generation<S> g, Throwable error, int flags,
      @Nullable String source) {
    Mutation m = new Mutation(MutationKind.ADD, 1L << schema.exception, null,
        Args.of(Key.ERROR, error), flags, source, null);
    m.context = g.context; // the error transition runs in its cause's context (Q10)
    return m;
  }

  /** Errors and the auto mutation run before anything else queued; drainer only. */
  private void afterTransition(Generation<S> g) {
    for (;;) {
      if (closed) {
        notifyWaits();
        return;
      }
      Mutation e = g.pollPriority();
      if (e != null) {
        runQueued(g, e);
        continue;
      }
      if (g.autoPending) {
        g.autoPending = false;
        long autos = Resolver.autoStates(schema, state.active());
        if (autos != 0) {
          Transition.execute(this, g, MutationKind.AUTO, autos, null, Args.NONE, 0, null, null);
          g.takeFailures(); // recorded as Exception already; the auto mutation has no ticket
        }
        continue;
      }
      notifyWaits();
      return;
    }
  }

  // ================================================================ watchdog

  /**
   * Whether a thread holds the machine (watchdog, see Watchdog's design). A closed machine is
   * never busy, so the watchdog lets it go (spec X5); the confined owner, once it has finished
   * the close, never parks again and must not read as awake.
   */
  boolean busy() {
    Generation<S> g = running;
    if (g == TERMINAL) return false;
    if (config.confined) return !ownerParked;
    return g != null;
  }

  /**
   * Marks the thread running a handler as abandoned, and its generation dead, before the watchdog
   * claims it (so the thread, once it learns of the claim, can never pass for the drainer); with
   * {@code add == false} undoes both after a claim that failed (the handler returned in time).
   */
  void markAbandoned(@Nullable Thread stuck, boolean add) {
    Generation<S> g = running;
    if (g != null && g != TERMINAL && stuck != null && g.thread() == stuck) g.dead = add;
    editAbandoned(stuck, add);
  }

  private void editAbandoned(@Nullable Thread stuck, boolean add) {
    if (stuck == null) return;
    synchronized (waits) { // any private object: never the machine's monitor
      Set<Thread> ab = abandoned;
      Set<Thread> set = new LinkedHashSet<>(ab == null ? Set.of() : ab);
      if (add) {
        set.add(stuck);
      } else {
        set.remove(stuck);
      }
      abandoned = set.isEmpty() ? null : Collections.unmodifiableSet(set);
    }
  }

  /** The thread draining now, as the watchdog sees it (published by the handler's entry). */
  @Nullable Thread drainerForWatchdog() {
    Generation<S> g = running;
    return g == null ? null : g.thread();
  }

  /**
   * Called by the watchdog after it claimed the stuck handler (Watch.claim): the abandoned
   * thread can no longer touch the machine; a new generation with a new thread takes it over.
   * Never throws: a failing thread factory falls back to a virtual thread, and if no thread can
   * be had at all the machine is released so that the next caller drains it.
   */
  void abandon(Watchdog.Watch w, @Nullable Thread stuck) {
    Generation<S> old = running;
    if (old == null || old == TERMINAL) return;
    Generation<S> next = new Generation<>(old.number + 1);
    boolean committed = w.finalPhase;
    Mutation cur = old.current;
    String handler = w.handler;
    HandlerTimeoutException error = new HandlerTimeoutException("handler " + handler
        + " of machine " + id() + " ran longer than the handler timeout of "
        + Duration.ofNanos(w.timeoutNanos) + " on thread " + (stuck == null ? "?" : stuck.getName())
        + "; transition abandoned" + (committed ? " after commit" : " before commit"));
    LOG.log(System.Logger.Level.ERROR, error.getMessage());
    Runnable takeOver = () -> takeOver(next, old, cur, committed, error);
    Thread t = null;
    try {
      t = (config.confined ? config.ownerFactory : config.drainFactory).newThread(takeOver);
    } catch (RuntimeException | Error e) {
      LOG.log(System.Logger.Level.ERROR, "machine " + id() + ": thread factory threw during a "
          + "watchdog takeover; using a virtual thread", e);
    }
    if (t == null) {
      try {
        t = Thread.ofVirtual().name("stator-drain-" + id()).unstarted(takeOver);
      } catch (RuntimeException | Error e) {
        LOG.log(System.Logger.Level.ERROR, "machine " + id() + ": no thread for a takeover", e);
      }
    }
    old.dead = true;
    next.thread(t);
    gen = next;
    if (config.confined && t != null) owner = t;
    RUNNING.setVolatile(this, t == null ? null : next); // the watchdog alone writes it now
    if (stuck != null) stuck.interrupt(); // its handler is over as far as the machine goes
    if (t != null) t.start();
  }

  private void takeOver(Generation<S> g, Generation<S> old, @Nullable Mutation cur,
      boolean committed, HandlerTimeoutException error) {
    Thread me = Thread.currentThread();
    // The abandoned thread touches nothing after the claim, so its generation's pending errors
    // and scopes to close can be moved here (Watchdog design).
    Mutation p;
    while ((p = old.pollPriority()) != null) g.priority().add(p);
    g.ending = old.ending;
    old.ending = null;
    if (cur != null) {
      cur.complete(committed, committed ? null : "handler " + error.getMessage(),
          committed ? List.of(error) : List.of());
    }
    if (committed) g.autoPending = true;
    g.priority().addFirst(errorMutation(g, error, Mutation.ERROR, null));
    Watchdog.Watch w = watch;
    if (w != null) Watchdog.INSTANCE.enroll(w);
    try {
      ScopeTable<S> scopes = scopeTable;
      if (scopes != null && ScopeTable.hasEnded(g)) scopes.closeEnded(g);
      afterTransition(g);
      if (config.confined) {
        runOwner(me, g);
      } else {
        drain(me, g);
      }
    } catch (Abandoned a) {
      leaveAbandoned(me);
    }
  }

  // ================================================================ scopes

  /** The scope of state i's current activation, created on first use; drainer only. */
  Scope<S> scopeOf(int i, boolean finalPhase) {
    Generation<S> g = running;
    if (g == null || !g.isDrainer(Thread.currentThread())) {
      throw new IllegalStateException("a scope is obtained in a handler of machine " + id());
    }
    if (!finalPhase) {
      throw new IllegalStateException("scope() of " + schema.names[i] + " is not available in "
          + "negotiation handlers: the transition may still be canceled; use it in "
          + Binder.prefix(schema.names[i]) + "State");
    }
    ScopeTable<S> t = scopeTable;
    if (t == null) scopeTable = t = new ScopeTable<>(this, schema);
    return t.scopeOf(g, i, state.tick(i), (state.active() >>> i & 1) != 0);
  }

  /** A scope was created (ScopeTable). */
  void scopeOpened(Scope<S> s) {
    if (config.tracing) trace(() -> config.tracer.scopeOpened(this, s));
  }

  /** Closes one ended scope and records its failure (ScopeTable); drainer only. */
  void closeScope(Generation<S> g, Scope<S> s) {
    Thread.interrupted(); // a scope close starts with a clear interrupt status
    Scope.ScopeCloseException failure = s.close(config.scopeCloseNanos);
    if (config.tracing) trace(() -> config.tracer.scopeClosed(this, s, failure));
    if (failure != null) {
      LOG.log(System.Logger.Level.WARNING, failure.getMessage(), failure);
      g.addFailure(failure);
      if (!closed) g.priority().add(errorMutation(g, failure, Mutation.ERROR, null));
    }
  }

  /** The supervisor of a scope's tasks; a task failure becomes an error state. */
  dev.stator.supervision.Supervisor supervisorFor(Scope<S> scope) {
    String name = id() + "/" + scope.state() + "@" + scope.tick;
    dev.stator.supervision.Supervisor.Builder b = dev.stator.supervision.Supervisor.builder(name)
        .threadFactory(config.taskFactory)
        .logger(LOG)
        .onFailure((task, failure) -> taskFailed(scope, task.name(), failure));
    if (!config.contexts.isEmpty()) b.wrap(this::carry);
    return b.build();
  }

  /** A task body wrapped with its context (CallerContext.wrap); on the forking thread. */
  private Runnable carry(Runnable body) {
    Generation<S> g = running;
    return config.contexts.wrap(body, g != null && g.isDrainer(Thread.currentThread()) ? g.context
        : null);
  }

  private void taskFailed(Scope<S> scope, String task, Throwable failure) {
    if (!scope.isCurrent()) { // its activation is over: the error belongs to no live state
      LOG.log(System.Logger.Level.WARNING, "task '" + task + "' of " + scope + " failed after "
          + "its state ended; not recorded as an error of the machine", failure);
      return;
    }
    LOG.log(System.Logger.Level.WARNING, "task '" + task + "' of " + scope + " failed",
        failure);
    if (closed) return;
    try { // drained on another thread: the task counts as ended before its error transition
      submit(MutationKind.ADD, 1L << schema.exception, null, Args.of(Key.ERROR, failure),
          Mutation.ERROR, null, true);
    } catch (RuntimeException e) { // closed or full meanwhile: the log above is the record
      failure.addSuppressed(e);
    }
  }

  java.util.concurrent.ThreadFactory holderFactory() {
    return config.holderFactory;
  }

  java.time.Duration scopeCloseBound() {
    return config.scopeCloseNanos;
  }

  /** The latest scope of a state, or null (tests). */
  @Nullable Scope<S> latestScope(S state) {
    ScopeTable<S> t = scopeTable;
    return t == null ? null : t.latest(schema.indexOf(state));
  }

  // ================================================================ waits
  /* Waits live in the WaitRegistry (its own lock, see its design); the draining thread tests them
   * after each top-level transition (with its errors and auto mutation) and again after it
   * releases the machine. Conditions on a single state also accept a clock that moved past its
   * value at registration. */

  @Override
  public Wait when(S state) {
    return register(MachineWait.WHEN, 1L << schema.indexOf(state));
  }

  @Override
  public Wait when(Collection<? extends S> states) {
    return register(MachineWait.WHEN, schema.maskOf(states));
  }

  @Override
  public Wait whenNot(S state) {
    return register(MachineWait.WHEN_NOT, 1L << schema.indexOf(state));
  }

  @Override
  public Wait whenNot(Collection<? extends S> states) {
    return register(MachineWait.WHEN_NOT, schema.maskOf(states));
  }

  @Override
  public Wait whenTicks(S state, long n) {
    if (n <= 0) throw new IllegalArgumentException("ticks must be positive: " + n);
    int i = schema.indexOf(state);
    long[] target = new long[schema.size];
    target[i] = tickAt(i) + n;
    return register(MachineWait.TICKS, 1L << i, target);
  }

  @Override
  public Wait whenTime(Snapshot time) {
    java.util.Objects.requireNonNull(time, "time");
    if (!time.schemaHash().equals(schema.hash())) {
      throw new IllegalArgumentException("snapshot of schema " + time.schemaHash()
          + " cannot be compared with machine " + id() + " of schema " + schema.name());
    }
    return register(MachineWait.TICKS, -1L >>> (64 - schema.size), time.ticks());
  }

  @Override
  public Wait whenArgs(S state, Args expected) {
    java.util.Objects.requireNonNull(expected, "expected");
    MachineWait w = MachineWait.args(this, schema.indexOf(state), expected);
    if (closed || !waits.add(w)) {
      w.fail(new MachineClosedException("machine " + id() + " is closed; wait refused"));
    }
    return w;
  }

  /** Offers a committed transition to the whenArgs waits; drainer. */
  void entered(long entering, Args args) {
    waits.entered(entering, args);
  }

  @Override
  public Wait whenQueue(Result result) {
    java.util.Objects.requireNonNull(result, "result");
    return MachineWait.of(result.future(), this, "whenQueue(" + result + ")");
  }

  @Override
  public Wait whenError() {
    return register(MachineWait.ERROR, 1L << schema.exception);
  }

  @Override
  public Wait whenClosed() {
    CompletableFuture<Void> cf = closedFuture;
    if (cf == null) {
      synchronized (waits) {
        cf = closedFuture;
        if (cf == null) closedFuture = cf = new CompletableFuture<>();
      }
      if (isTerminated()) cf.complete(null);
    }
    return MachineWait.of(cf, this, "whenClosed()");
  }

  long tickAt(int i) {
    return state.tick(i);
  }

  private Wait register(int kind, long mask) {
    return register(kind, mask, snapshot().ticks());
  }

  private Wait register(int kind, long mask, long[] base) {
    MachineWait w = new MachineWait(this, kind, mask, base);
    if (closed) {
      w.fail(new MachineClosedException("machine " + id() + " is closed; wait refused"));
      return w;
    }
    Snapshot now = snapshot();
    if (w.test(now.active(), now.ticks())) {
      w.complete();
      return w;
    }
    if (!waits.add(w)) {
      w.fail(new MachineClosedException("machine " + id() + " is closed; wait refused"));
      return w;
    }
    waits.recheck(w, state); // a transition may have committed between the test and the add
    return w;
  }

  void unregister(MachineWait w) {
    waits.remove(w);
  }

  /** Tests waits against the drainer's own state; drainer only. */
  private void notifyWaits() {
    if (!waits.isEmpty()) waits.notify(state.active(), state.ticksForDrainer());
  }

  /** The number of registered waits (tests). */
  int waitCount() {
    return waits.size();
  }

  // ================================================================ reads

  @Override
  public boolean is(S s) {
    return (state.active() >>> schema.indexOf(s) & 1) != 0;
  }

  @Override
  public boolean is(Collection<? extends S> states) {
    long m = schema.maskOf(states);
    return (state.active() & m) == m;
  }

  @Override
  public boolean not(S s) {
    return !is(s);
  }

  @Override
  public boolean any(Collection<? extends S> states) {
    return (state.active() & schema.maskOf(states)) != 0;
  }

  @Override
  public boolean hasError() {
    return (state.active() >>> schema.exception & 1) != 0;
  }

  @Override
  public @Nullable Throwable lastError() {
    return lastError;
  }

  @Override
  public Set<S> active() {
    long a = state.active();
    Set<S> out = new LinkedHashSet<>();
    for (long m = a; m != 0; m &= m - 1) {
      S s = schema.valueAt(Long.numberOfTrailingZeros(m));
      if (s != null) out.add(s);
    }
    return Collections.unmodifiableSet(out);
  }

  @Override
  public List<String> activeNames() {
    return schema.namesOf(state.active());
  }

  @Override
  public long tick(S s) {
    return state.tick(schema.indexOf(s));
  }

  @Override
  public Snapshot snapshot() {
    return state.snapshot();
  }

  @Override
  public int queueSize() {
    return inbox.size();
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  private boolean isTerminated() {
    CompletableFuture<Void> t = terminated;
    return t != null && t.isDone();
  }

  // ================================================================ close

  @Override
  public void close() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!TERMINATED.compareAndSet(this, null, done)) { // closed before: wait as the first did
      Generation<S> g = running;
      CompletableFuture<Void> first = terminated;
      Thread me = Thread.currentThread();
      if (first != null && !(g != null && g.isDrainer(me)) && me != owner) awaitClose(first);
      return;
    }
    closed = true; // then look for the holder: see the Dekker note in the design
    Thread me = Thread.currentThread();
    Generation<S> g = running;
    if (g != null && g.isDrainer(me)) return; // from a handler: finished when it returns
    if (config.confined) {
      LockSupport.unpark(owner);
      if (me != owner) awaitClose(done);
      return;
    }
    Generation<S> a = acquire(me);
    if (a != null) {
      boolean carried = Thread.interrupted();
      try {
        finishClose(a);
      } catch (Abandoned ab) { // a close handler was abandoned: the takeover finishes close
        leaveAbandoned(me);
      } finally {
        restoreInterrupt(carried);
      }
      if (done.isDone()) return;
    }
    awaitClose(done); // the holder finishes close when its transition ends
  }

  /** Waits for the holder to finish close, up to the handler timeout plus the scope bound. */
  private void awaitClose(CompletableFuture<Void> done) {
    Duration bound = config.scopeCloseNanos.plus(config.timeoutNanos > 0
        ? Duration.ofNanos(config.timeoutNanos) : Duration.ofSeconds(1));
    Time time = config.time; // the bound passes on the machine's time (TM1)
    long deadline = time.nanoTime() + Scope.saturatedNanos(bound);
    boolean interrupted = false;
    try {
      for (;;) { // uninterruptible: close must not be cut short by the closer's interrupt
        long left = deadline - time.nanoTime();
        if (left <= 0) break;
        try {
          if (TimedWait.await(time, done, left)) return;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      Thread stuck = drainerForWatchdog();
      LOG.log(System.Logger.Level.WARNING, "machine " + id() + ": close did not see the running "
          + "transition finish within " + bound + "; interrupting its thread "
          + (stuck == null ? "?" : stuck.getName()) + "; its scopes close when it returns");
      if (stuck != null) stuck.interrupt();
      waits.failAll(id()); // waits do not wait for the stuck handler
      LiveMachines.remove(serial);
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  /**
   * Finishes close while holding {@code g}, exactly once: the close transition, every scope,
   * everything queued; then the machine is TERMINAL. Drainer only.
   */
  private void finishClose(Generation<S> g) {
    cancelDelayed();
    Transition.close(this, g);
    ScopeTable<S> scopes = scopeTable;
    if (scopes != null) scopes.closeAll(g);
    g.takeFailures(); // recorded and logged; nobody holds a ticket for close
    Mutation m;
    while ((m = g.pollPriority()) != null) m.fail(closedError(m.kind, m.called));
    failQueued();
    g.thread(null);
    RUNNING.setVolatile(this, TERMINAL); // never idle again: no acquire can succeed
    failQueued(); // pushes that came after their own closed check are failed by their pushers
    waits.failAll(id());
    LiveMachines.remove(serial);
    CompletableFuture<Void> cf = closedFuture;
    if (cf != null) cf.complete(null);
    if (config.tracing) trace(() -> config.tracer.machineClosed(this));
    CompletableFuture<Void> t = terminated;
    if (t != null) t.complete(null);
  }

  /** Fails everything queued (the inbox, and the taken list when the caller drains). */
  private void failQueued() {
    inbox.drainPushed(s -> s.fail(closedError(s.kind, s.called)));
    Generation<S> g = running;
    if (g != null && g.isDrainer(Thread.currentThread())) {
      Mutation m;
      while ((m = inbox.poll()) != null) m.fail(closedError(m.kind, m.called));
    }
  }

  private MachineClosedException closedError(MutationKind kind, long called) {
    return new MachineClosedException("machine " + id() + " is closed; " + describe(kind, called)
        + " refused");
  }

  private String describe(MutationKind kind, long called) {
    return kind.label() + schema.namesOf(called);
  }

  // ================================================================ delayed mutations
  /* A delayed mutation (DelayedMutation) is kept in `delayed` while scheduled, so close can
   * cancel it: schedule() adds it, then re-reads `closed`; close writes `closed`, then (in
   * finishClose) cancels what it finds. One of the two sees the other. When its delay passes it
   * is submitted like a scope task's mutation (submitLater): queued, never drained on the
   * time's thread. Machines that never schedule pay nothing: `delayed` stays null. */

  /** Schedules a delayed mutation, owned by {@code guard}'s scope if not null. */
  Delayed schedule(Duration delay, MutationKind kind, long called, byte @Nullable [] order,
      Args args, @Nullable Scope<S> guard) {
    if (closed) throw closedError(kind, called);
    DelayedMutation d = new DelayedMutation(this, delay, kind, called, order, args, guard);
    java.util.Set<DelayedMutation> set = delayed;
    if (set == null) {
      synchronized (waits) {
        set = delayed;
        if (set == null) delayed = set = java.util.concurrent.ConcurrentHashMap.newKeySet();
      }
    }
    set.add(d);
    if (guard != null && !guard.own(d)) {
      d.cancel(guard.endedReason());
    } else if (closed) {
      d.cancel(closedReason());
    } else {
      d.start();
    }
    return d;
  }

  @Override
  Delayed schedule(Duration delay, MutationKind kind, long called, byte @Nullable [] order,
      Args args) {
    return schedule(delay, kind, called, order, args, null);
  }

  /** A delayed mutation whose delay passed: queued and drained elsewhere (time's thread). */
  Result submitLater(MutationKind kind, long called, byte @Nullable [] order, Args args,
      @Nullable Scope<?> guard) {
    return submit(kind, called, order, args, 0, guard, true);
  }

  /** A delayed mutation fired or was cancelled: forget it. */
  void delayedEnded(DelayedMutation d) {
    java.util.Set<DelayedMutation> set = delayed;
    if (set != null) set.remove(d);
  }

  /** Cancels every scheduled delayed mutation (close). */
  private void cancelDelayed() {
    java.util.Set<DelayedMutation> set = delayed;
    if (set == null) return;
    String why = closedReason();
    for (DelayedMutation d : set) d.cancel(why);
  }

  private String closedReason() {
    return "machine " + id() + " closed before the delay passed";
  }

  /** The number of delayed mutations still scheduled (tests). */
  int scheduledCount() {
    java.util.Set<DelayedMutation> set = delayed;
    return set == null ? 0 : set.size();
  }

  // ================================================================ idle

  @Override
  public Wait whenIdle() {
    return register(MachineWait.IDLE, 0L);
  }

  /**
   * Whether nothing is queued and no transition runs (MachineWait.IDLE); any thread. Tested
   * after every release and before the confined owner parks (both re-test the waits), so an
   * idle wait is never missed.
   */
  boolean idle() {
    if (inbox.hasPushed()) return false;
    Generation<S> g = running;
    if (g == TERMINAL) return true;
    if (config.confined) return ownerParked;
    return g == null;
  }

  /** A description of what the machine is doing, for an idle wait's timeout message. */
  String business() {
    return "queue " + queueSize() + ", " + (idle() ? "idle" : "busy");
  }

  // ================================================================ tracing

  void trace(Runnable call) {
    try {
      call.run();
    } catch (Throwable t) {
      config.tracerFailed(id(), t);
    }
  }


}
