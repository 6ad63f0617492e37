package dev.stator.spi;

import dev.stator.Key;
import dev.stator.MutationKind;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One mutation of a mirror, as a transport sends it.
 *
 * @param kind {@code ADD}, {@code REMOVE} or {@code SET} ({@code toggle} is an {@code ADD} with
 *     {@code toggle} set: the server decides when it runs)
 * @param states the called states as schema indexes, in the caller's order
 * @param toggle whether this is {@code toggle(state)}
 * @param error the error of {@code addError}, or {@code null}; its states then end with
 *     {@code Exception}
 * @param args the arguments other than the error, in the order they were given
 */
public record RemoteCall(MutationKind kind, List<Integer> states, boolean toggle,
    @Nullable Throwable error, List<Arg> args) {

  /** Copies the lists. */
  public RemoteCall {
    Objects.requireNonNull(kind, "kind");
    states = List.copyOf(states);
    args = List.copyOf(args);
  }

  /**
   * One argument of a call.
   *
   * @param key the key (its codec encodes the value)
   * @param value the value, of the key's type
   */
  public record Arg(Key<?> key, Object value) {
    /** Checks for nulls. */
    public Arg {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }
  }
}
