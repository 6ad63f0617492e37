package dev.stator.bench.peers;

import com.github.oxo42.stateless4j.StateMachine;
import com.github.oxo42.stateless4j.StateMachineConfig;

/**
 * Workload 1/4 in stateless4j 2.6.0: one shared {@link StateMachineConfig}, one
 * {@link StateMachine} per instance; the event for the current state is ignored. stateless4j
 * is not thread-safe, so {@link Locked} (workload 4) serializes {@code fire} with
 * {@code synchronized}, the usual way to share one.
 */
public class Stateless4jToggle implements Toggle {
  static final StateMachineConfig<State, Event> CONFIG = new StateMachineConfig<>();

  static {
    CONFIG.configure(State.Off).permit(Event.ON, State.On).ignore(Event.OFF);
    CONFIG.configure(State.On).permit(Event.OFF, State.Off).ignore(Event.ON);
  }

  final StateMachine<State, Event> machine = new StateMachine<>(State.Off, CONFIG);

  @Override
  public void on() {
    machine.fire(Event.ON);
  }

  @Override
  public void off() {
    machine.fire(Event.OFF);
  }

  @Override
  public String state() {
    return machine.getState().name();
  }

  /** Shared by several threads: every call synchronized on the machine. */
  public static final class Locked extends Stateless4jToggle {
    @Override
    public void on() {
      synchronized (machine) {
        machine.fire(Event.ON);
      }
    }

    @Override
    public void off() {
      synchronized (machine) {
        machine.fire(Event.OFF);
      }
    }

    @Override
    public String state() {
      synchronized (machine) {
        return machine.getState().name();
      }
    }
  }
}
