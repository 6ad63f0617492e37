package dev.stator.bench.peers;

import org.squirrelframework.foundation.fsm.StateMachineBuilder;
import org.squirrelframework.foundation.fsm.StateMachineBuilderFactory;
import org.squirrelframework.foundation.fsm.impl.AbstractStateMachine;

/**
 * Workload 1/4 in squirrel-foundation 0.3.10: one shared builder (fluent API), one machine per
 * instance. An event with no transition from the current state is declined. squirrel queues
 * events fired by several threads and processes them under its own lock, so workload 4 uses
 * {@code fire} as it is.
 */
public final class SquirrelToggle implements Toggle {
  /** The machine class squirrel instantiates. */
  public static class Fsm extends AbstractStateMachine<Fsm, State, Event, Void> {
    public Fsm() {}
  }

  static final StateMachineBuilder<Fsm, State, Event, Void> BUILDER =
      StateMachineBuilderFactory.create(Fsm.class, State.class, Event.class, Void.class);

  static {
    BUILDER.externalTransition().from(State.Off).to(State.On).on(Event.ON);
    BUILDER.externalTransition().from(State.On).to(State.Off).on(Event.OFF);
  }

  final Fsm fsm = BUILDER.newStateMachine(State.Off);

  public SquirrelToggle() {
    fsm.start();
  }

  @Override
  public void on() {
    fsm.fire(Event.ON);
  }

  @Override
  public void off() {
    fsm.fire(Event.OFF);
  }

  @Override
  public String state() {
    return fsm.getCurrentState().name();
  }
}
