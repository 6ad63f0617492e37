package dev.stator.supervision;

/**
 * Thrown by {@link ActorRegistry#getOrStart} to every caller that asked for an actor whose
 * start failed: the one that ran the starter and every one that waited for it. The cause is the
 * very throwable the starter threw (the same instance for every caller).
 */
public final class ActorStartException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ActorStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
