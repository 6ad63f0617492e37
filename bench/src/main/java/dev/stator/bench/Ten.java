package dev.stator.bench;

import dev.stator.Schema;

/**
 * The 10-state schema with relations used by the core benchmarks (questions 1 to 4 and 6 of
 * {@code docs/benchmarks.md}).
 *
 * <pre>
 * Started       remove Stopped
 * Running       require Started; add Healthy; remove Paused, Stopped
 * Paused        require Started; remove Running
 * Healthy       require Running; remove Degraded
 * Degraded      remove Healthy
 * Stopped       remove Started, Running, Paused
 * Connected     -
 * Busy          require Connected; remove Idle
 * Idle          remove Busy
 * Logged        after Running
 * </pre>
 *
 * <p>The measured cycle starts from {@link #BASE} = {Started, Connected, Idle}:
 * {@code add(Running)} activates Running and pulls in Healthy (add relation, whose require is
 * met), checks Running's and Healthy's remove relations; {@code remove(Running)} deactivates
 * Running and, through Healthy's require relation, Healthy. Each mutation flips two states.
 */
public enum Ten {
  Started, Running, Paused, Healthy, Degraded, Stopped, Connected, Busy, Idle, Logged;

  /** The shared schema. */
  public static final Schema<Ten> SCHEMA = Schema.of(Ten.class)
      .state(Started, s -> s.remove(Stopped))
      .state(Running, s -> s.require(Started).add(Healthy).remove(Paused, Stopped))
      .state(Paused, s -> s.require(Started).remove(Running))
      .state(Healthy, s -> s.require(Running).remove(Degraded))
      .state(Degraded, s -> s.remove(Healthy))
      .state(Stopped, s -> s.remove(Started, Running, Paused))
      .state(Busy, s -> s.require(Connected).remove(Idle))
      .state(Idle, s -> s.remove(Busy))
      .state(Logged, s -> s.after(Running))
      .build();

  /** The active set every cycle starts from. */
  public static final java.util.List<Ten> BASE = java.util.List.of(Started, Connected, Idle);

  /** Bit of a state in the floors' masks (ordinal order, as in the schema). */
  public long bit() {
    return 1L << ordinal();
  }

  /** The relations above as masks, for {@link BitsetFloor}. */
  public static BitsetFloor.Relations relations() {
    BitsetFloor.Relations r = new BitsetFloor.Relations(values().length);
    r.remove(Started, Stopped);
    r.require(Running, Started).add(Running, Healthy).remove(Running, Paused, Stopped);
    r.require(Paused, Started).remove(Paused, Running);
    r.require(Healthy, Running).remove(Healthy, Degraded);
    r.remove(Degraded, Healthy);
    r.remove(Stopped, Started, Running, Paused);
    r.require(Busy, Connected).remove(Busy, Idle);
    r.remove(Idle, Busy);
    return r;
  }
}
