package dev.stator;

/**
 * A handler ran past the machine's handler timeout. The machine abandoned the transition,
 * recorded this exception in its {@code Exception} state and went on serving others; whatever
 * the late handler does afterwards has no effect on the machine.
 */
public final class HandlerTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  HandlerTimeoutException(String message) {
    super(message);
  }
}
