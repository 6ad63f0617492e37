package dev.stator.history;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One handler call of a recorded transition.
 *
 * @param handler the handler's name and what it means ({@code connectedEnter}: state
 *     {@code Connected}, phase {@code ENTER})
 * @param nanos how long it ran, in nanoseconds ({@code 0} when timing is off)
 * @param accepted for negotiation handlers, whether it let the transition go on; {@code true}
 *     for final handlers that returned
 * @param failure what it threw, as {@code "class: message"}, or {@code null}; a handler the
 *     machine abandoned past its handler timeout reads {@code "timed out"}
 */
public record HandlerCall(HandlerName handler, long nanos, boolean accepted,
    @Nullable String failure) {
  /** Checks the values. */
  public HandlerCall {
    Objects.requireNonNull(handler, "handler");
    if (nanos < 0) throw new IllegalArgumentException("handler duration must not be negative: "
        + nanos);
  }

  /** The handler's name. */
  public String name() {
    return handler.name();
  }
}
