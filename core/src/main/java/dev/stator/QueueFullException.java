package dev.stator;

/**
 * A mutation was refused because the machine's queue held its limit of pending mutations
 * (see {@link Machine.Builder#queueLimit(int)}). Nothing was queued.
 */
public final class QueueFullException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  QueueFullException(String message) {
    super(message);
  }
}
