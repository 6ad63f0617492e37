package dev.stator.history;

/**
 * The slot a handler fills in a transition, as its name says ({@code connectedEnter} is
 * {@link #ENTER}, {@code readyWorking} is {@link #PAIR}); see {@code docs/spec.md} for the
 * phases.
 */
public enum HandlerPhase {
  /** {@code xEnter}: negotiation, the state is about to activate. */
  ENTER,
  /** {@code xExit}: negotiation, the state is about to deactivate. */
  EXIT,
  /** {@code xState}: final, the state activated. */
  STATE,
  /** {@code xEnd}: final, the state deactivated. */
  END,
  /** {@code xY}: negotiation, {@code Y} activates while {@code X} is active. */
  PAIR,
  /** {@code xX}: negotiation, an active state is called again. */
  SELF,
  /** {@code anyEnter}: negotiation, first in every transition that changes states. */
  ANY_ENTER,
  /** {@code anyState}: final, last in every transition that changes states. */
  ANY_STATE,
  /** A name that fits no slot of the schema (not produced by the engine). */
  UNKNOWN;

  /** Whether handlers of this phase can refuse the transition. */
  public boolean negotiation() {
    return switch (this) {
      case ENTER, EXIT, PAIR, SELF, ANY_ENTER -> true;
      case STATE, END, ANY_STATE, UNKNOWN -> false;
    };
  }

  /** The label used in telemetry attributes and exports: {@code enter}, {@code any_state}. */
  public String label() {
    return switch (this) {
      case ENTER -> "enter";
      case EXIT -> "exit";
      case STATE -> "state";
      case END -> "end";
      case PAIR -> "pair";
      case SELF -> "self";
      case ANY_ENTER -> "any_enter";
      case ANY_STATE -> "any_state";
      case UNKNOWN -> "unknown";
    };
  }

  /** The phase whose {@link #label()} is {@code label}. */
  public static HandlerPhase ofLabel(String label) {
    for (HandlerPhase p : values()) {
      if (p.label().equals(label)) return p;
    }
    throw new IllegalArgumentException("unknown handler phase: " + label);
  }
}
