package dev.stator.bench.peers;

import java.util.concurrent.locks.ReentrantLock;

/** Floor (a) for workload 1/4: an enum field and a {@code switch}, behind a ReentrantLock. */
public final class FloorToggle implements Toggle {
  private final ReentrantLock lock = new ReentrantLock();
  private volatile State state = State.Off;

  @Override
  public void on() {
    fire(Event.ON);
  }

  @Override
  public void off() {
    fire(Event.OFF);
  }

  private void fire(Event e) {
    lock.lock();
    try {
      state = switch (state) {
        case Off -> e == Event.ON ? State.On : State.Off;
        case On -> e == Event.OFF ? State.Off : State.On;
      };
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String state() {
    return state.name();
  }
}
