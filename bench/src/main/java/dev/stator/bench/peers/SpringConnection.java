package dev.stator.bench.peers;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import org.springframework.messaging.Message;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.statemachine.StateContext;
import org.springframework.statemachine.StateMachine;
import org.springframework.statemachine.action.Action;
import org.springframework.statemachine.config.StateMachineBuilder;
import org.springframework.statemachine.config.StateMachineFactory;
import org.springframework.statemachine.config.configurers.StateConfigurer;
import reactor.core.publisher.Mono;

/**
 * Workload 2/3 in Spring Statemachine 4.0.2: a shared {@link StateMachineFactory}; entry/exit
 * actions with {@code stateEntry}/{@code stateExit}, the guard with {@code guard(...)}; each
 * machine keeps its {@link Counters} in its extended state, where the actions and the guard find
 * it. Events are sent with {@code sendEvent(Mono<Message>)} + {@code blockLast()}; the messages
 * are built once and reused.
 */
public final class SpringConnection implements Connection {
  static final String COUNTERS = "counters";
  static final StateMachineFactory<State, Event> FACTORY = factory();
  static final Map<Event, Mono<Message<Event>>> MESSAGES = new EnumMap<>(Event.class);

  static {
    for (Event e : Event.values()) MESSAGES.put(e, Mono.just(MessageBuilder.withPayload(e).build()));
  }

  private static final Mono<Message<Event>> CONNECT = MESSAGES.get(Event.CONNECT);
  private static final Mono<Message<Event>> CONNECTED = MESSAGES.get(Event.CONNECTED);
  private static final Mono<Message<Event>> READY = MESSAGES.get(Event.READY);
  private static final Mono<Message<Event>> DISCONNECT = MESSAGES.get(Event.DISCONNECT);
  private static final Mono<Message<Event>> DISCONNECTED = MESSAGES.get(Event.DISCONNECTED);

  private final Counters counters = new Counters();
  private final StateMachine<State, Event> machine = FACTORY.getStateMachine();

  public SpringConnection() {
    machine.getExtendedState().getVariables().put(COUNTERS, counters);
    machine.startReactively().block();
  }

  private static Counters counters(StateContext<State, Event> ctx) {
    return ctx.getExtendedState().get(COUNTERS, Counters.class);
  }

  private static StateMachineFactory<State, Event> factory() {
    try {
      StateMachineBuilder.Builder<State, Event> b = StateMachineBuilder.builder();
      b.configureConfiguration().withConfiguration().autoStartup(false);
      Action<State, Event> entry = ctx -> counters(ctx).entries++;
      Action<State, Event> exit = ctx -> counters(ctx).exits++;
      StateConfigurer<State, Event> states = b.configureStates().withStates()
          .initial(State.Disconnected).states(EnumSet.allOf(State.class));
      for (State s : new State[] {State.Disconnected, State.Connecting, State.Connected,
          State.Ready, State.Disconnecting}) {
        states.stateEntry(s, entry).stateExit(s, exit);
      }
      b.configureTransitions()
          .withExternal().source(State.Disconnected).target(State.Connecting).event(Event.CONNECT)
              .guard(ctx -> counters(ctx).guard()).and()
          .withExternal().source(State.Connecting).target(State.Connected)
              .event(Event.CONNECTED).and()
          .withExternal().source(State.Connecting).target(State.Failed).event(Event.FAIL).and()
          .withExternal().source(State.Connected).target(State.Ready).event(Event.READY).and()
          .withExternal().source(State.Connected).target(State.Disconnecting)
              .event(Event.DISCONNECT).and()
          .withExternal().source(State.Ready).target(State.Disconnecting)
              .event(Event.DISCONNECT).and()
          .withExternal().source(State.Disconnecting).target(State.Disconnected)
              .event(Event.DISCONNECTED).and()
          .withExternal().source(State.Failed).target(State.Disconnected).event(Event.RESET);
      return b.createFactory();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void cycle() {
    machine.sendEvent(CONNECT).blockLast();
    machine.sendEvent(CONNECTED).blockLast();
    machine.sendEvent(READY).blockLast();
    machine.sendEvent(DISCONNECT).blockLast();
    machine.sendEvent(DISCONNECTED).blockLast();
  }

  @Override
  public Counters counters() {
    return counters;
  }

  @Override
  public String state() {
    return machine.getState().getId().name();
  }
}
