package dev.stator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The queue of a machine: mutations waiting for the thread that drains it.
 *
 * <p>Producers push onto a lock-free stack (newest first); the draining thread takes the whole
 * stack with one atomic swap and reverses it into its own oldest-first list, so a batch of N
 * queued mutations costs the drainer one atomic operation, not N.
 */
final class Inbox {
  /* Design.
   *
   * pushed   Treiber stack, written by producers (CAS) and emptied by the drainer or by close
   *          (getAndSet); a push happens-before the take that removes it.
   * reserved places taken by producers and not yet moved to the drainer's list: a producer
   *          reserves (getAndAdd) before it pushes, so the limit is never exceeded; the drainer
   *          gives back a whole batch at once when it takes the stack.
   * head     the drainer's list, oldest first, and `taken`, its length: drainer only (`taken` is
   *          written opaque so that size() may read it from any thread).
   * size() is approximate while producers and the drainer race, exact when they are quiet. */

  private static final VarHandle PUSHED;
  private static final VarHandle RESERVED;
  private static final VarHandle TAKEN;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      PUSHED = l.findVarHandle(Inbox.class, "pushed", Mutation.class);
      RESERVED = l.findVarHandle(Inbox.class, "reserved", int.class);
      TAKEN = l.findVarHandle(Inbox.class, "taken", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private volatile @Nullable Mutation pushed;
  private volatile int reserved;
  private @Nullable Mutation head;
  private int taken;

  /** Pushes {@code m} unless {@code limit} mutations are queued already; any thread. */
  boolean push(Mutation m, int limit) {
    int n = (int) RESERVED.getAndAdd(this, 1);
    if (n >= limit) {
      RESERVED.getAndAdd(this, -1);
      return false;
    }
    Mutation h;
    do {
      h = pushed;
      m.next = h;
    } while (!PUSHED.compareAndSet(this, h, m));
    return true;
  }

  /** Whether a producer pushed something the drainer has not taken yet (a volatile read). */
  boolean hasPushed() {
    return pushed != null;
  }

  /** Whether nothing is queued at all; drainer only. */
  boolean isEmpty() {
    return head == null && pushed == null;
  }

  /** Takes the oldest queued mutation; drainer only. */
  @Nullable Mutation poll() {
    Mutation m = head;
    if (m == null) {
      if (pushed == null) return null; // the common case: no atomic operation
      Mutation s = (Mutation) PUSHED.getAndSet(this, null);
      if (s == null) return null;
      Mutation rev = null; // reverse newest-first into oldest-first
      int batch = 0;
      while (s != null) {
        Mutation n = s.next;
        s.next = rev;
        rev = s;
        s = n;
        batch++;
      }
      RESERVED.getAndAdd(this, -batch); // once per batch, not per mutation
      TAKEN.setOpaque(this, taken + batch);
      m = rev;
    }
    TAKEN.setOpaque(this, taken - 1);
    head = m.next;
    m.next = null;
    return m;
  }

  /** Takes everything producers pushed and hands each to {@code action}; any thread. */
  void drainPushed(Consumer<Mutation> action) {
    Mutation s = (Mutation) PUSHED.getAndSet(this, null);
    while (s != null) {
      Mutation next = s.next;
      s.next = null;
      RESERVED.getAndAdd(this, -1);
      action.accept(s);
      s = next;
    }
  }

  /** The number of queued mutations; any thread. */
  int size() {
    return Math.max(0, reserved + (int) TAKEN.getOpaque(this));
  }
}
