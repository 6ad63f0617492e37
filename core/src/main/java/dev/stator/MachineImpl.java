package dev.stator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
   * The flow of a mutation: submit -> queue (the inbox, a Treiber stack) -> resolve (Resolver)
   * -> negotiate -> commit (Published, a seqlock) -> final handlers -> scopes (end at commit,
   * close after the final handlers) -> waits (WaitRegistry). This class owns the protocol that
   * decides which thread drains; everything a drainer writes lives in its Generation.
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
  private static final VarHandle INBOX;
  private static final VarHandle QUEUED;
  private static final VarHandle TAKEN;
  private static final VarHandle TERMINATED;
  private static final VarHandle TASKS;
  private static final Generation<?> TERMINAL = new Generation<>(-1);
  private static final Abandoned ABANDONED = new Abandoned(false);
  private static final Abandoned ABANDONED_COMMITTED = new Abandoned(true);
  /** Bound to the machine while one of its scope tasks runs (on the task's thread). */
  static final ScopedValue<MachineImpl<?>> TASK_OF = ScopedValue.newInstance();
  /** The body a carried task context runs (carry); set on the task's thread just before. */
  private static final ThreadLocal<Runnable> CARRIED_BODY = new ThreadLocal<>();

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      RUNNING = l.findVarHandle(MachineImpl.class, "running", Generation.class);
      INBOX = l.findVarHandle(MachineImpl.class, "inbox", Mutation.class);
      QUEUED = l.findVarHandle(MachineImpl.class, "queued", int.class);
      TAKEN = l.findVarHandle(MachineImpl.class, "taken", int.class);
      TERMINATED = l.findVarHandle(MachineImpl.class, "terminated", CompletableFuture.class);
      TASKS = l.findVarHandle(MachineImpl.class, "tasks", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final Schema<S> schema;
  private final long serial;
  private final @Nullable String customId;
  private final Config config;
  private final @Nullable Handlers handlers;
  private final Watchdog.@Nullable Watch watch;
  private final Published state;
  private final WaitRegistry waits = new WaitRegistry();

  // Drain protocol (see design).
  private volatile @Nullable Generation<S> running;
  private volatile Generation<S> gen = new Generation<>(0); // replaced by the watchdog only
  private volatile @Nullable Mutation inbox; // producers push (Treiber stack, newest first)
  private volatile int queued; // mutations in inbox + head list
  private volatile boolean closed;
  private volatile int tasks; // scope task bodies running now (cheap guard for TASK_OF)
  private volatile @Nullable Throwable lastError;
  private volatile @Nullable Set<Thread> abandoned; // threads whose handler was abandoned
  private volatile @Nullable Thread owner; // confined mode
  private volatile boolean ownerParked;
  private volatile @Nullable CompletableFuture<Void> closedFuture;
  private volatile @Nullable CompletableFuture<Void> terminated; // set by close(), then closed

  // Drainer-local, shared by generations: only a live generation's thread touches them, and an
  // abandoned thread touches nothing after the watchdog's claim (Watchdog design).
  private @Nullable Mutation head;
  private @Nullable Mutation tail;
  private int taken; // mutations in head..tail; drainer writes (opaque), queueSize() reads
  private long transitions;
  private @Nullable Scope<S> @Nullable [] scopes; // the latest scope of each state
  private long scopeMask; // states whose latest scope is open
  private int closePhase; // 0 not started, 1 close transition running, 2 committed

  MachineImpl(Machine.Builder<S> b) {
    this.schema = b.schema;
    this.serial = SERIALS.incrementAndGet();
    this.customId = b.id;
    this.config = Config.of(b);
    this.handlers = Handlers.of(b.handlers, schema.exception);
    this.watch = handlers != null && config.timeoutNanos > 0
        ? new Watchdog.Watch(this, config.timeoutNanos) : null;
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
      if (a != null) return runNow(me, a, kind, called, order, args, flags);
    }
    Mutation m = new Mutation(kind, called, order, args, flags, null, guard);
    if (!config.carriers.isEmpty()) m.context = captureContext();
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
  private @Nullable Generation<S> acquire(Thread me) {
    for (;;) {
      Generation<S> g = gen;
      if (running != null || !RUNNING.compareAndSet(this, null, g)) return null;
      if (g != gen) { // the watchdog replaced it before our CAS: give the dead one back
        RUNNING.setVolatile(this, null);
        continue;
      }
      g.thread = me;
      Watchdog.Watch w = watch;
      if (w != null) Watchdog.INSTANCE.enroll(w);
      return g;
    }
  }

  /**
   * Gives the machine back, then re-checks the inbox and {@code closed}; returns the generation
   * re-acquired if there is more to do, or null.
   */
  private @Nullable Generation<S> release(Thread me, Generation<S> g) {
    g.thread = null;
    if (!RUNNING.compareAndSet(this, g, null)) {
      throw new IllegalStateException("machine " + id() + ": release by a thread that does not "
          + "hold it (generation " + g.number + ")");
    }
    if (!waits.isEmpty()) waits.recheck(state);
    if (inbox == null && !closed) return null;
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
      if (head == null && inbox == null) {
        g.current = null;
        g.context = null;
        boolean ok = execute(g, kind, called, order, args, flags, null, null);
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
      while (!closed && (m = poll()) != null) {
        if (!m.queued()) continue; // failed by a racing close already
        runQueued(g, m);
        afterTransition(g);
        if (++batch >= config.drainBatch && (head != null || inbox != null) && handOff(g)) return;
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
   * {@link Config#DRAIN_BATCH} queued mutations; false if no thread could be started.
   */
  private boolean handOff(Generation<S> g) {
    Thread t = newDrainThread(() -> {
      Thread me = Thread.currentThread();
      g.thread = me;
      try {
        drain(me, g);
      } catch (Abandoned a) {
        leaveAbandoned(me);
      }
    });
    if (t == null) return false;
    g.thread = null; // before start: the new thread writes itself
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
        Mutation m = closed ? null : poll();
        if (m == null) {
          if (closed) break;
          ownerParked = true;
          if (!waits.isEmpty()) waits.notify(state.active(), state.ticksForDrainer());
          if (inbox == null && !closed) LockSupport.park(this);
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
    int n = (int) QUEUED.getAndAdd(this, 1);
    if (n >= config.queueLimit) {
      QUEUED.getAndAdd(this, -1);
      throw new QueueFullException("queue of machine " + id() + " is full (limit "
          + config.queueLimit + "); " + describe(m.kind, m.called) + " rejected");
    }
    Mutation h;
    do {
      h = inbox;
      m.next = h;
    } while (!INBOX.compareAndSet(this, h, m));
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

  /** Takes the oldest queued mutation; drainer only. */
  private @Nullable Mutation poll() {
    Mutation m = head;
    if (m == null) {
      if (inbox == null) return null; // the common case: no atomic operation
      Mutation s = (Mutation) INBOX.getAndSet(this, null);
      if (s == null) return null;
      Mutation rev = null; // reverse newest-first into oldest-first
      tail = s;
      int batch = 0;
      while (s != null) {
        Mutation n = s.next;
        s.next = rev;
        rev = s;
        s = n;
        batch++;
      }
      QUEUED.getAndAdd(this, -batch); // once per batch, not per mutation
      TAKEN.setOpaque(this, taken + batch);
      m = rev;
    }
    TAKEN.setOpaque(this, taken - 1);
    head = m.next;
    if (head == null) tail = null;
    m.next = null;
    return m;
  }

  // ================================================================ transitions

  /** Runs one queued (or error) mutation and completes its ticket; drainer only. */
  private void runQueued(Generation<S> g, Mutation m) {
    g.current = m;
    Runnable ctx = m.context;
    g.context = ctx;
    boolean ok;
    if (ctx == null) {
      ok = execute(g, m.kind, m.called, m.order, m.args, m.flags, m.source, m.scope);
    } else { // spec Q10: the transition runs in the context its caller had at submit
      InContext r = new InContext(() -> execute(g, m.kind, m.called, m.order, m.args, m.flags,
          m.source, m.scope));
      r.run(ctx);
      ok = r.result;
    }
    g.current = null;
    g.context = null;
    m.complete(ok, ok ? null : g.refusal, g.takeFailures());
  }

  /** The mutation that adds Exception carrying {@code error}. */
  private Mutation errorMutation(Generation<S> g, Throwable error, int flags,
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
        long autos = autoStates(state.active());
        if (autos != 0) {
          execute(g, MutationKind.AUTO, autos, null, Args.NONE, 0, null, null);
          g.takeFailures(); // recorded as Exception already; the auto mutation has no ticket
        }
        continue;
      }
      notifyWaits();
      return;
    }
  }

  /**
   * The auto states that the auto mutation adds (spec Q3, R10): the inactive auto states not
   * removed by an active state, narrowed to those that survive resolution, re-resolved until
   * every one of them does, so an auto state that cannot activate has no effect at all (R10).
   */
  private long autoStates(long before) {
    long autos = schema.auto & ~before;
    for (long m = autos; m != 0; m &= m - 1) {
      int i = Long.numberOfTrailingZeros(m);
      if ((schema.removedBy[i] & before) != 0) autos &= ~(1L << i);
    }
    while (autos != 0) {
      long survivors = autos & Resolver.resolve(schema, MutationKind.AUTO, autos, null, before);
      if (survivors == autos) break;
      autos = survivors;
    }
    return autos;
  }

  /**
   * Resolves and runs one mutation; returns whether it was executed (else {@code g.refusal}
   * says why). Throws {@link Abandoned} if the watchdog took the machine over meanwhile.
   * Drainer only.
   */
  private boolean execute(Generation<S> g, MutationKind kind, long called,
      byte @Nullable [] order, Args args, int flags, @Nullable String source,
      @Nullable Scope<?> guard) {
    if (guard != null && state.tick(guard.index) != guard.tick) { // a stale scope's mutation
      g.refusal = "the scope of " + schema.names[guard.index] + " (activation " + guard.tick
          + ") has ended";
      state.countMutation();
      return false;
    }
    long before = state.active();
    if ((flags & Mutation.TOGGLE) != 0 && (before & called) == called) kind = MutationKind.REMOVE;
    long target = Resolver.resolve(schema, kind, called, order, before);
    boolean accepted = kind == MutationKind.REMOVE || kind == MutationKind.AUTO
        || (called & ~target) == 0;
    long exiting = before & ~target;
    long entering = target & ~before;
    long again = kind == MutationKind.REMOVE ? 0 : called & before & target;
    long reenter = again & schema.multi;
    boolean changes = (exiting | entering | reenter) != 0;
    Handlers h = handlers;
    boolean selfHandlers = h != null && (again & h.masks[Binder.SELF]) != 0;
    boolean counted = kind != MutationKind.AUTO; // the queue tick counts API mutations
    if (accepted && !changes && !selfHandlers) { // nothing to run
      if (counted) state.countMutation();
      return true;
    }
    g.kind = kind;
    g.flags = flags;
    Event<S> e = null;
    if (h != null || config.tracing) {
      e = g.event;
      if (e == null) g.event = e = new Event<>(this);
      e.kind = kind;
      e.id = ++transitions;
      e.called = called;
      e.before = before;
      e.after = accepted ? target : before;
      e.entering = accepted ? entering | reenter : 0;
      e.args = args;
      e.source = source;
      e.finalPhase = false;
      e.state = -1;
      e.refusal = "";
    } else {
      ++transitions;
    }
    if (!accepted) {
      g.refusal = refusalOf(called & ~target, target);
      if (config.tracing) {
        Event<S> ev = e;
        ev.refusal = g.refusal;
        trace(() -> config.tracer.transitionStart(ev));
        trace(() -> config.tracer.transitionEnd(ev, false));
      }
      if (counted) state.countMutation();
      return false;
    }
    if (config.tracing) {
      Event<S> ev = e;
      trace(() -> config.tracer.transitionStart(ev));
    }
    if (h != null && !negotiate(g, h, e, exiting, entering | reenter, again, before, changes)) {
      if (config.tracing) {
        Event<S> ev = e;
        ev.refusal = g.refusal;
        trace(() -> config.tracer.transitionEnd(ev, false));
      }
      if (counted) state.countMutation();
      return false;
    }
    if ((flags & Mutation.ERROR) != 0) lastError = args.get(Key.ERROR);
    state.commit(target, exiting | entering, reenter, counted ? 1 : 0);
    Mutation cur = g.current;
    if (cur != null) cur.decide(); // before the scopes it ends are told
    long ended = (exiting | reenter) & scopeMask;
    if (ended != 0) endScopes(g, ended);
    if (h != null) {
      if (e != null) e.finalPhase = true;
      finish(g, h, e, exiting, entering | reenter, changes);
    }
    if (changes && kind != MutationKind.AUTO
        && (flags & (Mutation.ERROR | Mutation.FROM_AUTO)) != (Mutation.ERROR | Mutation.FROM_AUTO)) {
      g.autoPending = true;
    }
    if (config.tracing) {
      Event<S> ev = e;
      trace(() -> config.tracer.transitionEnd(ev, true));
    }
    ArrayList<Scope<S>> list = g.ending;
    if (list != null && !list.isEmpty()) closeEndedScopes(g); // after the transition
    return true;
  }

  /** Why the relations refused the called states {@code missing} (spec R6). */
  private String refusalOf(long missing, long target) {
    int i = Long.numberOfTrailingZeros(missing);
    String name = schema.names[i];
    long needs = schema.require[i] & ~target;
    if (needs != 0) return name + " requires " + String.join(", ", schema.namesOf(needs));
    long by = schema.removedBy[i] & target;
    if (by == 0) by = schema.remove[i] & target; // it lost a mutual removal
    if (by != 0) return name + " is removed by " + String.join(", ", schema.namesOf(by));
    return name + " did not resolve";
  }

  private boolean negotiate(Generation<S> g, Handlers h, Event<S> e, long exiting, long entering,
      long again, long before, boolean changes) {
    Binder.Source[] src = h.sources;
    int[] order = schema.handlerOrder;
    if (changes && h.anyEnter) {
      e.state = -1;
      for (Binder.Source s : src) {
        Binder.Invoker inv = s.plan.anyEnter;
        if (inv != null && !call(g, inv, s.target, "anyEnter", e, true)) return false;
      }
    }
    for (long r = schema.toRank(exiting & h.masks[Binder.EXIT]); r != 0;
        r &= ~Long.highestOneBit(r)) {
      if (!callAll(g, src, Binder.EXIT, order[63 - Long.numberOfLeadingZeros(r)], e, true)) {
        return false;
      }
    }
    for (long r = schema.toRank(entering & h.masks[Binder.ENTER]); r != 0; r &= r - 1) {
      if (!callAll(g, src, Binder.ENTER, order[Long.numberOfTrailingZeros(r)], e, true)) {
        return false;
      }
    }
    for (long ry = schema.toRank(entering & h.pairTo); ry != 0; ry &= ry - 1) {
      int y = order[Long.numberOfTrailingZeros(ry)];
      for (long rx = schema.toRank(before & ~(1L << y)); rx != 0; rx &= rx - 1) {
        int x = order[Long.numberOfTrailingZeros(rx)];
        for (Binder.Source s : src) {
          Binder.Invoker[][] pairs = s.plan.pairs;
          Binder.Invoker inv = pairs == null || pairs[y] == null ? null : pairs[y][x];
          e.state = y;
          if (inv != null && !call(g, inv, s.target, s.plan.pairNames[y][x], e, true)) {
            return false;
          }
        }
      }
    }
    for (long r = schema.toRank(again & h.masks[Binder.SELF]); r != 0; r &= r - 1) {
      if (!callAll(g, src, Binder.SELF, order[Long.numberOfTrailingZeros(r)], e, true)) {
        return false;
      }
    }
    return true;
  }

  private void finish(Generation<S> g, Handlers h, Event<S> e, long exiting, long entering,
      boolean changes) {
    Binder.Source[] src = h.sources;
    int[] order = schema.handlerOrder;
    for (long r = schema.toRank(exiting & h.masks[Binder.END]); r != 0;
        r &= ~Long.highestOneBit(r)) {
      callAll(g, src, Binder.END, order[63 - Long.numberOfLeadingZeros(r)], e, false);
    }
    for (long r = schema.toRank(entering & h.masks[Binder.STATE]); r != 0; r &= r - 1) {
      callAll(g, src, Binder.STATE, order[Long.numberOfTrailingZeros(r)], e, false);
    }
    if (changes && h.anyState) {
      e.state = -1;
      for (Binder.Source s : src) {
        Binder.Invoker inv = s.plan.anyState;
        if (inv != null) call(g, inv, s.target, "anyState", e, false);
      }
    }
  }

  private boolean callAll(Generation<S> g, Binder.Source[] src, int phase, int state, Event<S> e,
      boolean negotiation) {
    e.state = state;
    for (Binder.Source s : src) {
      Binder.Invoker inv = s.plan.byPhase[phase][state];
      if (inv != null && !call(g, inv, s.target, s.plan.names[phase][state], e, negotiation)) {
        return false;
      }
    }
    return true;
  }

  /** Calls one handler; returns whether the transition may go on. */
  private boolean call(Generation<S> g, Binder.Invoker inv, @Nullable Object target, String name,
      Event<S> e, boolean negotiation) {
    Watchdog.Watch w = watch;
    e.handler = name;
    Thread.interrupted(); // every handler starts with a clear interrupt status
    long running = w == null ? 0 : w.enter(name, !negotiation);
    if (config.tracing) trace(() -> config.tracer.handlerStart(e, name));
    boolean ok;
    Throwable failure = null;
    try {
      ok = inv.call(target, e);
    } catch (Throwable t) {
      ok = false;
      failure = t;
    }
    if (w != null && !w.exit(running)) { // the watchdog abandoned this handler: touch nothing
      throw negotiation ? ABANDONED : ABANDONED_COMMITTED;
    }
    e.handler = "";
    if (config.tracing) {
      boolean accepted = ok;
      Throwable f = failure;
      trace(() -> config.tracer.handlerEnd(e, name, accepted, f));
    }
    if (failure != null) {
      handlerFailed(g, name, failure, e, negotiation);
    } else if (!ok && negotiation) {
      g.refusal = "handler " + name + " refused";
    }
    return ok || !negotiation;
  }

  private void handlerFailed(Generation<S> g, String name, Throwable failure, Event<S> e,
      boolean negotiation) {
    if (negotiation) {
      g.refusal = "handler " + name + " threw " + failure;
    } else {
      g.addFailure(failure);
    }
    if (closed || (g.flags & Mutation.ERROR) != 0) { // closing, or an error transition's own
      LOG.log(System.Logger.Level.ERROR, "machine " + id() + ": handler " + name
          + (closed ? " threw while the machine closed" : " of an error transition threw")
          + "; not recorded again", failure);
      return;
    }
    int flags = Mutation.ERROR | (g.kind == MutationKind.AUTO ? Mutation.FROM_AUTO : 0);
    g.priority().add(errorMutation(g, failure, flags, id() + "/" + e.id));
    if (!handlers.observesErrors) {
      LOG.log(System.Logger.Level.WARNING, "machine " + id() + ": handler " + name
          + " threw; Exception added", failure);
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
    if (g != null && g != TERMINAL && stuck != null && g.thread == stuck) g.dead = add;
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
    return g == null ? null : g.thread;
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
    next.thread = t;
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
      ArrayList<Scope<S>> list = g.ending;
      if (list != null && !list.isEmpty()) closeEndedScopes(g);
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
    @SuppressWarnings("unchecked")
    Scope<S>[] all = scopes;
    if (all == null) scopes = all = (Scope<S>[]) new Scope<?>[schema.size];
    Scope<S> s = all[i];
    long tick = state.tick(i);
    if (s != null && s.tick == tick) return s; // this activation's
    if ((state.active() >>> i & 1) == 0) {
      for (Scope<S> x : g.ending == null ? List.<Scope<S>>of() : g.ending) {
        if (x.index == i) return x; // an End handler asking for the scope that just ended
      }
      throw new IllegalStateException("state " + schema.names[i] + " of machine " + id()
          + " is not active: it has no scope");
    }
    s = new Scope<>(this, i, tick);
    all[i] = s;
    scopeMask |= 1L << i;
    if (config.tracing) {
      Scope<S> opened = s;
      trace(() -> config.tracer.scopeOpened(this, opened));
    }
    return s;
  }

  /** Ends the scopes of states that exited or entered again (at commit); drainer only. */
  private void endScopes(Generation<S> g, long mask) {
    Scope<S>[] all = scopes;
    scopeMask &= ~mask;
    for (long r = schema.toRank(mask); r != 0; r &= ~Long.highestOneBit(r)) {
      Scope<S> s = all[schema.handlerOrder[63 - Long.numberOfLeadingZeros(r)]];
      s.end();
      if (g.ending == null) g.ending = new ArrayList<>(2);
      g.ending.add(s); // reverse handler order
    }
  }

  /** Closes the scopes ended by the running transition, in reverse handler order. */
  private void closeEndedScopes(Generation<S> g) {
    ArrayList<Scope<S>> list = g.ending;
    if (list == null) return;
    for (int k = 0; k < list.size(); k++) closeScope(g, list.get(k));
    list.clear();
  }

  private void closeScope(Generation<S> g, Scope<S> s) {
    Thread.interrupted(); // a scope close starts with a clear interrupt status
    Scope.ScopeCloseException failure = s.close(config.scopeCloseNanos);
    if (config.tracing) trace(() -> config.tracer.scopeClosed(this, s, failure));
    if (failure != null) {
      LOG.log(System.Logger.Level.WARNING, failure.getMessage(), failure);
      g.addFailure(failure);
      if (!closed) g.priority().add(errorMutation(g, failure, Mutation.ERROR, null));
    }
  }

  /** On close: ends every open scope, then closes them; drainer only. */
  private void closeAllScopes(Generation<S> g) {
    if (scopes != null && scopeMask != 0) endScopes(g, scopeMask);
    closeEndedScopes(g);
    g.takeFailures();
  }

  /** The supervisor of a scope's tasks; a task failure becomes an error state. */
  dev.stator.supervision.Supervisor supervisorFor(Scope<S> scope) {
    String name = id() + "/" + scope.state() + "@" + scope.tick;
    dev.stator.supervision.Supervisor.Builder b = dev.stator.supervision.Supervisor.builder(name)
        .threadFactory(config.taskFactory)
        .logger(LOG)
        .onFailure((task, failure) -> taskFailed(scope, task.name(), failure));
    if (!config.carriers.isEmpty()) b.wrap(this::carry);
    return b.build();
  }

  /**
   * Wraps a task body with the task context it must see: the context the mutating caller had
   * when it submitted the mutation now running (captured by captureContext), or, for a fork made
   * outside a transition (from a task), the forking thread's own.
   */
  private Runnable carry(Runnable body) {
    Generation<S> g = running;
    Runnable ctx = g != null && g.isDrainer(Thread.currentThread()) ? g.context : null;
    if (ctx == null) {
      Runnable r = body;
      for (java.util.function.UnaryOperator<Runnable> c : config.carriers) r = c.apply(r);
      return r;
    }
    return () -> inContext(ctx, body);
  }

  /**
   * A transition run inside a caller's context. A carrier that throws or does not run its body
   * must not cost the transition: it is logged and the transition runs without the context; what
   * the transition itself throws (Abandoned) passes through.
   */
  private final class InContext implements Runnable {
    private final java.util.function.BooleanSupplier transition;
    private boolean ran;
    private boolean result;
    private @Nullable Throwable own;

    InContext(java.util.function.BooleanSupplier transition) {
      this.transition = transition;
    }

    @Override
    public void run() {
      ran = true;
      try {
        result = transition.getAsBoolean();
      } catch (RuntimeException | Error t) {
        own = t;
        throw t;
      }
    }

    void run(Runnable ctx) {
      try {
        inContext(ctx, this);
      } catch (RuntimeException | Error t) {
        if (t == own) throw t;
        LOG.log(System.Logger.Level.ERROR, "machine " + id() + ": a context carrier threw"
            + (ran ? " after" : " before") + " the transition it carried", t);
      }
      if (!ran) {
        LOG.log(System.Logger.Level.ERROR, "machine " + id() + ": a context carrier did not run "
            + "the transition it carried; it runs without the caller's context");
        run();
      }
    }
  }

  /** Runs {@code body} on this thread inside a context that captureContext captured. */
  private static void inContext(Runnable ctx, Runnable body) {
    Runnable outer = CARRIED_BODY.get(); // a transition's context around a task fork: restore
    CARRIED_BODY.set(body);
    try {
      ctx.run();
    } finally {
      if (outer == null) CARRIED_BODY.remove();
      else CARRIED_BODY.set(outer);
    }
  }

  /** The calling thread's context, as the carriers capture it, to be run later. */
  private Runnable captureContext() {
    Runnable r = () -> CARRIED_BODY.get().run();
    for (java.util.function.UnaryOperator<Runnable> c : config.carriers) r = c.apply(r);
    return r;
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
    Scope<S>[] all = scopes;
    return all == null ? null : all[schema.indexOf(state)];
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
    waits.recheck(state); // a transition may have committed between the test and the add
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
    return Math.max(0, queued + (int) TAKEN.getOpaque(this));
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
    long deadline = System.nanoTime() + Scope.saturatedNanos(bound);
    boolean interrupted = false;
    try {
      for (;;) { // uninterruptible: close must not be cut short by the closer's interrupt
        long left = deadline - System.nanoTime();
        if (left <= 0) break;
        try {
          done.get(left, java.util.concurrent.TimeUnit.NANOSECONDS);
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (java.util.concurrent.ExecutionException
            | java.util.concurrent.TimeoutException e) {
          break;
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
    closeTransition(g);
    closeAllScopes(g);
    Mutation m;
    while ((m = g.pollPriority()) != null) m.fail(closedError(m.kind, m.called));
    failQueued();
    g.thread = null;
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

  /**
   * The close transition (spec "Close"): every active state exits. Exit handlers run in reverse
   * handler order and cannot refuse, then the active set becomes empty (each exiting clock ticks),
   * then the end handlers run in reverse order; scopes close after (closeAllScopes). A takeover
   * after an abandoned close handler commits what is left without running handlers again.
   */
  private void closeTransition(Generation<S> g) {
    long before = state.active();
    if (closePhase == 2 || before == 0) {
      closePhase = 2;
      return;
    }
    if (closePhase == 1) { // a handler of the first try was abandoned
      state.commit(0, before, 0, 0);
      endScopes(g, before & scopeMask);
      closePhase = 2;
      return;
    }
    closePhase = 1;
    g.kind = MutationKind.CLOSE;
    g.flags = 0;
    Handlers h = handlers;
    Event<S> e = null;
    if (h != null || config.tracing) {
      e = g.event;
      if (e == null) g.event = e = new Event<>(this);
      e.kind = MutationKind.CLOSE;
      e.id = ++transitions;
      e.called = 0;
      e.before = before;
      e.after = 0;
      e.entering = 0;
      e.args = Args.NONE;
      e.source = null;
      e.finalPhase = false;
      e.state = -1;
      e.refusal = "";
      Event<S> ev = e;
      if (config.tracing) trace(() -> config.tracer.transitionStart(ev));
    } else {
      ++transitions;
    }
    int[] order = schema.handlerOrder;
    if (h != null) {
      for (long r = schema.toRank(before & h.masks[Binder.EXIT]); r != 0;
          r &= ~Long.highestOneBit(r)) {
        callAll(g, h.sources, Binder.EXIT, order[63 - Long.numberOfLeadingZeros(r)], e, false);
      }
    }
    state.commit(0, before, 0, 0);
    closePhase = 2;
    long ended = before & scopeMask;
    if (ended != 0) endScopes(g, ended);
    if (h != null) {
      e.finalPhase = true;
      for (long r = schema.toRank(before & h.masks[Binder.END]); r != 0;
          r &= ~Long.highestOneBit(r)) {
        callAll(g, h.sources, Binder.END, order[63 - Long.numberOfLeadingZeros(r)], e, false);
      }
    }
    g.takeFailures(); // logged by handlerFailed; nobody holds a ticket for close
    if (config.tracing) {
      Event<S> ev = e;
      trace(() -> config.tracer.transitionEnd(ev, true));
    }
  }

  /** Fails everything queued (the inbox, and the taken list when the caller drains). */
  private void failQueued() {
    Mutation s = (Mutation) INBOX.getAndSet(this, null);
    for (; s != null; s = s.next) {
      QUEUED.getAndAdd(this, -1);
      s.fail(closedError(s.kind, s.called));
    }
    Generation<S> g = running;
    if (g != null && g.isDrainer(Thread.currentThread())) {
      Mutation m;
      while ((m = poll()) != null) m.fail(closedError(m.kind, m.called));
    }
  }

  private MachineClosedException closedError(MutationKind kind, long called) {
    return new MachineClosedException("machine " + id() + " is closed; " + describe(kind, called)
        + " refused");
  }

  private String describe(MutationKind kind, long called) {
    return kind.label() + schema.namesOf(called);
  }

  // ================================================================ tracing

  private void trace(Runnable call) {
    try {
      call.run();
    } catch (Throwable t) {
      config.tracerFailed(id(), t);
    }
  }

  /** The watchdog took the machine over; unwinds the abandoned thread. */
  private static final class Abandoned extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final boolean committed; // whether the abandoned transition had committed

    Abandoned(boolean committed) {
      super("abandoned", null, false, false);
      this.committed = committed;
    }
  }

  // ================================================================ config

  /** Immutable options; machines built with all defaults share one instance. */
  static final class Config {
    static final int DRAIN_BATCH = 1024;
    private static final Config DEFAULT = new Config(List.of(), false, null,
        Duration.ofSeconds(1), 100_000, Duration.ofSeconds(1), List.of());

    final Tracer tracer;
    final boolean tracing;
    final boolean confined;
    final ThreadFactory drainFactory;
    final ThreadFactory ownerFactory;
    final long timeoutNanos;
    final Duration scopeCloseNanos;
    final ThreadFactory taskFactory;
    final ThreadFactory holderFactory;
    final int queueLimit;
    final List<java.util.function.UnaryOperator<Runnable>> carriers;
    final int drainBatch = DRAIN_BATCH;
    final boolean customFactory;
    private final Set<String> tracerFailures = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private Config(List<Tracer> tracers, boolean confined, @Nullable ThreadFactory factory,
        @Nullable Duration timeout, int queueLimit, Duration scopeClose,
        List<java.util.function.UnaryOperator<Runnable>> carriers) {
      this.carriers = carriers;
      this.tracer = tracers.isEmpty() ? Tracer.NOOP
          : tracers.size() == 1 ? tracers.get(0) : new Tracers(tracers);
      this.tracing = !tracers.isEmpty();
      this.confined = confined;
      this.customFactory = factory != null;
      this.drainFactory = factory != null ? factory
          : Thread.ofVirtual().name("stator-drain-", 0).factory();
      this.ownerFactory = factory != null ? factory
          : Thread.ofPlatform().daemon().name("stator-owner-", 0).factory();
      this.timeoutNanos = timeout == null ? 0 : Scope.saturatedNanos(timeout);
      this.scopeCloseNanos = scopeClose;
      this.taskFactory = factory != null ? factory
          : Thread.ofVirtual().name("stator-task-", 0).factory();
      this.holderFactory = factory != null ? factory
          : Thread.ofVirtual().name("stator-hold-", 0).factory();
      this.queueLimit = queueLimit;
    }

    static Config of(Machine.Builder<?> b) {
      if (b.tracers.isEmpty() && !b.confined && b.threadFactory == null
          && Duration.ofSeconds(1).equals(b.handlerTimeout) && b.queueLimit == 100_000
          && Duration.ofSeconds(1).equals(b.scopeCloseTimeout) && b.carriers.isEmpty()) {
        return DEFAULT;
      }
      return new Config(List.copyOf(b.tracers), b.confined, b.threadFactory, b.handlerTimeout,
          b.queueLimit, b.scopeCloseTimeout, List.copyOf(b.carriers));
    }

    void tracerFailed(String machine, Throwable t) {
      if (tracerFailures.add(t.getClass().getName())) {
        LOG.log(System.Logger.Level.ERROR, "tracer of machine " + machine + " threw; "
            + "ignored (logged once per exception type)", t);
      }
    }
  }

  /** Several tracers called in order; each guarded separately by the machine's trace(). */
  private static final class Tracers extends Tracer {
    private final Tracer[] all;

    Tracers(List<Tracer> all) {
      this.all = all.toArray(Tracer[]::new);
    }

    @Override
    public void machineStarted(Machine<?> m) {
      for (Tracer t : all) t.machineStarted(m);
    }

    @Override
    public void machineRestored(Machine<?> m, Snapshot s) {
      for (Tracer t : all) t.machineRestored(m, s);
    }

    @Override
    public void mutationQueued(Machine<?> m, MutationKind k, List<String> states, Args args) {
      for (Tracer t : all) t.mutationQueued(m, k, states, args);
    }

    @Override
    public void transitionStart(Event<?> e) {
      for (Tracer t : all) t.transitionStart(e);
    }

    @Override
    public void handlerStart(Event<?> e, String h) {
      for (Tracer t : all) t.handlerStart(e, h);
    }

    @Override
    public void handlerEnd(Event<?> e, String h, boolean ok, @Nullable Throwable f) {
      for (Tracer t : all) t.handlerEnd(e, h, ok, f);
    }

    @Override
    public void transitionEnd(Event<?> e, boolean executed) {
      for (Tracer t : all) t.transitionEnd(e, executed);
    }

    @Override
    public void machineClosed(Machine<?> m) {
      for (Tracer t : all) t.machineClosed(m);
    }

    @Override
    public void scopeOpened(Machine<?> m, StateScope<?> s) {
      for (Tracer t : all) t.scopeOpened(m, s);
    }

    @Override
    public void scopeClosed(Machine<?> m, StateScope<?> s, @Nullable Throwable f) {
      for (Tracer t : all) t.scopeClosed(m, s, f);
    }
  }

  // ================================================================ handlers

  /** The handler sources of one machine, with masks OR-ed over all of them. */
  static final class Handlers {
    final Binder.Source[] sources;
    final long[] masks = new long[5];
    final long pairTo;
    final boolean anyEnter;
    final boolean anyState;
    final boolean observesErrors;

    private Handlers(List<Binder.Source> list, int exception) {
      this.sources = list.toArray(Binder.Source[]::new);
      long pairTo = 0;
      boolean anyEnter = false;
      boolean anyState = false;
      for (Binder.Source s : sources) {
        for (int p = 0; p < 5; p++) masks[p] |= s.plan.masks[p];
        pairTo |= s.plan.pairTo;
        anyEnter |= s.plan.anyEnter != null;
        anyState |= s.plan.anyState != null;
      }
      this.pairTo = pairTo;
      this.anyEnter = anyEnter;
      this.anyState = anyState;
      long ex = 1L << exception;
      this.observesErrors = ((masks[Binder.ENTER] | masks[Binder.STATE]) & ex) != 0;
    }

    static @Nullable Handlers of(List<Binder.Source> list, int exception) {
      List<Binder.Source> nonEmpty = new ArrayList<>();
      for (Binder.Source s : list) {
        Binder.Plan p = s.plan;
        boolean any = p.anyEnter != null || p.anyState != null || p.pairTo != 0;
        for (long m : p.masks) any |= m != 0;
        if (any) nonEmpty.add(s);
      }
      if (nonEmpty.isEmpty()) return null;
      return new Handlers(nonEmpty, exception);
    }
  }
}
