package dev.stator.bench;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Floor (b) of docs/benchmarks.md: a minimal relational machine — a {@link ReentrantLock},
 * relation masks (require / add / remove), one clock per state and a volatile published active
 * set. No queue, no results, no tracer, no errors, no watchdog: what Stator does on top of this
 * is the engine's overhead over this floor.
 *
 * <p>Resolution (simplified from Stator's): an add takes the active set plus the called state and
 * its {@code add} closure, lets every entering state remove its {@code remove} targets, drops
 * states whose requirements are missing (repeatedly), and is refused if the called state did
 * not survive. A remove drops the called state and then what no longer has its requirements.
 *
 * <p>Optional handlers per state: an enter gate and an exit gate (negotiation, may refuse), a
 * state action and an end action (after the commit). Thread safety: mutations under the lock;
 * {@link #is} reads the volatile active set without it.
 */
public final class BitsetFloor {
  private final ReentrantLock lock = new ReentrantLock();
  private final long[] require;
  private final long[] add;
  private final long[] remove;
  private final long[] ticks;
  private final Handlers handlers; // null: none
  private volatile long active;

  /** Relation masks shared by every floor machine of one kind (the floor's "schema"). */
  public static final class Relations {
    final long[] require;
    final long[] add;
    final long[] remove;

    public Relations(int states) {
      require = new long[states];
      add = new long[states];
      remove = new long[states];
    }

    public Relations require(Enum<?> s, Enum<?>... targets) {
      require[s.ordinal()] |= mask(targets);
      return this;
    }

    public Relations add(Enum<?> s, Enum<?>... targets) {
      add[s.ordinal()] |= mask(targets);
      return this;
    }

    public Relations remove(Enum<?> s, Enum<?>... targets) {
      remove[s.ordinal()] |= mask(targets);
      return this;
    }

    private static long mask(Enum<?>[] states) {
      long m = 0;
      for (Enum<?> s : states) m |= 1L << s.ordinal();
      return m;
    }
  }

  /** Per-state handlers; any slot may be null. */
  public static final class Handlers {
    final BooleanSupplier[] enter;
    final BooleanSupplier[] exit;
    final Runnable[] state;
    final Runnable[] end;

    public Handlers(int states) {
      enter = new BooleanSupplier[states];
      exit = new BooleanSupplier[states];
      state = new Runnable[states];
      end = new Runnable[states];
    }

    public Handlers onEnter(Enum<?> s, BooleanSupplier h) {
      enter[s.ordinal()] = h;
      return this;
    }

    public Handlers onExit(Enum<?> s, BooleanSupplier h) {
      exit[s.ordinal()] = h;
      return this;
    }

    public Handlers onState(Enum<?> s, Runnable h) {
      state[s.ordinal()] = h;
      return this;
    }

    public Handlers onEnd(Enum<?> s, Runnable h) {
      end[s.ordinal()] = h;
      return this;
    }
  }

  public BitsetFloor(Relations r, Handlers handlers) {
    this.require = r.require;
    this.add = r.add;
    this.remove = r.remove;
    this.ticks = new long[r.require.length];
    this.handlers = handlers;
  }

  public BitsetFloor(Relations r) {
    this(r, null);
  }

  /** Activates {@code s}; returns whether it is active afterwards. */
  public boolean add(Enum<?> s) {
    long called = 1L << s.ordinal();
    lock.lock();
    try {
      long before = active;
      long c = before | called;
      long frontier = called & ~before;
      while (frontier != 0) {
        long targets = 0;
        for (long m = frontier; m != 0; m &= m - 1) targets |= add[Long.numberOfTrailingZeros(m)];
        long fresh = targets & ~c;
        c |= fresh;
        frontier = fresh;
      }
      for (long m = c & ~before; m != 0; m &= m - 1) {
        c &= ~(remove[Long.numberOfTrailingZeros(m)] & ~called); // the called state wins
      }
      c = requireFilter(c);
      if ((called & ~c) != 0) return false;
      return transition(before, c);
    } finally {
      lock.unlock();
    }
  }

  /** Deactivates {@code s} and whatever required it. */
  public boolean remove(Enum<?> s) {
    long called = 1L << s.ordinal();
    lock.lock();
    try {
      long before = active;
      return transition(before, requireFilter(before & ~called));
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@code s} is active; lock-free. */
  public boolean is(Enum<?> s) {
    return (active >>> s.ordinal() & 1) != 0;
  }

  /** The clock of {@code s}. */
  public long tick(Enum<?> s) {
    lock.lock();
    try {
      return ticks[s.ordinal()];
    } finally {
      lock.unlock();
    }
  }

  private boolean transition(long before, long after) {
    long exiting = before & ~after;
    long entering = after & ~before;
    Handlers h = handlers;
    if (h != null) {
      for (long m = exiting; m != 0; m &= m - 1) {
        BooleanSupplier g = h.exit[Long.numberOfTrailingZeros(m)];
        if (g != null && !g.getAsBoolean()) return false;
      }
      for (long m = entering; m != 0; m &= m - 1) {
        BooleanSupplier g = h.enter[Long.numberOfTrailingZeros(m)];
        if (g != null && !g.getAsBoolean()) return false;
      }
    }
    long[] t = ticks;
    for (long m = exiting | entering; m != 0; m &= m - 1) t[Long.numberOfTrailingZeros(m)]++;
    active = after;
    if (h != null) {
      for (long m = exiting; m != 0; m &= m - 1) {
        Runnable r = h.end[Long.numberOfTrailingZeros(m)];
        if (r != null) r.run();
      }
      for (long m = entering; m != 0; m &= m - 1) {
        Runnable r = h.state[Long.numberOfTrailingZeros(m)];
        if (r != null) r.run();
      }
    }
    return true;
  }

  private long requireFilter(long c) {
    long prev;
    do {
      prev = c;
      for (long m = c; m != 0; m &= m - 1) {
        int i = Long.numberOfTrailingZeros(m);
        if ((require[i] & ~c) != 0) c &= ~(1L << i);
      }
    } while (c != prev);
    return c;
  }
}
