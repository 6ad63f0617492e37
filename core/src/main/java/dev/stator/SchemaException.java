package dev.stator;

/**
 * A schema failed validation. The message names every state involved, for example {@code invalid
 * schema Conn: state 'Ready' requires unknown state 'Conected'}.
 */
public final class SchemaException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  SchemaException(String message) {
    super(message);
  }
}
