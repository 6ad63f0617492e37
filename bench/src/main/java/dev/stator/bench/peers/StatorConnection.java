package dev.stator.bench.peers;

import dev.stator.Machine;
import dev.stator.Schema;

/**
 * Workload 2/3 in Stator, written in Stator's idiom: the phases remove each other, Ready
 * requires Connected, and the object is its own handler object (default configuration, so the
 * 1 s handler timeout and its watchdog are on). Entry actions are {@code xState} handlers, exit
 * actions {@code xEnd} handlers, the guard is the negotiation handler {@code connectingEnter}.
 */
public final class StatorConnection implements Connection {
  static final Schema<State> SCHEMA = Schema.of(State.class)
      .state(State.Disconnected,
          s -> s.remove(State.Connecting, State.Connected, State.Disconnecting, State.Failed))
      .state(State.Connecting,
          s -> s.remove(State.Disconnected, State.Connected, State.Disconnecting, State.Failed))
      .state(State.Connected,
          s -> s.remove(State.Disconnected, State.Connecting, State.Disconnecting, State.Failed))
      .state(State.Ready, s -> s.require(State.Connected))
      .state(State.Disconnecting,
          s -> s.remove(State.Disconnected, State.Connecting, State.Connected, State.Failed))
      .state(State.Failed,
          s -> s.remove(State.Disconnected, State.Connecting, State.Connected, State.Disconnecting))
      .build();

  private final Counters counters = new Counters();
  final Machine<State> machine;

  public StatorConnection() {
    machine = Machine.of(SCHEMA).handlers(this).build();
    machine.add(State.Disconnected);
  }

  @Override
  public void cycle() {
    machine.add(State.Connecting);
    machine.add(State.Connected);
    machine.add(State.Ready);
    machine.add(State.Disconnecting);
    machine.add(State.Disconnected);
  }

  @Override
  public Counters counters() {
    return counters;
  }

  @Override
  public String state() {
    return String.join(",", machine.activeNames());
  }

  // ---- handlers

  boolean connectingEnter(dev.stator.Event<State> e) {
    return counters.guard();
  }

  void disconnectedState(dev.stator.Event<State> e) {
    counters.entries++;
  }

  void disconnectedEnd(dev.stator.Event<State> e) {
    counters.exits++;
  }

  void connectingState(dev.stator.Event<State> e) {
    counters.entries++;
  }

  void connectingEnd(dev.stator.Event<State> e) {
    counters.exits++;
  }

  void connectedState(dev.stator.Event<State> e) {
    counters.entries++;
  }

  void connectedEnd(dev.stator.Event<State> e) {
    counters.exits++;
  }

  void readyState(dev.stator.Event<State> e) {
    counters.entries++;
  }

  void readyEnd(dev.stator.Event<State> e) {
    counters.exits++;
  }

  void disconnectingState(dev.stator.Event<State> e) {
    counters.entries++;
  }

  void disconnectingEnd(dev.stator.Event<State> e) {
    counters.exits++;
  }
}
