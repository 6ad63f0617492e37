package dev.stator.bench.peers;

import org.squirrelframework.foundation.fsm.StateMachineBuilder;
import org.squirrelframework.foundation.fsm.StateMachineBuilderFactory;
import org.squirrelframework.foundation.fsm.impl.AbstractStateMachine;

/**
 * Workload 1/4 in squirrel-foundation 0.3.10: one shared builder (fluent API), one machine per
 * instance. An event with no transition from the current state is declined.
 *
 * <p>Several threads: squirrel's {@code fire} puts the event on the machine's queue and
 * processes the queue under its own lock if the machine is idle; if it is busy, {@code fire}
 * returns at once and the event waits. That queue is unbounded and there is no way to wait for
 * an event, so four threads firing as fast as they can outrun the one that processes: in a
 * trial run it grew to 6.5 GB of heap within a minute and the JVM stalled in GC. Workload 4
 * therefore uses {@link Locked}, which serializes {@code fire} with {@code synchronized} (every
 * event then runs inside its own call), like stateless4j and Spring Statemachine.
 */
public class SquirrelToggle implements Toggle {
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

  /** Shared by several threads: every call synchronized on the machine. */
  public static final class Locked extends SquirrelToggle {
    @Override
    public void on() {
      synchronized (fsm) {
        fsm.fire(Event.ON);
      }
    }

    @Override
    public void off() {
      synchronized (fsm) {
        fsm.fire(Event.OFF);
      }
    }
  }
}
