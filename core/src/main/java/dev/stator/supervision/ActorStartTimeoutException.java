package dev.stator.supervision;

/**
 * Thrown by {@link ActorRegistry#getOrStart} when another caller's start of the same key was
 * still under way after the bound (the call's timeout, or the registry's
 * {@linkplain ActorRegistry.Builder#startTimeout start timeout}). The message names the actor's
 * key, the registry and the bound. The start it waited for goes on; a later call may get its
 * actor.
 */
public final class ActorStartTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ActorStartTimeoutException(String message) {
    super(message);
  }
}
