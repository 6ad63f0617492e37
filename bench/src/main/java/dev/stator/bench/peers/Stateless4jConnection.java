package dev.stator.bench.peers;

import com.github.oxo42.stateless4j.StateMachine;
import com.github.oxo42.stateless4j.StateMachineConfig;

/**
 * Workload 2/3 in stateless4j 2.6.0. Its actions ({@code Action}) receive nothing that leads
 * back to the instance, so actions that touch a connection's own counters need a configuration
 * per instance, built in the constructor (as stateless4j's own examples do): creation cost
 * includes it.
 */
public final class Stateless4jConnection implements Connection {
  private final Counters counters = new Counters();
  private final StateMachine<State, Event> machine;

  public Stateless4jConnection() {
    Counters c = counters;
    StateMachineConfig<State, Event> config = new StateMachineConfig<>();
    config.configure(State.Disconnected)
        .permitIf(Event.CONNECT, State.Connecting, c::guard)
        .onEntry(() -> c.entries++).onExit(() -> c.exits++);
    config.configure(State.Connecting)
        .permit(Event.CONNECTED, State.Connected)
        .permit(Event.FAIL, State.Failed)
        .onEntry(() -> c.entries++).onExit(() -> c.exits++);
    config.configure(State.Connected)
        .permit(Event.READY, State.Ready)
        .permit(Event.DISCONNECT, State.Disconnecting)
        .onEntry(() -> c.entries++).onExit(() -> c.exits++);
    config.configure(State.Ready)
        .permit(Event.DISCONNECT, State.Disconnecting)
        .onEntry(() -> c.entries++).onExit(() -> c.exits++);
    config.configure(State.Disconnecting)
        .permit(Event.DISCONNECTED, State.Disconnected)
        .onEntry(() -> c.entries++).onExit(() -> c.exits++);
    config.configure(State.Failed)
        .permit(Event.RESET, State.Disconnected);
    machine = new StateMachine<>(State.Disconnected, config);
  }

  @Override
  public void cycle() {
    machine.fire(Event.CONNECT);
    machine.fire(Event.CONNECTED);
    machine.fire(Event.READY);
    machine.fire(Event.DISCONNECT);
    machine.fire(Event.DISCONNECTED);
  }

  @Override
  public Counters counters() {
    return counters;
  }

  @Override
  public String state() {
    return machine.getState().name();
  }
}
