package dev.stator.bench.peers;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Floor (a) for workload 2/3: the lifecycle as an enum field and a {@code switch} over
 * (state, event), behind a ReentrantLock, with the guard and the entry/exit actions called
 * directly.
 */
public final class FloorConnection implements Connection {
  private final ReentrantLock lock = new ReentrantLock();
  private final Counters counters = new Counters();
  private State state = State.Disconnected;

  @Override
  public void cycle() {
    fire(Event.CONNECT);
    fire(Event.CONNECTED);
    fire(Event.READY);
    fire(Event.DISCONNECT);
    fire(Event.DISCONNECTED);
  }

  /** Returns whether the event caused a transition. */
  public boolean fire(Event e) {
    lock.lock();
    try {
      State from = state;
      State to = switch (from) {
        case Disconnected -> e == Event.CONNECT && counters.guard() ? State.Connecting : null;
        case Connecting -> e == Event.CONNECTED ? State.Connected
            : e == Event.FAIL ? State.Failed : null;
        case Connected -> e == Event.READY ? State.Ready
            : e == Event.DISCONNECT ? State.Disconnecting : null;
        case Ready -> e == Event.DISCONNECT ? State.Disconnecting : null;
        case Disconnecting -> e == Event.DISCONNECTED ? State.Disconnected : null;
        case Failed -> e == Event.RESET ? State.Disconnected : null;
      };
      if (to == null) return false;
      if (from != State.Failed) counters.exits++;
      state = to;
      if (to != State.Failed) counters.entries++;
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Counters counters() {
    return counters;
  }

  @Override
  public String state() {
    lock.lock();
    try {
      return state.name();
    } finally {
      lock.unlock();
    }
  }
}
