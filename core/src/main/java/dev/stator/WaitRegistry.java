package dev.stator;

import java.util.Arrays;

/**
 * The waits registered with one machine and not yet done.
 */
final class WaitRegistry {
  /* Design.
   *
   * `waits` is a copy-on-write array: writers (register, unregister, failAll) replace it under
   * the registry's own private `lock`, never the machine's monitor, so no user code that locks
   * the machine can block a registration; readers (notify) read the volatile array without a
   * lock. A wait is registered, then tested once more against a consistent snapshot (a
   * transition may have committed between the caller's test and the registration); the draining
   * thread tests every wait after each top-level transition and again after it releases the
   * machine (a full fence), so a wait is never missed. Once failAll() ran (close), `closed` makes
   * every later registration fail: no wait is left registered on a closed machine.
   * Completions run MachineWait.complete, which completes a future whose dependents run on the
   * waiter's side (WaitBase.future is asynchronous), so no user callback runs here. */

  private static final MachineWait[] NONE = new MachineWait[0];

  private final Object lock = new Object();
  private volatile MachineWait[] waits = NONE; // replaced under lock
  private boolean closed; // guarded by lock

  /**
   * Registers a wait that does not hold yet; returns false if the registry is closed (the
   * caller fails the wait).
   */
  boolean add(MachineWait w) {
    synchronized (lock) {
      if (closed) return false;
      MachineWait[] cur = waits;
      MachineWait[] next = Arrays.copyOf(cur, cur.length + 1);
      next[cur.length] = w;
      waits = next;
      return true;
    }
  }

  void remove(MachineWait w) {
    synchronized (lock) {
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
      waits = next.length == 0 ? NONE : next;
    }
  }

  boolean isEmpty() {
    return waits.length == 0;
  }

  int size() {
    return waits.length;
  }

  /** Completes every wait that holds for this state; any thread. */
  void notify(long active, long[] ticks) {
    for (MachineWait w : waits) {
      if (w.test(active, ticks)) {
        w.complete();
        remove(w);
      }
    }
  }

  /** Completes every wait that holds for a consistent snapshot; any thread. */
  void recheck(Published state) {
    if (waits.length == 0) return;
    Snapshot now = state.snapshot();
    notify(now.active(), now.ticks());
  }

  /** Fails every registered wait and refuses later ones (close); idempotent. */
  void failAll(String machineId) {
    MachineWait[] ws;
    synchronized (lock) {
      closed = true;
      ws = waits;
      waits = NONE;
    }
    for (MachineWait w : ws) {
      w.fail(new MachineClosedException("machine " + machineId + " is closed; wait ended"));
    }
  }
}
