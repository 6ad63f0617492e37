package dev.stator.bench.peers;

import org.squirrelframework.foundation.fsm.Condition;
import org.squirrelframework.foundation.fsm.StateMachineBuilder;
import org.squirrelframework.foundation.fsm.StateMachineBuilderFactory;
import org.squirrelframework.foundation.fsm.impl.AbstractStateMachine;

/**
 * Workload 2/3 in squirrel-foundation 0.3.10: a shared builder (fluent transitions, guard as a
 * {@link Condition} on the context) and entry/exit actions as squirrel's convention methods
 * {@code entryX}/{@code exitX} on the machine class. The connection's {@link Counters} is the
 * squirrel context passed with every event.
 */
public final class SquirrelConnection implements Connection {
  /** The machine class: squirrel finds {@code entryX}/{@code exitX} by name. */
  public static class Fsm extends AbstractStateMachine<Fsm, State, Event, Counters> {
    public Fsm() {}

    protected void entryDisconnected(State from, State to, Event e, Counters c) {
      c.entries++;
    }

    protected void exitDisconnected(State from, State to, Event e, Counters c) {
      c.exits++;
    }

    protected void entryConnecting(State from, State to, Event e, Counters c) {
      c.entries++;
    }

    protected void exitConnecting(State from, State to, Event e, Counters c) {
      c.exits++;
    }

    protected void entryConnected(State from, State to, Event e, Counters c) {
      c.entries++;
    }

    protected void exitConnected(State from, State to, Event e, Counters c) {
      c.exits++;
    }

    protected void entryReady(State from, State to, Event e, Counters c) {
      c.entries++;
    }

    protected void exitReady(State from, State to, Event e, Counters c) {
      c.exits++;
    }

    protected void entryDisconnecting(State from, State to, Event e, Counters c) {
      c.entries++;
    }

    protected void exitDisconnecting(State from, State to, Event e, Counters c) {
      c.exits++;
    }
  }

  static final StateMachineBuilder<Fsm, State, Event, Counters> BUILDER =
      StateMachineBuilderFactory.create(Fsm.class, State.class, Event.class, Counters.class);

  static {
    BUILDER.externalTransition().from(State.Disconnected).to(State.Connecting).on(Event.CONNECT)
        .when(new Condition<Counters>() {
          @Override
          public boolean isSatisfied(Counters c) {
            return c.guard();
          }

          @Override
          public String name() {
            return "Allowed";
          }
        });
    BUILDER.externalTransition().from(State.Connecting).to(State.Connected).on(Event.CONNECTED);
    BUILDER.externalTransition().from(State.Connecting).to(State.Failed).on(Event.FAIL);
    BUILDER.externalTransition().from(State.Connected).to(State.Ready).on(Event.READY);
    BUILDER.externalTransition().from(State.Connected).to(State.Disconnecting)
        .on(Event.DISCONNECT);
    BUILDER.externalTransition().from(State.Ready).to(State.Disconnecting).on(Event.DISCONNECT);
    BUILDER.externalTransition().from(State.Disconnecting).to(State.Disconnected)
        .on(Event.DISCONNECTED);
    BUILDER.externalTransition().from(State.Failed).to(State.Disconnected).on(Event.RESET);
  }

  private final Counters counters = new Counters();
  private final Fsm fsm = BUILDER.newStateMachine(State.Disconnected);

  public SquirrelConnection() {
    fsm.start(counters);
  }

  @Override
  public void cycle() {
    Counters c = counters;
    fsm.fire(Event.CONNECT, c);
    fsm.fire(Event.CONNECTED, c);
    fsm.fire(Event.READY, c);
    fsm.fire(Event.DISCONNECT, c);
    fsm.fire(Event.DISCONNECTED, c);
  }

  @Override
  public Counters counters() {
    return counters;
  }

  @Override
  public String state() {
    return fsm.getCurrentState().name();
  }
}
