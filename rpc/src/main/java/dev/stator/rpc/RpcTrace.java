package dev.stator.rpc;

import java.util.regex.Pattern;

/**
 * Tracing context that crosses the wire with a mutation: the W3C {@code traceparent} of the
 * client's span travels in the call metadata, and the server binds it to {@link #TRACEPARENT}
 * while it submits the mutation. With a context carrier on the served machine
 * ({@code Machine.Builder.context}) handlers and tracers see it even when the mutation was
 * queued, so a telemetry module can join spans across processes.
 */
public final class RpcTrace {
  /** The caller's {@code traceparent}, bound on the server while a remote mutation is submitted. */
  public static final ScopedValue<String> TRACEPARENT = ScopedValue.newInstance();

  static final io.grpc.Metadata.Key<String> HEADER =
      io.grpc.Metadata.Key.of("traceparent", io.grpc.Metadata.ASCII_STRING_MARSHALLER);

  private static final Pattern FORMAT =
      Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");

  private RpcTrace() {}

  /**
   * The remote caller's {@code traceparent} bound on this thread, or null if none is (for
   * {@code StatorTelemetry.Builder.remoteParent(RpcTrace::current)}).
   */
  public static @org.jspecify.annotations.Nullable String current() {
    return TRACEPARENT.isBound() ? TRACEPARENT.get() : null;
  }

  /** Whether {@code value} has the W3C traceparent form (others are dropped, not trusted). */
  static boolean valid(String value) {
    return value.length() == 55 && FORMAT.matcher(value).matches();
  }
}
