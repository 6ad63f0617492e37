package dev.stator.bench.peers;

import dev.stator.bench.BitsetFloor;

/** Floor (b) for workload 1/4: {@link BitsetFloor} with On and Off removing each other. */
public final class BitsetToggle implements Toggle {
  static final BitsetFloor.Relations RELATIONS = new BitsetFloor.Relations(2)
      .remove(State.On, State.Off)
      .remove(State.Off, State.On);

  private final BitsetFloor floor = new BitsetFloor(RELATIONS);

  public BitsetToggle() {
    floor.add(State.Off);
  }

  @Override
  public void on() {
    floor.add(State.On);
  }

  @Override
  public void off() {
    floor.add(State.Off);
  }

  @Override
  public String state() {
    return floor.is(State.On) ? "On" : floor.is(State.Off) ? "Off" : "";
  }
}
