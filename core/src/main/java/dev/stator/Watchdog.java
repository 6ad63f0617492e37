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
 * watched machine. It parks while no machine is enrolled and costs nothing then.
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
   * Detection: the draining thread bumps Watch.progress (opaque) at every handler start and end
   * and sets Watch.inHandler. A machine whose inHandler is 1 and whose progress has not moved
   * for the timeout is stuck; MachineImpl.abandon takes it over with a CAS on status. */

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
      for (; w != null; w = w.next) {
        watched.add(w);
        w.seen = (long) Watch.PROGRESS.getOpaque(w) - 1; // force a fresh observation
      }
      if (watched.isEmpty()) {
        LockSupport.park(this);
        continue;
      }
      long now = System.nanoTime();
      for (int i = watched.size() - 1; i >= 0; i--) {
        if (!check(watched.get(i), now)) {
          watched.set(i, watched.get(watched.size() - 1));
          watched.remove(watched.size() - 1);
        }
      }
      LockSupport.parkNanos(this, TICK_NANOS);
    }
  }

  /** Returns whether to keep watching. */
  private static boolean check(Watch w, long now) {
    long progress = (long) Watch.PROGRESS.getOpaque(w);
    if (progress != w.seen) {
      w.seen = progress;
      w.since = now;
    } else if ((int) Watch.IN_HANDLER.getAcquire(w) != 0 && now - w.since >= w.timeoutNanos) {
      w.machine.abandon(w, progress);
      w.since = now;
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
    static final VarHandle PROGRESS;
    static final VarHandle IN_HANDLER;

    static {
      try {
        MethodHandles.Lookup l = MethodHandles.lookup();
        ENROLLED = l.findVarHandle(Watch.class, "enrolled", int.class);
        PROGRESS = l.findVarHandle(Watch.class, "progress", long.class);
        IN_HANDLER = l.findVarHandle(Watch.class, "inHandler", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final MachineImpl<?> machine;
    final long timeoutNanos;
    volatile int enrolled;
    @Nullable Watch next; // inbox link
    long progress; // draining thread writes (opaque); watchdog reads
    int inHandler; // draining thread writes (opaque); watchdog reads
    String handler = ""; // draining thread writes before a handler; watchdog reads after abandon
    long seen; // watchdog only
    long since; // watchdog only

    Watch(MachineImpl<?> machine, long timeoutNanos) {
      this.machine = machine;
      this.timeoutNanos = timeoutNanos;
    }

    void enter(String name) {
      handler = name;
      PROGRESS.setOpaque(this, progress + 1);
      IN_HANDLER.setRelease(this, 1); // publishes `handler` to the watchdog
    }

    void exit() {
      IN_HANDLER.setOpaque(this, 0);
      PROGRESS.setOpaque(this, progress + 1);
    }
  }
}
