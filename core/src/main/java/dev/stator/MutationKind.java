package dev.stator;

/** The kind of a mutation, as resolved (a toggle runs as an add or a remove). */
public enum MutationKind {
  /** Activate the called states, keep the others. */
  ADD,
  /** Deactivate the called states, keep the others. */
  REMOVE,
  /** Activate exactly the called states. */
  SET,
  /** The machine's own mutation that activates {@code auto} states after a transition. */
  AUTO;

  String label() {
    return switch (this) {
      case ADD -> "add";
      case REMOVE -> "remove";
      case SET -> "set";
      case AUTO -> "auto";
    };
  }
}
