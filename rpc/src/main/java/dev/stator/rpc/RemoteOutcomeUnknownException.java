package dev.stator.rpc;

/**
 * A remote mutation was sent and no answer came (the connection dropped, or the call timed
 * out): it may or may not have run. Reconnecting resynchronises the mirror, which then shows
 * what happened.
 */
public final class RemoteOutcomeUnknownException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  RemoteOutcomeUnknownException(String message, Throwable cause) {
    super(message, cause);
  }
}
