package dev.stator.bench.peers;

/**
 * Workload 2 (a connection lifecycle with a guard and entry/exit actions) and 3 (creating its
 * instances): the states, events and counters every implementation uses.
 *
 * <p>States: Disconnected, Connecting, Connected, Ready, Disconnecting, and Failed (declared,
 * reachable on {@code FAIL} from Connecting, not visited by the measured cycle). The measured
 * cycle is five transitions:
 * <pre>
 * Disconnected --CONNECT [guard]--> Connecting --CONNECTED--> Connected --READY--> Ready
 *   --DISCONNECT--> Disconnecting --DISCONNECTED--> Disconnected
 * </pre>
 * The guard on CONNECT counts its calls and reads {@link Counters#allow}. Each of the five
 * cycle states has an entry action ({@code entries++}) and an exit action ({@code exits++}), so
 * one cycle runs 1 guard, 5 entry and 5 exit actions in every implementation. (In Stator, Ready
 * requires Connected and Connected stays active under it, as its idiom has it; Connected's exit
 * then runs on DISCONNECT instead of READY: same counts per cycle.)
 */
public interface Connection {
  /** The six states. */
  enum State { Disconnected, Connecting, Connected, Ready, Disconnecting, Failed }

  /** The events of the event-driven peers. */
  enum Event { CONNECT, CONNECTED, READY, DISCONNECT, DISCONNECTED, FAIL, RESET }

  /** What the actions and the guard touch; one per connection. */
  final class Counters {
    public long entries;
    public long exits;
    public long guards;
    public boolean allow = true;

    public boolean guard() {
      guards++;
      return allow;
    }
  }

  /** Runs the five transitions of one cycle, from Disconnected back to Disconnected. */
  void cycle();

  /** This connection's counters. */
  Counters counters();

  /** The current state's name (for Stator: the active states), for checks. */
  String state();
}
