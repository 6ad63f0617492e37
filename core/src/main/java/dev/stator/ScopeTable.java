package dev.stator;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The state scopes of one machine: the latest scope of each state, which of them are open, and
 * the steps that end them (at the commit that deactivates or re-enters their state) and close
 * them (after that transition's final handlers).
 *
 * <p>Drainer only: every method is called by the thread that holds the machine, so the table
 * needs no synchronization; the acquire/release protocol of {@link MachineImpl} orders it
 * between successive drainers. Scopes themselves are thread-safe ({@link Scope}).
 */
final class ScopeTable<S> {
  private final MachineImpl<S> machine;
  private final Schema<S> schema;
  private @Nullable Scope<S> @Nullable [] scopes; // the latest scope of each state
  private long open; // states whose latest scope is open

  ScopeTable(MachineImpl<S> machine, Schema<S> schema) {
    this.machine = machine;
    this.schema = schema;
  }

  /** The states whose latest scope is open. */
  long open() {
    return open;
  }

  /**
   * The scope of state {@code i}'s current activation (clock {@code tick}), created on first
   * use; an end handler asking for a scope its transition just ended gets that one.
   */
  Scope<S> scopeOf(Generation<S> g, int i, long tick, boolean active) {
    @SuppressWarnings("unchecked")
    Scope<S>[] all = scopes;
    if (all == null) scopes = all = (Scope<S>[]) new Scope<?>[schema.size];
    Scope<S> s = all[i];
    if (s != null && s.tick == tick) return s; // this activation's
    if (!active) {
      for (Scope<S> x : g.ending == null ? List.<Scope<S>>of() : g.ending) {
        if (x.index == i) return x;
      }
      throw new IllegalStateException("state " + schema.names[i] + " of machine "
          + machine.id() + " is not active: it has no scope");
    }
    s = new Scope<>(machine, i, tick);
    all[i] = s;
    open |= 1L << i;
    machine.scopeOpened(s);
    return s;
  }

  /**
   * Ends the open scopes of the states in {@code mask} (at commit), in reverse handler order,
   * and lists them on {@code g} to be closed after the transition.
   */
  void end(Generation<S> g, long mask) {
    mask &= open;
    if (mask == 0) return;
    Scope<S>[] all = scopes;
    open &= ~mask;
    for (long r = schema.toRank(mask); r != 0; r &= ~Long.highestOneBit(r)) {
      Scope<S> s = all[schema.handlerOrder[63 - Long.numberOfLeadingZeros(r)]];
      s.end();
      if (g.ending == null) g.ending = new ArrayList<>(2);
      g.ending.add(s); // reverse handler order
    }
  }

  /** Whether {@code g}'s transition ended scopes that are not closed yet. */
  static boolean hasEnded(Generation<?> g) {
    ArrayList<? extends Scope<?>> list = g.ending;
    return list != null && !list.isEmpty();
  }

  /** Closes the scopes ended by {@code g}'s transition, in the order they ended. */
  void closeEnded(Generation<S> g) {
    ArrayList<Scope<S>> list = g.ending;
    if (list == null) return;
    for (int k = 0; k < list.size(); k++) machine.closeScope(g, list.get(k));
    list.clear();
  }

  /** On close: ends every open scope, then closes them. */
  void closeAll(Generation<S> g) {
    end(g, open);
    closeEnded(g);
  }

  /** The latest scope of state {@code i}, or null (tests). */
  @Nullable Scope<S> latest(int i) {
    Scope<S>[] all = scopes;
    return all == null ? null : all[i];
  }
}
