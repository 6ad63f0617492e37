package dev.stator.spi;

import dev.stator.Machine;

/**
 * The transport's side of a mirror machine: it feeds the mirrored state; the application reads
 * and waits on {@link #machine()}.
 *
 * <p>Thread safety: every method may be called from any thread. Each update replaces the
 * mirrored active set, clocks and queue tick as one value (a reader never sees a mix of two
 * updates), then completes the waits that hold. Memory effects: actions before an update
 * happen-before a read of the machine that observes it.
 *
 * @param <S> the type that names a state
 */
public interface Mirror<S> {

  /** The mirror as a machine: reads and waits are local, mutations go to the link. */
  Machine<S> machine();

  /**
   * Replaces the mirrored state in full (after a connect or reconnect, or when the transport
   * dropped updates), even with older clocks (a restarted server), then evaluates waits.
   *
   * @param active the active set as a mask in schema order
   * @param ticks one clock per state; odd exactly for the active states
   * @param queueTick the number of mutations the remote machine had processed
   * @throws IllegalArgumentException if the clocks do not fit the schema or the active set
   */
  void resync(long active, long[] ticks, long queueTick);

  /**
   * Applies a later state of the remote machine: ignored (returns false) unless it is newer than
   * the mirrored one (a larger sum of clocks, or the same with a larger queue tick), so that a
   * late update never moves the mirror back.
   *
   * @throws IllegalArgumentException as for {@link #resync}
   */
  boolean advance(long active, long[] ticks, long queueTick);

  /**
   * The remote machine closed (or the transport gave up for good): the mirror closes, pending
   * waits fail with a {@code MachineClosedException} carrying {@code reason}.
   */
  void remoteClosed(String reason);
}
