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
  AUTO,
  /**
   * The machine's own transition at {@link Machine#close()} that removes every active state: exit
   * and end handlers run (they cannot refuse) before the scopes close.
   */
  CLOSE;

  String label() {
    return switch (this) {
      case ADD -> "add";
      case REMOVE -> "remove";
      case SET -> "set";
      case AUTO -> "auto";
      case CLOSE -> "close";
    };
  }
}
