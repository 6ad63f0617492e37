package dev.stator.bench.peers;

import java.util.EnumSet;
import org.springframework.messaging.Message;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.statemachine.StateMachine;
import org.springframework.statemachine.config.StateMachineBuilder;
import org.springframework.statemachine.config.StateMachineFactory;
import reactor.core.publisher.Mono;

/**
 * Workload 1/4 in Spring Statemachine 4.0.2: one shared {@link StateMachineFactory} built with
 * {@link StateMachineBuilder} (no Spring context), one started machine per instance, events sent
 * with the reactive {@code sendEvent(Mono<Message>)} and awaited with {@code blockLast()} (the
 * blocking {@code sendEvent(E)} is deprecated). The two event messages are built once and
 * reused. An event with no transition from the current state is denied. Workload 4: see
 * {@link Locked}.
 */
public class SpringToggle implements Toggle {
  static final StateMachineFactory<State, Event> FACTORY = factory();
  static final Mono<Message<Event>> ON = Mono.just(MessageBuilder.withPayload(Event.ON).build());
  static final Mono<Message<Event>> OFF = Mono.just(MessageBuilder.withPayload(Event.OFF).build());

  final StateMachine<State, Event> machine = FACTORY.getStateMachine();

  public SpringToggle() {
    machine.startReactively().block();
  }

  private static StateMachineFactory<State, Event> factory() {
    try {
      StateMachineBuilder.Builder<State, Event> b = StateMachineBuilder.builder();
      b.configureConfiguration().withConfiguration().autoStartup(false);
      b.configureStates().withStates().initial(State.Off).states(EnumSet.allOf(State.class));
      b.configureTransitions()
          .withExternal().source(State.Off).target(State.On).event(Event.ON).and()
          .withExternal().source(State.On).target(State.Off).event(Event.OFF);
      return b.createFactory();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void on() {
    machine.sendEvent(ON).blockLast();
  }

  @Override
  public void off() {
    machine.sendEvent(OFF).blockLast();
  }

  @Override
  public String state() {
    return machine.getState().getId().name();
  }

  /**
   * Shared by several threads. Spring Statemachine documents no contract for concurrent
   * {@code sendEvent} on one machine (see docs/benchmarks.md), so every call is synchronized on
   * the machine, as its users do.
   */
  public static final class Locked extends SpringToggle {
    @Override
    public void on() {
      synchronized (machine) {
        machine.sendEvent(ON).blockLast();
      }
    }

    @Override
    public void off() {
      synchronized (machine) {
        machine.sendEvent(OFF).blockLast();
      }
    }
  }
}
