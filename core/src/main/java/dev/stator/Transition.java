package dev.stator;

import org.jspecify.annotations.Nullable;

/**
 * The steps of one transition, after its mutation left the queue: resolve ({@link Resolver}),
 * negotiate (the {@code xExit}, {@code xEnter}, pair and self handlers, any of which may refuse),
 * commit ({@link Published}, where the scopes of the states that end are ended), the final
 * handlers ({@code xEnd}, {@code xState}, {@code anyState}, which cannot refuse), then the close
 * of the ended scopes. Also the close transition of a closing machine.
 *
 * <p>Drainer only: every method runs on the thread that holds the machine ({@link MachineImpl}
 * owns that protocol), one transition at a time. Stateless: the state it works on is the
 * machine's and the drainer's {@link Generation}.
 */
final class Transition {
  private static final System.Logger LOG = System.getLogger("dev.stator.Machine");

  private Transition() {}

  /**
   * Resolves and runs one mutation; returns whether it was executed (else {@code g.refusal}
   * says why). Throws {@link Abandoned} if the watchdog took the machine over meanwhile.
   * Drainer only.
   */
  static <S> boolean execute(MachineImpl<S> m, Generation<S> g, MutationKind kind, long called,
      byte @Nullable [] order, Args args, int flags, @Nullable String source,
      @Nullable Scope<?> guard) {
    if (guard != null && m.state.tick(guard.index) != guard.tick) { // a stale scope's mutation
      g.refusal = "the scope of " + m.schema.names[guard.index] + " (activation " + guard.tick
          + ") has ended";
      m.state.countMutation();
      return false;
    }
    long before = m.state.active();
    if ((flags & Mutation.TOGGLE) != 0 && (before & called) == called) kind = MutationKind.REMOVE;
    long target = Resolver.resolve(m.schema, kind, called, order, before);
    boolean accepted = kind == MutationKind.REMOVE || kind == MutationKind.AUTO
        || (called & ~target) == 0;
    long exiting = before & ~target;
    long entering = target & ~before;
    long again = kind == MutationKind.REMOVE ? 0 : called & before & target;
    long reenter = again & m.schema.multi;
    boolean changes = (exiting | entering | reenter) != 0;
    Handlers h = m.handlers;
    boolean selfHandlers = h != null && (again & h.masks[Binder.SELF]) != 0;
    boolean counted = kind != MutationKind.AUTO; // the queue tick counts API mutations
    if (accepted && !changes && !selfHandlers) { // nothing to run
      if (counted) m.state.countMutation();
      return true;
    }
    g.kind = kind;
    g.flags = flags;
    Event<S> e = null;
    if (h != null || m.config.tracing) {
      e = g.event;
      if (e == null) g.event = e = new Event<>(m);
      e.kind = kind;
      e.id = ++m.transitions;
      e.called = called;
      e.before = before;
      e.after = accepted ? target : before;
      e.entering = accepted ? entering | reenter : 0;
      e.args = args;
      e.source = source;
      e.finalPhase = false;
      e.state = -1;
      e.refusal = "";
      e.queueTick = m.state.queueTickForDrainer();
      e.timed = false; // nanoTime() reads the machine's time once, when first asked
    } else {
      ++m.transitions;
    }
    if (!accepted) {
      g.refusal = Resolver.refusal(m.schema, called & ~target, target);
      if (m.config.tracing) {
        Event<S> ev = e;
        ev.refusal = g.refusal;
        m.trace(() -> m.config.tracer.transitionStart(ev));
        m.trace(() -> m.config.tracer.transitionEnd(ev, false));
      }
      if (counted) m.state.countMutation();
      return false;
    }
    if (m.config.tracing) {
      Event<S> ev = e;
      m.trace(() -> m.config.tracer.transitionStart(ev));
    }
    if (h != null && !negotiate(m, g, h, e, exiting, entering | reenter, again, before, changes)) {
      if (m.config.tracing) {
        Event<S> ev = e;
        ev.refusal = g.refusal;
        m.trace(() -> m.config.tracer.transitionEnd(ev, false));
      }
      if (counted) m.state.countMutation();
      return false;
    }
    if ((flags & Mutation.ERROR) != 0) m.lastError = args.get(Key.ERROR);
    m.state.commit(target, exiting | entering, reenter, counted ? 1 : 0);
    if ((entering | reenter) != 0) m.entered(entering | reenter, args);
    Mutation cur = g.current;
    if (cur != null) cur.decide(); // before the scopes it ends are told
    ScopeTable<S> scopes = m.scopeTable;
    if (scopes != null) scopes.end(g, exiting | reenter);
    if (h != null) {
      if (e != null) e.finalPhase = true;
      finish(m, g, h, e, exiting, entering | reenter, changes);
    }
    if (changes && kind != MutationKind.AUTO
        && (flags & (Mutation.ERROR | Mutation.FROM_AUTO))
            != (Mutation.ERROR | Mutation.FROM_AUTO)) {
      g.autoPending = true;
    }
    if (m.config.tracing) {
      Event<S> ev = e;
      m.trace(() -> m.config.tracer.transitionEnd(ev, true));
    }
    if (scopes != null && ScopeTable.hasEnded(g)) scopes.closeEnded(g); // after the transition
    return true;
  }

  /** Why the relations refused the called states {@code missing} (spec R6). */
  private static <S> boolean negotiate(MachineImpl<S> m, Generation<S> g, Handlers h,
      Event<S> e, long exiting, long entering, long again, long before, boolean changes) {
    Binder.Source[] src = h.sources;
    int[] order = m.schema.handlerOrder;
    if (changes && h.anyEnter) {
      e.state = -1;
      for (Binder.Source s : src) {
        Binder.Invoker inv = s.plan.anyEnter;
        if (inv != null && !call(m, g, inv, s.target, "anyEnter", e, true)) return false;
      }
    }
    for (long r = m.schema.toRank(exiting & h.masks[Binder.EXIT]); r != 0;
        r &= ~Long.highestOneBit(r)) {
      if (!callAll(m, g, src, Binder.EXIT, order[63 - Long.numberOfLeadingZeros(r)], e, true)) {
        return false;
      }
    }
    for (long r = m.schema.toRank(entering & h.masks[Binder.ENTER]); r != 0; r &= r - 1) {
      if (!callAll(m, g, src, Binder.ENTER, order[Long.numberOfTrailingZeros(r)], e, true)) {
        return false;
      }
    }
    for (long ry = m.schema.toRank(entering & h.pairTo); ry != 0; ry &= ry - 1) {
      int y = order[Long.numberOfTrailingZeros(ry)];
      for (long rx = m.schema.toRank(before & ~(1L << y)); rx != 0; rx &= rx - 1) {
        int x = order[Long.numberOfTrailingZeros(rx)];
        for (Binder.Source s : src) {
          Binder.Invoker[][] pairs = s.plan.pairs;
          Binder.Invoker inv = pairs == null || pairs[y] == null ? null : pairs[y][x];
          e.state = y;
          if (inv != null && !call(m, g, inv, s.target, s.plan.pairNames[y][x], e, true)) {
            return false;
          }
        }
      }
    }
    for (long r = m.schema.toRank(again & h.masks[Binder.SELF]); r != 0; r &= r - 1) {
      if (!callAll(m, g, src, Binder.SELF, order[Long.numberOfTrailingZeros(r)], e, true)) {
        return false;
      }
    }
    return true;
  }

  private static <S> void finish(MachineImpl<S> m, Generation<S> g, Handlers h, Event<S> e,
      long exiting, long entering, boolean changes) {
    Binder.Source[] src = h.sources;
    int[] order = m.schema.handlerOrder;
    for (long r = m.schema.toRank(exiting & h.masks[Binder.END]); r != 0;
        r &= ~Long.highestOneBit(r)) {
      callAll(m, g, src, Binder.END, order[63 - Long.numberOfLeadingZeros(r)], e, false);
    }
    for (long r = m.schema.toRank(entering & h.masks[Binder.STATE]); r != 0; r &= r - 1) {
      callAll(m, g, src, Binder.STATE, order[Long.numberOfTrailingZeros(r)], e, false);
    }
    if (changes && h.anyState) {
      e.state = -1;
      for (Binder.Source s : src) {
        Binder.Invoker inv = s.plan.anyState;
        if (inv != null) call(m, g, inv, s.target, "anyState", e, false);
      }
    }
  }

  private static <S> boolean callAll(MachineImpl<S> m, Generation<S> g, Binder.Source[] src,
      int phase, int state, Event<S> e, boolean negotiation) {
    e.state = state;
    for (Binder.Source s : src) {
      Binder.Invoker inv = s.plan.byPhase[phase][state];
      if (inv != null && !call(m, g, inv, s.target, s.plan.names[phase][state], e, negotiation)) {
        return false;
      }
    }
    return true;
  }

  /** Calls one handler; returns whether the transition may go on. */
  private static <S> boolean call(MachineImpl<S> m, Generation<S> g, Binder.Invoker inv,
      @Nullable Object target, String name, Event<S> e, boolean negotiation) {
    Watchdog.Watch w = m.watch;
    e.handler = name;
    Thread.interrupted(); // every handler starts with a clear interrupt status
    long running = w == null ? 0 : w.enter(name, !negotiation);
    if (m.config.tracing) m.trace(() -> m.config.tracer.handlerStart(e, name));
    boolean ok;
    Throwable failure = null;
    try {
      ok = inv.call(target, e);
    } catch (Throwable t) {
      ok = false;
      failure = t;
    }
    if (w != null && !w.exit(running)) { // the watchdog abandoned this handler: touch nothing
      throw negotiation ? Abandoned.BEFORE_COMMIT : Abandoned.AFTER_COMMIT;
    }
    e.handler = "";
    if (m.config.tracing) {
      boolean accepted = ok;
      Throwable f = failure;
      m.trace(() -> m.config.tracer.handlerEnd(e, name, accepted, f));
    }
    if (failure != null) {
      handlerFailed(m, g, name, failure, e, negotiation);
    } else if (!ok && negotiation) {
      g.refusal = "handler " + name + " refused";
    }
    return ok || !negotiation;
  }

  private static <S> void handlerFailed(MachineImpl<S> m, Generation<S> g, String name,
      Throwable failure, Event<S> e, boolean negotiation) {
    if (negotiation) {
      g.refusal = "handler " + name + " threw " + failure;
    } else {
      g.addFailure(failure);
    }
    if (m.closed || (g.flags & Mutation.ERROR) != 0) { // closing, or an error transition's own
      LOG.log(System.Logger.Level.ERROR, "machine " + m.id() + ": handler " + name
          + (m.closed ? " threw while the machine m.closed" : " of an error transition threw")
          + "; not recorded again", failure);
      return;
    }
    int flags = Mutation.ERROR | (g.kind == MutationKind.AUTO ? Mutation.FROM_AUTO : 0);
    g.priority().add(m.errorMutation(g, failure, flags, m.id() + "/" + e.id));
    if (!m.handlers.observesErrors) {
      LOG.log(System.Logger.Level.WARNING, "machine " + m.id() + ": handler " + name
          + " threw; Exception added", failure);
    }
  }


  /**
   * The close transition (spec X2): every active state exits. Exit handlers run in reverse
   * handler order and cannot refuse, then the active set becomes empty (each exiting clock
   * ticks), then the end handlers run in reverse order; scopes close after (ScopeTable.closeAll).
   * A takeover after an abandoned close handler commits what is left without running handlers
   * again.
   */
  static <S> void close(MachineImpl<S> m, Generation<S> g) {
    long before = m.state.active();
    if (m.closePhase == 2 || before == 0) {
      m.closePhase = 2;
      return;
    }
    if (m.closePhase == 1) { // a handler of the first try was abandoned
      m.state.commit(0, before, 0, 0);
      ScopeTable<S> scopes = m.scopeTable;
      if (scopes != null) scopes.end(g, before);
      m.closePhase = 2;
      return;
    }
    m.closePhase = 1;
    g.kind = MutationKind.CLOSE;
    g.flags = 0;
    Handlers h = m.handlers;
    Event<S> e = null;
    if (h != null || m.config.tracing) {
      e = g.event;
      if (e == null) g.event = e = new Event<>(m);
      e.kind = MutationKind.CLOSE;
      e.timed = false;
      e.id = ++m.transitions;
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
      if (m.config.tracing) m.trace(() -> m.config.tracer.transitionStart(ev));
    } else {
      ++m.transitions;
    }
    int[] order = m.schema.handlerOrder;
    if (h != null) {
      for (long r = m.schema.toRank(before & h.masks[Binder.EXIT]); r != 0;
          r &= ~Long.highestOneBit(r)) {
        callAll(m, g, h.sources, Binder.EXIT, order[63 - Long.numberOfLeadingZeros(r)], e, false);
      }
    }
    m.state.commit(0, before, 0, 0);
    m.closePhase = 2;
    ScopeTable<S> scopes = m.scopeTable;
    if (scopes != null) scopes.end(g, before);
    if (h != null) {
      e.finalPhase = true;
      for (long r = m.schema.toRank(before & h.masks[Binder.END]); r != 0;
          r &= ~Long.highestOneBit(r)) {
        callAll(m, g, h.sources, Binder.END, order[63 - Long.numberOfLeadingZeros(r)], e, false);
      }
    }
    g.takeFailures(); // logged by handlerFailed; nobody holds a ticket for close
    if (m.config.tracing) {
      Event<S> ev = e;
      m.trace(() -> m.config.tracer.transitionEnd(ev, true));
    }
  }
}
