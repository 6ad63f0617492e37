package dev.stator.bench.peers;

/**
 * Workload 1 (flat two-state toggle, no actions) and 4 (the same, four threads on one machine):
 * the states and events every implementation uses, and the operations they all offer.
 *
 * <p>{@code on()} asks for {@link State#On}, {@code off()} for {@link State#Off}; asking for the
 * state the machine is already in is a no-op in every implementation (an ignored or declined
 * event in the event-driven peers, an add of an active state in Stator). Single-threaded, the
 * benchmarks alternate {@code on()} and {@code off()}, so every call is a real transition.
 */
public interface Toggle {
  /** The two states. */
  enum State { On, Off }

  /** The two events of the event-driven peers. */
  enum Event { ON, OFF }

  /** Asks for {@link State#On}. */
  void on();

  /** Asks for {@link State#Off}. */
  void off();

  /** The current state's name, for checks. */
  String state();
}
