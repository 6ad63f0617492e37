package dev.stator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Finds handlers that run past their machine's handler timeout and has the machine abandon
 * them.
 *
 * <p>One daemon platform thread per process, {@code stator-watchdog}, started with the first
 * watched machine. It parks while no machine is enrolled and costs nothing then. Each machine's
 * handlers are timed on that machine's {@link Time} (spec TM1): with a fake time, a handler is
 * abandoned at the watchdog's next tick after the fake time passed its start plus the timeout.
 */
final class Watchdog {
  /* Design.
   *
   * States of a machine's membership (Watch.enrolled): 0 not watched, 1 watched (in the
   * watchdog's list or on its way there). Only a successful CAS 0 -> 1 puts a machine on the
   * inbox stack, so a machine is in the list at most once.
   *
   * Enrolment: a draining thread, right after it took the machine (a CAS on status, or waking
   * as the owner thread: both full fences), reads `enrolled` and enrols if it is 0.
   * Leaving: at a tick the watchdog writes enrolled = 0 (volatile) and then reads whether the
   * machine is busy (status held, or owner awake); if it is, it CASes enrolled back to 1 and
   * keeps it. By the Dekker argument one of the two sides sees the other's write, so a busy
   * machine is never left unwatched.
   *
   * Detection: Watch.state counts handler calls and is odd while one runs. A machine whose state
   * is odd and unchanged for the timeout is stuck. With the system time the watchdog measures
   * "unchanged for" itself (since: when it first saw the value); with a fake time the handler's
   * entry records its start on that time (startedAt, written before the release store that makes
   * state odd, read after the acquire load), so a fake advance made before the watchdog's first
   * look still counts. The watchdog first marks the draining thread
   * abandoned (its mutations are CANCELED from then on), then claims the handler with a CAS on
   * state; the handler's return is a CAS on the same value, so exactly one of them wins. If the
   * watchdog wins, MachineImpl.abandon moves status to a new generation and starts a new
   * draining thread; the abandoned thread sees its failed CAS when the handler returns and
   * unwinds without touching the machine. */

  static final Watchdog INSTANCE = new Watchdog();
  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  private static final VarHandle INBOX;

  static {
    try {
      INBOX = MethodHandles.lookup().findVarHandle(Watchdog.class, "inbox", Watch.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private volatile @Nullable Watch inbox; // Treiber stack of newly enrolled machines
  private volatile @Nullable Thread thread;
  private final List<Watch> watched = new ArrayList<>(); // watchdog thread only

  private Watchdog() {}

  /** Enrols a machine; called by its draining thread. */
  void enroll(Watch w) {
    if ((int) Watch.ENROLLED.getVolatile(w) != 0 || !Watch.ENROLLED.compareAndSet(w, 0, 1)) {
      return;
    }
    Watch head;
    do {
      head = inbox;
      w.next = head;
    } while (!INBOX.compareAndSet(this, head, w));
    Thread t = thread;
    if (t == null) {
      t = start();
    }
    if (head == null) LockSupport.unpark(t);
  }

  private synchronized Thread start() {
    Thread t = thread;
    if (t == null) {
      t = Thread.ofPlatform().daemon().name("stator-watchdog").unstarted(this::run);
      thread = t;
      t.start();
    }
    return t;
  }

  private void run() {
    while (true) {
      Watch w = (Watch) INBOX.getAndSet(this, null);
      while (w != null) {
        Watch next = w.next;
        w.next = null; // the list must not keep machines alive
        watched.add(w);
        w.seen = (long) Watch.STATE.getOpaque(w) - 2; // force a fresh observation
        w = next;
      }
      if (watched.isEmpty()) {
        LockSupport.park(this);
        continue;
      }
      long now = System.nanoTime();
      for (int i = watched.size() - 1; i >= 0; i--) {
        if (!checkGuarded(watched.get(i), now)) {
          watched.set(i, watched.get(watched.size() - 1));
          watched.remove(watched.size() - 1);
        }
      }
      LockSupport.parkNanos(this, TICK_NANOS);
    }
  }

  /** check(), but a failure of one machine never ends the watchdog for every other. */
  private static boolean checkGuarded(Watch w, long now) {
    try {
      return check(w, now);
    } catch (Throwable t) {
      System.getLogger("dev.stator.Machine").log(System.Logger.Level.ERROR, "watchdog: checking "
          + "machine " + w.machine.id() + " failed; it stays watched", t);
      return true;
    }
  }

  /** Returns whether to keep watching. */
  private static boolean check(Watch w, long systemNow) {
    long v = (long) Watch.STATE.getAcquire(w);
    Time fake = w.fakeTime;
    long now = fake == null ? systemNow : fake.nanoTime();
    if (v != w.seen) {
      w.seen = v;
      w.since = fake == null ? now : w.startedAt;
    }
    if (v == w.seen && (v & 1) != 0 && now - w.since >= w.timeoutNanos) {
      Thread stuck = w.machine.drainerForWatchdog();
      w.machine.markAbandoned(stuck, true); // its mutations are CANCELED from now on
      if (Watch.STATE.compareAndSet(w, v, v + 1)) { // atomic with the handler's return
        w.machine.abandon(w, stuck);
      } else {
        w.machine.markAbandoned(stuck, false); // it returned just in time
      }
    }
    if (!w.machine.busy()) {
      Watch.ENROLLED.setVolatile(w, 0);
      return w.machine.busy() && Watch.ENROLLED.compareAndSet(w, 0, 1);
    }
    return true;
  }

  /** Per-machine watch state; allocated only for machines with handlers and a timeout. */
  static final class Watch {
    static final VarHandle ENROLLED;
    static final VarHandle STATE;

    static {
      try {
        MethodHandles.Lookup l = MethodHandles.lookup();
        ENROLLED = l.findVarHandle(Watch.class, "enrolled", int.class);
        STATE = l.findVarHandle(Watch.class, "state", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final MachineImpl<?> machine;
    final long timeoutNanos;
    final @Nullable Time fakeTime; // the machine's time unless it is the system's
    long startedAt; // fake time only: the running handler's start on it (see the design)
    volatile int enrolled;
    @Nullable Watch next; // inbox link
    /*
     * Handler calls, counted: odd while a handler runs. Only the draining thread moves it from
     * even to odd (enter, a release write) and back (exit, a CAS); the watchdog claims a stuck
     * handler with a CAS from the odd value to the next even one, so exactly one of the handler's
     * return and the claim succeeds. The value only grows, so an abandoned thread's expected
     * value never comes back.
     */
    long state;
    String handler = ""; // written before `state` becomes odd; read by the watchdog after
    boolean finalPhase; // likewise: whether the handler runs after the commit
    long seen; // watchdog only
    long since; // watchdog only

    Watch(MachineImpl<?> machine, long timeoutNanos, @Nullable Time fakeTime) {
      this.machine = machine;
      this.timeoutNanos = timeoutNanos;
      this.fakeTime = fakeTime;
    }

    /** Marks a handler as running; returns the value {@link #exit} expects. */
    long enter(String name, boolean afterCommit) {
      handler = name;
      finalPhase = afterCommit;
      Time fake = fakeTime;
      if (fake != null) startedAt = fake.nanoTime();
      long running = (long) STATE.getOpaque(this) + 1;
      STATE.setRelease(this, running);
      return running;
    }

    /** Marks the handler as returned; false if the watchdog abandoned it first. */
    boolean exit(long running) {
      return STATE.compareAndSet(this, running, running + 1);
    }
  }
}
