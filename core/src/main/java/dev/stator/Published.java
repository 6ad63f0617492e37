package dev.stator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * The published state of one machine: its active set, one clock per state and the queue tick,
 * read lock-free by any thread and written by the draining thread only.
 */
final class Published {
  /* Design.
   *
   * Writer: the thread that holds the machine's drain (MachineImpl's protocol); every write goes
   * through commit() or countMutation(), both inside the seqlock `seq` (odd while writing), so a
   * snapshot never pairs the queue tick of one mutation with the clocks of another, on any CPU.
   * Readers: is()/tick() read single fields (opaque clocks, volatile `active`); snapshot() reads
   * all fields between two reads of `seq` and retries if a write overlapped.
   * Happens-before: the release write of `active` and of the even `seq` publish the clocks
   * written before them; a reader's acquire of `seq` (or volatile read of `active`) sees them. */

  private static final VarHandle SEQ;
  private static final VarHandle ACTIVE;
  private static final VarHandle QUEUE_TICK;
  private static final VarHandle TICKS = MethodHandles.arrayElementVarHandle(long[].class);

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      SEQ = l.findVarHandle(Published.class, "seq", int.class);
      ACTIVE = l.findVarHandle(Published.class, "active", long.class);
      QUEUE_TICK = l.findVarHandle(Published.class, "queueTick", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Schema<?> schema;
  private volatile long active; // written by the drainer (release), after the clocks
  private final long[] ticks; // written by the drainer (opaque)
  private volatile int seq; // odd while the drainer writes
  private long queueTick; // written by the drainer (opaque)

  Published(Schema<?> schema, @Nullable Snapshot restore) {
    this.schema = schema;
    this.ticks = new long[schema.size];
    if (restore != null) {
      long[] t = restore.ticks();
      System.arraycopy(t, 0, ticks, 0, t.length);
      queueTick = restore.queueTick();
      active = restore.active();
    }
  }

  /** The active set as a mask; any thread. */
  long active() {
    return active;
  }

  /** The queue tick; the draining thread only (it is the writer). */
  long queueTickForDrainer() {
    return queueTick;
  }

  /** The clock of state i; any thread. */
  long tick(int i) {
    return (long) TICKS.getOpaque(ticks, i);
  }

  /** The live clock array; the draining thread only (it is the writer). */
  long[] ticksForDrainer() {
    return ticks;
  }

  /**
   * Commits a transition: states in {@code flipped} tick by one, those in {@code reenter} by two,
   * the queue tick by {@code counted}; then the active set becomes {@code target}. Drainer only.
   */
  void commit(long target, long flipped, long reenter, long counted) {
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

  /** Counts a mutation that changed nothing (a no-op or a refusal); drainer only. */
  void countMutation() {
    int s = seq;
    SEQ.setOpaque(this, s + 1);
    VarHandle.storeStoreFence();
    QUEUE_TICK.setOpaque(this, queueTick + 1);
    SEQ.setRelease(this, s + 2);
  }

  /** One consistent value of everything published; any thread, lock-free. */
  Snapshot snapshot() {
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
}
