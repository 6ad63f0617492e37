package dev.stator;

/**
 * A mutation or wait on a machine that is closed. The message names the machine and what was
 * refused.
 */
public final class MachineClosedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  MachineClosedException(String message) {
    super(message);
  }
}
