package dev.stator.rpc;

/**
 * An error sent by {@code addError} over the wire: the server knows only its type name and
 * message (never a serialized throwable), and raises this in its place.
 */
public final class RemoteFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String type;

  RemoteFailure(String type, String message) {
    super(type + ": " + message, null, false, false);
    this.type = type;
  }

  /** The class name of the error the client raised. */
  public String type() {
    return type;
  }
}
