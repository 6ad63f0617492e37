package dev.stator;

import java.util.Arrays;

/**
 * The waits registered with one machine and not yet done.
 */
final class WaitRegistry {
  /* Design.
   *
   * `waits[0..count)` is an array guarded by the registry's own monitor (the registry is private
   * to its machine; never the machine's monitor), so no user code that locks the machine can
   * block a registration. Each
   * registered wait knows its slot (MachineWait.slot, guarded by this): add appends (the array
   * doubles when full), remove moves the last wait into the freed slot, so both are O(1) and n
   * registrations cost O(n), not O(n^2) as a copy-on-write array did. `size` mirrors `count` as
   * a volatile for the lock-free isEmpty() the draining thread asks after every transition.
   *
   * A wait is registered, then tested once more by its registrar against a consistent snapshot
   * read after the registration (recheck(w)); the draining thread commits, then reads `size` and
   * tests the registered waits (notify). Both sides write, then read, volatile state (the lock
   * release and `size`; the seqlock), so one of them sees the other and a wait is never missed;
   * only the new wait needs the extra test. The draining thread also tests every wait after it
   * releases the machine (a full fence). Once failAll() ran (close), `closed` makes every later
   * registration fail: no wait is left registered on a closed machine.
   *
   * notify tests under the lock (MachineWait.test is pure), removes what holds, and completes
   * those waits after the lock is released. Completion completes a future whose dependents run on
   * the waiter's side (WaitBase.future is asynchronous), so no user callback runs here.
   *
   * whenArgs waits (MachineWait.ARGS) live in the same array, so close, cancel and removal treat
   * them like the others, but they never hold for a state: the draining thread offers each
   * committed transition's entered states and arguments to entered(), which first reads
   * `argsMask` (a volatile: the union of the ARGS waits' states, rewritten under the lock on
   * every add and removal of one) and returns at once when the transition entered none of them,
   * so a machine without such waits pays one volatile read per transition. */

  private static final MachineWait[] NONE = new MachineWait[0];

  private MachineWait[] waits = NONE; // guarded by this
  private int count; // guarded by this
  private volatile int size; // count, for lock-free reads
  private volatile long argsMask; // the states of the registered ARGS waits; written under lock
  private boolean closed; // guarded by this

  /**
   * Registers a wait that does not hold yet; returns false if the registry is closed (the
   * caller fails the wait).
   */
  boolean add(MachineWait w) {
    synchronized (this) {
      if (closed) return false;
      if (count == waits.length) waits = Arrays.copyOf(waits, Math.max(4, count * 2));
      w.slot = count;
      waits[count++] = w;
      size = count;
      if (w.kind == MachineWait.ARGS) argsMask |= w.mask;
      return true;
    }
  }

  /** Unregisters {@code w} if it is registered; O(1). */
  void remove(MachineWait w) {
    synchronized (this) {
      int k = w.slot;
      if (k < 0 || k >= count || waits[k] != w) return;
      take(k);
    }
  }

  /** Removes the wait in slot {@code k}, moving the last one there; under lock. */
  private void take(int k) {
    MachineWait w = waits[k];
    MachineWait last = waits[--count];
    waits[k] = last;
    last.slot = k;
    waits[count] = null;
    w.slot = -1;
    size = count;
    if (count == 0 && waits.length > 64) waits = NONE; // a burst of waits is not kept for ever
    if (w.kind == MachineWait.ARGS) {
      long m = 0;
      for (int i = 0; i < count; i++) if (waits[i].kind == MachineWait.ARGS) m |= waits[i].mask;
      argsMask = m;
    }
  }

  /**
   * Completes every whenArgs wait that a committed transition satisfies: it entered
   * {@code entering} (activated or re-entered) through a mutation with {@code args}. Drainer.
   */
  void entered(long entering, Args args) {
    if ((argsMask & entering) == 0) return;
    MachineWait[] held = null;
    int n = 0;
    synchronized (this) {
      for (int k = count - 1; k >= 0; k--) {
        MachineWait w = waits[k];
        if (w.matches(entering, args)) {
          if (held == null) held = new MachineWait[Math.min(count, 16)];
          if (n == held.length) held = Arrays.copyOf(held, n * 2);
          held[n++] = w;
          take(k);
        }
      }
    }
    for (int k = 0; k < n; k++) held[k].complete();
  }

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  /** Completes every wait that holds for this state; any thread. */
  void notify(long active, long[] ticks) {
    if (size == 0) return;
    MachineWait[] held = null;
    int n = 0;
    synchronized (this) {
      for (int k = count - 1; k >= 0; k--) { // backwards: take(k) moves a tested wait into k
        MachineWait w = waits[k];
        if (w.test(active, ticks)) {
          if (held == null) held = new MachineWait[Math.min(count, 16)];
          if (n == held.length) held = Arrays.copyOf(held, n * 2);
          held[n++] = w;
          take(k);
        }
      }
    }
    for (int k = 0; k < n; k++) held[k].complete();
  }

  /** Completes every wait that holds for a consistent snapshot; any thread. */
  void recheck(Published state) {
    if (size == 0) return;
    Snapshot now = state.snapshot();
    notify(now.active(), now.ticks());
  }

  /** Tests one newly registered wait against a consistent snapshot; the registrar. */
  void recheck(MachineWait w, Published state) {
    Snapshot now = state.snapshot();
    if (w.test(now.active(), now.ticks())) {
      remove(w);
      w.complete();
    }
  }

  /** Fails every registered wait and refuses later ones (close); idempotent. */
  void failAll(String machineId) {
    MachineWait[] ws;
    int n;
    synchronized (this) {
      closed = true;
      ws = waits;
      n = count;
      for (int k = 0; k < n; k++) ws[k].slot = -1;
      waits = NONE;
      count = 0;
      size = 0;
      argsMask = 0;
    }
    for (int k = 0; k < n; k++) {
      ws[k].fail(new MachineClosedException("machine " + machineId + " is closed; wait ended"));
    }
  }
}
