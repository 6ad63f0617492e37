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
   * Ownership. One thread at a time "drains" the machine: it holds `status` and is the only one
   * that runs transitions, calls handlers, and writes the published state (`active`, `ticks`,
   * `queueTick`, `seq`) and the drainer-local fields (queue head/tail, `priority`,
   * `autoPending`, `event`, `transitions`, `held`, `cur*`). Every other thread only pushes onto
   * `inbox` and reads the published state.
   *
   * status (an int, CAS): 0 = idle; otherwise bit0 RUNNING and bits 3.. the generation. A
   * drainer's token is gen << 3 | 1. Transitions of status:
   *   idle -> token          a thread that finds the machine idle (CAS; full fence)
   *   token -> 0             the drainer releases (CAS), then re-checks the inbox
   *   token -> next gen      the watchdog, after it claimed a stuck handler (Watchdog.Watch):
   *                          the claim and the handler's return are one CAS apart, so the
   *                          abandoned thread learns it when its handler returns and touches
   *                          nothing more; a new thread drains with the new token.
   *
   * Happens-before edges.
   *   - Pushing a mutation (CAS on inbox) hb the drainer that takes it (getAndSet on inbox).
   *   - A drainer's release CAS on status hb the next acquire CAS, so the next drainer sees the
   *     drainer-local fields; the watchdog's CAS hb the thread it starts to take over.
   *   - Lost wake-up: a producer pushes (CAS) then reads status; the drainer releases (CAS) then
   *     reads inbox. Both are full fences, so one of them sees the other's write.
   *   - Readers: `active` is volatile, written with release after the clocks; `snapshot()` reads
   *     under the seqlock `seq` (odd while a commit writes), so it never mixes two transitions.
   *
   * Confined mode: the owner thread takes status once and keeps it until close; it parks while
   * the inbox is empty (`ownerParked`, volatile, Dekker with the producer's push). */

  private static final System.Logger LOG = System.getLogger("dev.stator.Machine");
  private static final AtomicLong SERIALS = new AtomicLong();
  private static final VarHandle STATUS;
  private static final VarHandle SEQ;
  private static final VarHandle ACTIVE;
  private static final VarHandle QUEUE_TICK;
  private static final VarHandle INBOX;
  private static final VarHandle QUEUED;
  private static final VarHandle TAKEN;
  private static final VarHandle TERMINATED;
  private static final VarHandle TICKS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final MachineWait[] NO_WAITS = new MachineWait[0];
  private static final Abandoned ABANDONED = new Abandoned(false);
  private static final Abandoned ABANDONED_COMMITTED = new Abandoned(true);

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      STATUS = l.findVarHandle(MachineImpl.class, "status", int.class);
      SEQ = l.findVarHandle(MachineImpl.class, "seq", int.class);
      ACTIVE = l.findVarHandle(MachineImpl.class, "active", long.class);
      QUEUE_TICK = l.findVarHandle(MachineImpl.class, "queueTick", long.class);
      INBOX = l.findVarHandle(MachineImpl.class, "inbox", Mutation.class);
      QUEUED = l.findVarHandle(MachineImpl.class, "queued", int.class);
      TAKEN = l.findVarHandle(MachineImpl.class, "taken", int.class);
      TERMINATED = l.findVarHandle(MachineImpl.class, "terminated", CompletableFuture.class);
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

  // Published state: written by the drainer only (see design).
  private volatile long active;
  private final long[] ticks;
  private volatile int seq;
  private long queueTick; // opaque

  // Drain.
  private volatile int status;
  private volatile int gen; // written by the watchdog before it starts a new drainer
  private @Nullable Thread drainer; // written by the drainer; others compare it to themselves
  private volatile @Nullable Mutation inbox; // producers push (Treiber stack, newest first)
  private volatile int queued; // mutations in inbox + head list
  private volatile boolean closed;
  private volatile @Nullable Throwable lastError;
  private volatile @Nullable Set<Thread> abandoned; // threads whose handler was abandoned
  private volatile @Nullable Thread owner; // confined mode
  private volatile boolean ownerParked;
  private volatile MachineWait[] waits = NO_WAITS; // copy-on-write; guarded by `this` for writes
  private volatile @Nullable CompletableFuture<Void> closedFuture;
  private volatile @Nullable CompletableFuture<Void> terminated; // set by close(), then closed

  // Drainer-local.
  private @Nullable Mutation head;
  private @Nullable Mutation tail;
  private int taken; // mutations in head..tail; drainer writes (opaque), queueSize() reads
  private @Nullable ArrayDeque<Mutation> priority;
  private boolean autoPending;
  private @Nullable Event<S> event;
  private long transitions;
  private int held; // the exact status value this drainer holds
  private @Nullable Mutation current; // the queued mutation running now, for the watchdog
  private @Nullable Scope<S> @Nullable [] scopes; // the latest scope of each state
  private long scopeMask; // states whose latest scope is open
  private @Nullable ArrayList<Scope<S>> ending; // ended at the running commit; drainer only
  private MutationKind curKind = MutationKind.ADD;
  private int curFlags;

  MachineImpl(Machine.Builder<S> b) {
    this.schema = b.schema;
    this.serial = SERIALS.incrementAndGet();
    this.customId = b.id;
    this.config = Config.of(b);
    this.handlers = Handlers.of(b.handlers, schema.exception);
    this.ticks = new long[schema.size];
    this.watch = handlers != null && config.timeoutNanos > 0
        ? new Watchdog.Watch(this, config.timeoutNanos) : null;
    Snapshot r = b.restore;
    if (r != null) {
      long[] t = r.ticks();
      System.arraycopy(t, 0, ticks, 0, t.length);
      queueTick = r.queueTick();
      active = r.active();
    }
    if (config.tracing) {
      if (r != null) trace(() -> config.tracer.machineRestored(this, r));
      else trace(() -> config.tracer.machineStarted(this));
    }
    if (b.listed) LiveMachines.add(this, serial);
    if (config.confined) {
      Thread t = config.ownerFactory.newThread(() -> ownerLoop(acquireForOwner()));
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
    if (closed) throw closedError(kind, called);
    Thread me = Thread.currentThread();
    Set<Thread> ab = abandoned;
    if (ab != null && ab.contains(me)) return Outcome.CANCELED; // a late, abandoned handler
    if (me == drainer) { // from a handler or tracer of this machine
      Event<S> e = event;
      Mutation m = new Mutation(kind, called, order, args, flags,
          e == null ? null : id() + "/" + e.id, guard);
      if ((flags & Mutation.ERROR) != 0) {
        priorityQueue().add(m);
      } else {
        enqueue(m);
      }
      return m;
    }
    if (!config.confined && guard == null) {
      int token = gen << 3 | 1;
      if (STATUS.compareAndSet(this, 0, token)) {
        return runNow(me, token, kind, called, order, args, flags, null);
      }
    }
    Mutation m = new Mutation(kind, called, order, args, flags, null, guard);
    enqueue(m);
    if (config.confined) {
      if (ownerParked) LockSupport.unpark(owner);
    } else if (guard == null) {
      tryDrain(me);
    } else if (status == 0) {
      // A scope's mutation never runs on the calling thread: a task must not run the
      // transition that ends its own scope (it would interrupt and await itself).
      drainElsewhere();
    }
    return m;
  }

  /** Starts a thread that drains the machine if it is idle. */
  private void drainElsewhere() {
    Thread t = config.drainFactory.newThread(() -> tryDrain(Thread.currentThread()));
    if (t == null) {
      tryDrain(Thread.currentThread()); // no thread to be had: drain here rather than never
    } else {
      t.start();
    }
  }

  private Result runNow(Thread me, int token, MutationKind kind, long called,
      byte @Nullable [] order, Args args, int flags, @Nullable Scope<?> guard) {
    drainer = me;
    held = token;
    Watchdog.Watch w = watch;
    if (w != null) Watchdog.INSTANCE.enroll(w);
    Mutation queuedMine = null;
    boolean ok = false;
    boolean ran = false;
    try {
      if (head == null && inbox == null) {
        ok = execute(kind, called, order, args, flags, null, guard);
        ran = true;
        afterTransition();
      } else { // keep FIFO with what is already queued
        queuedMine = new Mutation(kind, called, order, args, flags, null, guard);
        try {
          enqueue(queuedMine);
        } catch (RuntimeException full) { // queue full or closed: release, then report
          drainAndRelease(me);
          throw full;
        }
      }
      drainAndRelease(me);
    } catch (Abandoned a) {
      leaveAbandoned(me);
      if (queuedMine == null && !ran) return Outcome.of(a.committed);
    }
    if (queuedMine != null) {
      return queuedMine.status() == Result.Status.QUEUED ? queuedMine
          : Outcome.of(queuedMine.executed());
    }
    return Outcome.of(ok);
  }

  /** After queueing: drains if the machine is idle (the lost-wake-up re-check). */
  private void tryDrain(Thread me) {
    if (status != 0) return;
    int token = gen << 3 | 1;
    if (!STATUS.compareAndSet(this, 0, token)) return;
    drainer = me;
    held = token;
    Watchdog.Watch w = watch;
    if (w != null) Watchdog.INSTANCE.enroll(w);
    try {
      drainAndRelease(me);
    } catch (Abandoned a) {
      leaveAbandoned(me);
    }
  }

  private void leaveAbandoned(Thread me) {
    markAbandoned(me, false);
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
    if (closed) { // close() may have failed the queue before our push
      failQueued();
      throw closedError(m.kind, m.called);
    }
  }

  private ArrayDeque<Mutation> priorityQueue() {
    ArrayDeque<Mutation> p = priority;
    if (p == null) priority = p = new ArrayDeque<>(4);
    return p;
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

  /** Drains the queue, then releases the machine; drainer only. */
  private void drainAndRelease(Thread me) {
    for (;;) {
      int batch = 0;
      Mutation m;
      while ((m = poll()) != null) {
        if (closed) {
          m.fail(closedError(m.kind, m.called));
          continue;
        }
        runQueued(m);
        afterTransition();
        if (++batch >= config.drainBatch && (head != null || inbox != null) && handOff()) return;
      }
      if (closed) {
        closeAllScopes();
        failPriority();
        terminated();
      }
      drainer = null;
      if (!STATUS.compareAndSet(this, held, 0)) throw ABANDONED;
      if (waits.length != 0) recheckWaits();
      if (inbox == null) return;
      int token = gen << 3 | 1;
      if (!STATUS.compareAndSet(this, 0, token)) return;
      drainer = me;
      held = token;
    }
  }

  /** Passes the machine to a new thread so that the caller returns; false if none started. */
  private boolean handOff() {
    int token = held;
    Thread t;
    try {
      t = config.drainFactory.newThread(() -> {
        Thread self = Thread.currentThread();
        drainer = self;
        try {
          drainAndRelease(self);
        } catch (Abandoned a) {
          leaveAbandoned(self);
        }
      });
    } catch (RuntimeException e) {
      return false;
    }
    if (t == null) return false;
    drainer = null;
    held = token;
    t.start(); // Thread.start hb the new thread's actions
    return true;
  }

  // ================================================================ confined owner

  private int acquireForOwner() {
    int token = gen << 3 | 1;
    while (!STATUS.compareAndSet(this, 0, token)) Thread.onSpinWait();
    return token;
  }

  private void ownerLoop(int token) {
    Thread me = Thread.currentThread();
    drainer = me;
    held = token;
    try {
      for (;;) {
        Mutation m = poll();
        if (m == null) {
          if (closed) break;
          ownerParked = true;
          if (waits.length != 0) notifyWaits();
          if (inbox == null && !closed) LockSupport.park(this);
          ownerParked = false;
          Watchdog.Watch w = watch;
          if (w != null && inbox != null) Watchdog.INSTANCE.enroll(w);
          continue;
        }
        if (closed) {
          m.fail(closedError(m.kind, m.called));
          continue;
        }
        runQueued(m);
        afterTransition();
      }
      closeAllScopes();
      failPriority();
      failQueued(); // a push that raced with close and missed its own closed check
      drainer = null;
      STATUS.compareAndSet(this, held, 0);
      terminated();
    } catch (Abandoned a) {
      leaveAbandoned(me);
    }
  }

  // ================================================================ transitions

  /** Runs one queued (or error) mutation and completes its ticket; drainer only. */
  private void runQueued(Mutation m) {
    current = m;
    boolean ok = execute(m.kind, m.called, m.order, m.args, m.flags, m.source, m.scope);
    current = null;
    m.complete(ok);
  }

  /** The mutation that adds Exception carrying {@code error}. */
  private Mutation errorMutation(Throwable error, int flags, @Nullable String source) {
    return new Mutation(MutationKind.ADD, 1L << schema.exception, null, Args.of(Key.ERROR, error),
        flags, source, null);
  }

  /** Errors and the auto mutation run before anything else queued; drainer only. */
  private void afterTransition() {
    for (;;) {
      if (closed) {
        notifyWaits();
        return;
      }
      ArrayDeque<Mutation> p = priority;
      Mutation e = p == null ? null : p.poll();
      if (e != null) {
        runQueued(e);
        continue;
      }
      if (autoPending) {
        autoPending = false;
        long before = active;
        long autos = schema.auto & ~before;
        for (long m = autos; m != 0; m &= m - 1) {
          int i = Long.numberOfTrailingZeros(m);
          if ((schema.removedBy[i] & before) != 0) autos &= ~(1L << i);
        }
        if (autos != 0) execute(MutationKind.AUTO, autos, null, Args.NONE, 0, null, null);
        continue;
      }
      notifyWaits();
      return;
    }
  }

  /**
   * Resolves and runs one mutation; returns whether it was executed. Throws {@link Abandoned}
   * if the watchdog took the machine over meanwhile. Drainer only.
   */
  private boolean execute(MutationKind kind, long called, byte @Nullable [] order, Args args,
      int flags, @Nullable String source, @Nullable Scope<?> guard) {
    if (guard != null && ticks[guard.index] != guard.tick) { // a stale scope's mutation
      QUEUE_TICK.setOpaque(this, queueTick + 1);
      return false;
    }
    long before = active;
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
    long counted = kind == MutationKind.AUTO ? 0 : 1; // the queue tick counts API mutations
    if (accepted && !changes && !selfHandlers) { // nothing to run
      QUEUE_TICK.setOpaque(this, queueTick + counted);
      return true;
    }
    curKind = kind;
    curFlags = flags;
    Event<S> e = null;
    if (h != null || config.tracing) {
      e = event;
      if (e == null) event = e = new Event<>(this);
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
    } else {
      ++transitions;
    }
    if (!accepted) {
      if (config.tracing) {
        Event<S> ev = e;
        trace(() -> config.tracer.transitionStart(ev));
        trace(() -> config.tracer.transitionEnd(ev, false));
      }
      QUEUE_TICK.setOpaque(this, queueTick + counted);
      return false;
    }
    if (config.tracing) {
      Event<S> ev = e;
      trace(() -> config.tracer.transitionStart(ev));
    }
    if (h != null && !negotiate(h, e, exiting, entering | reenter, again, before, changes)) {
      if (config.tracing) {
        Event<S> ev = e;
        trace(() -> config.tracer.transitionEnd(ev, false));
      }
      QUEUE_TICK.setOpaque(this, queueTick + counted);
      return false;
    }
    if ((flags & Mutation.ERROR) != 0) lastError = args.get(Key.ERROR);
    commit(target, exiting | entering, reenter, counted);
    long ended = (exiting | reenter) & scopeMask;
    if (ended != 0) endScopes(ended);
    if (h != null) {
      if (e != null) e.finalPhase = true;
      finish(h, e, exiting, entering | reenter, changes);
    }
    if (changes && kind != MutationKind.AUTO
        && (flags & (Mutation.ERROR | Mutation.FROM_AUTO)) != (Mutation.ERROR | Mutation.FROM_AUTO)) {
      autoPending = true;
    }
    if (config.tracing) {
      Event<S> ev = e;
      trace(() -> config.tracer.transitionEnd(ev, true));
    }
    if (ending != null && !ending.isEmpty()) closeEndedScopes(); // after the transition
    return true;
  }

  private void commit(long target, long flipped, long reenter, long counted) {
    int s = seq;
    SEQ.setOpaque(this, s + 1);
    VarHandle.storeStoreFence();
    long[] t = ticks;
    for (long m = flipped; m != 0; m &= m - 1) {
      int i = Long.numberOfTrailingZeros(m);
      TICKS.setOpaque(t, i, t[i] + 1);
    }
    for (long m = reenter; m != 0; m &= m - 1) {
      int i = Long.numberOfTrailingZeros(m);
      TICKS.setOpaque(t, i, t[i] + 2);
    }
    QUEUE_TICK.setOpaque(this, queueTick + counted);
    ACTIVE.setRelease(this, target);
    SEQ.setRelease(this, s + 2);
  }

  private boolean negotiate(Handlers h, Event<S> e, long exiting, long entering, long again,
      long before, boolean changes) {
    Binder.Source[] src = h.sources;
    int[] order = schema.handlerOrder;
    if (changes && h.anyEnter) {
      e.state = -1;
      for (Binder.Source s : src) {
        Binder.Invoker inv = s.plan.anyEnter;
        if (inv != null && !call(inv, s.target, "anyEnter", e, true)) return false;
      }
    }
    for (long r = schema.toRank(exiting & h.masks[Binder.EXIT]); r != 0;
        r &= ~Long.highestOneBit(r)) {
      if (!callAll(src, Binder.EXIT, order[63 - Long.numberOfLeadingZeros(r)], e, true)) {
        return false;
      }
    }
    for (long r = schema.toRank(entering & h.masks[Binder.ENTER]); r != 0; r &= r - 1) {
      if (!callAll(src, Binder.ENTER, order[Long.numberOfTrailingZeros(r)], e, true)) {
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
          if (inv != null && !call(inv, s.target, s.plan.pairNames[y][x], e, true)) return false;
        }
      }
    }
    for (long r = schema.toRank(again & h.masks[Binder.SELF]); r != 0; r &= r - 1) {
      if (!callAll(src, Binder.SELF, order[Long.numberOfTrailingZeros(r)], e, true)) {
        return false;
      }
    }
    return true;
  }

  private void finish(Handlers h, Event<S> e, long exiting, long entering, boolean changes) {
    Binder.Source[] src = h.sources;
    int[] order = schema.handlerOrder;
    for (long r = schema.toRank(exiting & h.masks[Binder.END]); r != 0;
        r &= ~Long.highestOneBit(r)) {
      callAll(src, Binder.END, order[63 - Long.numberOfLeadingZeros(r)], e, false);
    }
    for (long r = schema.toRank(entering & h.masks[Binder.STATE]); r != 0; r &= r - 1) {
      callAll(src, Binder.STATE, order[Long.numberOfTrailingZeros(r)], e, false);
    }
    if (changes && h.anyState) {
      e.state = -1;
      for (Binder.Source s : src) {
        Binder.Invoker inv = s.plan.anyState;
        if (inv != null) call(inv, s.target, "anyState", e, false);
      }
    }
  }

  private boolean callAll(Binder.Source[] src, int phase, int state, Event<S> e,
      boolean negotiation) {
    e.state = state;
    for (Binder.Source s : src) {
      Binder.Invoker inv = s.plan.byPhase[phase][state];
      if (inv != null && !call(inv, s.target, s.plan.names[phase][state], e, negotiation)) {
        return false;
      }
    }
    return true;
  }

  /** Calls one handler; returns whether the transition may go on. */
  private boolean call(Binder.Invoker inv, @Nullable Object target, String name, Event<S> e,
      boolean negotiation) {
    Watchdog.Watch w = watch;
    e.handler = name;
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
    if (failure != null) handlerFailed(name, failure, e);
    return ok || !negotiation;
  }

  private void handlerFailed(String name, Throwable failure, Event<S> e) {
    if ((curFlags & Mutation.ERROR) != 0) { // an error transition's own handler: do not loop
      LOG.log(System.Logger.Level.ERROR, "machine " + id() + ": handler " + name
          + " of an error transition threw; not recorded again", failure);
      return;
    }
    int flags = Mutation.ERROR | (curKind == MutationKind.AUTO ? Mutation.FROM_AUTO : 0);
    priorityQueue().add(errorMutation(failure, flags, id() + "/" + e.id));
    if (!handlers.observesErrors && !config.tracing) {
      LOG.log(System.Logger.Level.WARNING, "machine " + id() + ": handler " + name
          + " threw; Exception added", failure);
    }
  }

  // ================================================================ watchdog

  /** Whether a thread holds the machine (watchdog, see Watchdog's design). */
  boolean busy() {
    return config.confined ? !ownerParked : status != 0;
  }

  /** Marks the thread running a handler as abandoned, before the watchdog claims it. */
  void markAbandoned(@Nullable Thread stuck, boolean add) {
    if (stuck == null) return;
    synchronized (this) {
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
    return drainer;
  }

  /**
   * Called by the watchdog after it claimed the stuck handler (Watch.claim): the abandoned
   * thread can no longer touch the machine; a new thread takes it over.
   */
  void abandon(Watchdog.Watch w, @Nullable Thread stuck) {
    int s = status;
    int nextGen = (s >>> 3) + 1;
    int next = nextGen << 3 | 1;
    gen = nextGen;
    STATUS.setVolatile(this, next); // only the watchdog writes status while a drainer holds it
    boolean committed = w.finalPhase;
    Mutation cur = current;
    String handler = w.handler;
    HandlerTimeoutException error = new HandlerTimeoutException("handler " + handler
        + " of machine " + id() + " ran longer than the handler timeout of "
        + Duration.ofNanos(w.timeoutNanos) + " on thread " + (stuck == null ? "?" : stuck.getName())
        + "; transition abandoned" + (committed ? " after commit" : " before commit"));
    LOG.log(System.Logger.Level.ERROR, error.getMessage());
    Runnable takeOver = () -> takeOver(next, cur, committed, error);
    ThreadFactory f = config.confined ? config.ownerFactory : config.drainFactory;
    Thread t = f.newThread(takeOver);
    if (t == null) t = Thread.ofVirtual().unstarted(takeOver);
    if (config.confined) owner = t;
    t.start();
  }

  private void takeOver(int token, @Nullable Mutation cur, boolean committed,
      HandlerTimeoutException error) {
    Thread me = Thread.currentThread();
    drainer = me;
    held = token;
    event = null; // the abandoned thread still holds the old one
    current = null;
    if (cur != null) cur.complete(committed);
    if (committed) autoPending = true;
    priorityQueue().addFirst(errorMutation(error, Mutation.ERROR, null));
    try {
      afterTransition();
      if (config.confined) {
        ownerLoop(held);
      } else {
        drainAndRelease(me);
      }
    } catch (Abandoned a) {
      leaveAbandoned(me);
    }
  }

  // ================================================================ scopes

  /** The scope of state i's current activation, created on first use; drainer only. */
  Scope<S> scopeOf(int i, boolean finalPhase) {
    if (Thread.currentThread() != drainer) {
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
    if (s != null && s.tick == ticks[i]) return s; // this activation's
    if ((active >>> i & 1) == 0) {
      for (Scope<S> x : ending == null ? List.<Scope<S>>of() : ending) {
        if (x.index == i) return x; // an End handler asking for the scope that just ended
      }
      throw new IllegalStateException("state " + schema.names[i] + " of machine " + id()
          + " is not active: it has no scope");
    }
    s = new Scope<>(this, i, ticks[i]);
    all[i] = s;
    scopeMask |= 1L << i;
    if (config.tracing) {
      Scope<S> opened = s;
      trace(() -> config.tracer.scopeOpened(this, opened));
    }
    return s;
  }

  /** Ends the scopes of states that exited or entered again (at commit); drainer only. */
  private void endScopes(long mask) {
    Scope<S>[] all = scopes;
    scopeMask &= ~mask;
    for (long r = schema.toRank(mask); r != 0; r &= ~Long.highestOneBit(r)) {
      Scope<S> s = all[schema.handlerOrder[63 - Long.numberOfLeadingZeros(r)]];
      s.end();
      if (ending == null) ending = new ArrayList<>(2);
      ending.add(s); // reverse handler order
    }
  }

  /** Closes the scopes ended by the running transition, in reverse handler order. */
  private void closeEndedScopes() {
    ArrayList<Scope<S>> list = ending;
    if (list == null) return;
    for (Scope<S> s : list) closeScope(s);
    list.clear();
  }

  private void closeScope(Scope<S> s) {
    Scope.ScopeCloseException failure = s.close(config.scopeCloseNanos);
    if (config.tracing) trace(() -> config.tracer.scopeClosed(this, s, failure));
    if (failure != null) {
      LOG.log(System.Logger.Level.WARNING, failure.getMessage(), failure);
      if (!closed) {
        priorityQueue().add(errorMutation(failure, Mutation.ERROR, null));
      }
    }
  }

  /** On close: ends every open scope, then closes them; drainer only. */
  private void closeAllScopes() {
    Scope<S>[] all = scopes;
    if (all == null || scopeMask == 0) return;
    long mask = scopeMask;
    endScopes(mask);
    closeEndedScopes();
  }

  /** The supervisor of a scope's tasks; a task failure becomes an error state. */
  dev.stator.supervision.Supervisor supervisorFor(Scope<S> scope) {
    String name = id() + "/" + scope.state() + "@" + scope.tick;
    dev.stator.supervision.Supervisor.Builder b = dev.stator.supervision.Supervisor.builder(name)
        .threadFactory(config.taskFactory)
        .logger(LOG)
        .onFailure((task, failure) -> taskFailed(scope, task.name(), failure));
    for (java.util.function.UnaryOperator<Runnable> c : config.carriers) b.wrap(c);
    return b.build();
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
    try {
      addError(failure);
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
  /* A wait is registered (copy-on-write array, writers synchronized on this), then tested
   * against a consistent snapshot; the draining thread tests all waits after each top-level
   * transition (with its errors and auto mutation) and once more after it releases the machine
   * (a full fence, so a wait registered during the last transition is not missed). Conditions
   * on a single state also accept a clock that moved past its value at registration. */

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
    return MachineWait.of(result.future());
  }

  @Override
  public Wait whenError() {
    return register(MachineWait.ERROR, 1L << schema.exception);
  }

  @Override
  public Wait whenClosed() {
    CompletableFuture<Void> cf = closedFuture;
    if (cf == null) {
      synchronized (this) {
        cf = closedFuture;
        if (cf == null) closedFuture = cf = new CompletableFuture<>();
      }
      if (closed) cf.complete(null);
    }
    return MachineWait.of(cf);
  }

  long tickAt(int i) {
    return (long) TICKS.getOpaque(ticks, i);
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
    boolean holds = w.test(now.active(), now.ticks());
    if (holds) {
      w.complete();
      return w;
    }
    synchronized (this) {
      MachineWait[] cur = waits;
      MachineWait[] next = java.util.Arrays.copyOf(cur, cur.length + 1);
      next[cur.length] = w;
      waits = next;
    }
    recheckWaits(); // a transition may have committed between the test and the registration
    if (closed) failWaits();
    return w;
  }



  void unregister(MachineWait w) {
    synchronized (this) {
      MachineWait[] cur = waits;
      int k = -1;
      for (int i = 0; i < cur.length; i++) {
        if (cur[i] == w) {
          k = i;
          break;
        }
      }
      if (k < 0) return;
      MachineWait[] next = new MachineWait[cur.length - 1];
      System.arraycopy(cur, 0, next, 0, k);
      System.arraycopy(cur, k + 1, next, k, cur.length - k - 1);
      waits = next.length == 0 ? NO_WAITS : next;
    }
  }

  /** Tests waits against the drainer's own state; drainer only. */
  private void notifyWaits() {
    if (waits.length != 0) notifyWaits(active, ticks);
  }

  /** Tests waits against a consistent snapshot; any thread. */
  private void recheckWaits() {
    if (waits.length == 0) return;
    Snapshot now = snapshot();
    notifyWaits(now.active(), now.ticks());
  }

  private void notifyWaits(long active, long[] ticks) {
    for (MachineWait w : waits) {
      if (w.test(active, ticks)) {
        w.complete();
        unregister(w);
      }
    }
  }

  private void failWaits() {
    MachineWait[] ws;
    synchronized (this) {
      ws = waits;
      waits = NO_WAITS;
    }
    for (MachineWait w : ws) {
      w.fail(new MachineClosedException("machine " + id() + " is closed; wait ended"));
    }
  }

  /** The number of registered waits (tests). */
  int waitCount() {
    return waits.length;
  }

  // ================================================================ reads

  @Override
  public boolean is(S state) {
    return (active >>> schema.indexOf(state) & 1) != 0;
  }

  @Override
  public boolean is(Collection<? extends S> states) {
    long m = schema.maskOf(states);
    return (active & m) == m;
  }

  @Override
  public boolean not(S state) {
    return !is(state);
  }

  @Override
  public boolean any(Collection<? extends S> states) {
    return (active & schema.maskOf(states)) != 0;
  }

  @Override
  public boolean hasError() {
    return (active >>> schema.exception & 1) != 0;
  }

  @Override
  public @Nullable Throwable lastError() {
    return lastError;
  }

  @Override
  public Set<S> active() {
    long a = active;
    Set<S> out = new LinkedHashSet<>();
    for (long m = a; m != 0; m &= m - 1) {
      S s = schema.valueAt(Long.numberOfTrailingZeros(m));
      if (s != null) out.add(s);
    }
    return Collections.unmodifiableSet(out);
  }

  @Override
  public List<String> activeNames() {
    return schema.namesOf(active);
  }

  @Override
  public long tick(S state) {
    return (long) TICKS.getOpaque(ticks, schema.indexOf(state));
  }

  @Override
  public Snapshot snapshot() {
    long[] t = new long[ticks.length];
    for (;;) {
      int s1 = (int) SEQ.getAcquire(this);
      if ((s1 & 1) != 0) {
        Thread.onSpinWait();
        continue;
      }
      long a = active;
      for (int i = 0; i < t.length; i++) t[i] = (long) TICKS.getOpaque(ticks, i);
      long q = (long) QUEUE_TICK.getOpaque(this);
      VarHandle.loadLoadFence();
      if ((int) SEQ.getOpaque(this) == s1) {
        return new Snapshot(schema.hash(), schema.names(), a, t, q);
      }
    }
  }

  @Override
  public int queueSize() {
    return Math.max(0, queued + (int) TAKEN.getOpaque(this));
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  // ================================================================ close

  @Override
  public void close() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (!TERMINATED.compareAndSet(this, null, done)) return; // closed before
    closed = true;
    Thread me = Thread.currentThread();
    boolean waitForDrainer = false;
    if (config.confined) {
      LockSupport.unpark(owner);
      waitForDrainer = me != owner;
    } else if (me != drainer) {
      int token = gen << 3 | 1;
      if (STATUS.compareAndSet(this, 0, token)) {
        drainer = me;
        held = token;
        closeAllScopes();
        failQueued();
        failPriority();
        drainer = null;
        STATUS.compareAndSet(this, token, 0);
        done.complete(null);
      } else { // the drainer closes the scopes and fails what is queued when it next looks
        waitForDrainer = true;
      }
    }
    if (waitForDrainer) {
      Duration bound = config.scopeCloseNanos.plus(config.timeoutNanos > 0
          ? Duration.ofNanos(config.timeoutNanos) : Duration.ofSeconds(1));
      try {
        done.get(bound.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        LOG.log(System.Logger.Level.WARNING, "machine " + id() + ": close did not see the "
            + "running transition finish within " + bound + "; its scopes close when it does");
      }
    }
    failWaits();
    LiveMachines.remove(serial);
    CompletableFuture<Void> cf = closedFuture;
    if (cf != null) cf.complete(null);
    if (config.tracing) trace(() -> config.tracer.machineClosed(this));
  }

  private void terminated() {
    CompletableFuture<Void> t = terminated;
    if (t != null) t.complete(null);
  }

  /** Fails everything in the inbox (any thread; each mutation is taken once). */
  private void failQueued() {
    Mutation s = (Mutation) INBOX.getAndSet(this, null);
    for (; s != null; s = s.next) {
      QUEUED.getAndAdd(this, -1);
      s.fail(closedError(s.kind, s.called));
    }
    if (drainer == Thread.currentThread()) {
      Mutation m;
      while ((m = poll()) != null) m.fail(closedError(m.kind, m.called));
    }
  }

  private void failPriority() {
    ArrayDeque<Mutation> p = priority;
    if (p == null) return;
    Mutation m;
    while ((m = p.poll()) != null) m.fail(closedError(m.kind, m.called));
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
    private final Set<String> tracerFailures = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private Config(List<Tracer> tracers, boolean confined, @Nullable ThreadFactory factory,
        @Nullable Duration timeout, int queueLimit, Duration scopeClose,
        List<java.util.function.UnaryOperator<Runnable>> carriers) {
      this.carriers = carriers;
      this.tracer = tracers.isEmpty() ? Tracer.NOOP
          : tracers.size() == 1 ? tracers.get(0) : new Tracers(tracers);
      this.tracing = !tracers.isEmpty();
      this.confined = confined;
      this.drainFactory = factory != null ? factory
          : Thread.ofVirtual().name("stator-drain-", 0).factory();
      this.ownerFactory = factory != null ? factory
          : Thread.ofPlatform().daemon().name("stator-owner-", 0).factory();
      this.timeoutNanos = timeout == null ? 0 : timeout.toNanos();
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
