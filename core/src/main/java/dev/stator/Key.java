package dev.stator;

import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A typed name for a mutation argument. Keys are compared by identity: declare each one once,
 * as a constant.
 *
 * {@snippet :
 * static final Key<String> ADDRESS = Key.of("address", String.class);
 * machine.add(Conn.Connecting, Args.of(ADDRESS, "localhost:8080"));
 * // in a handler:
 * String address = event.arg(ADDRESS);
 * }
 *
 * <p>A key may carry a {@link Codec} that turns values to and from text, so that arguments can
 * be logged and cross process boundaries. Java serialization is never used.
 *
 * @param <T> the type of the value
 */
public final class Key<T> {
  /** The error carried by an error mutation; see {@link Event#error()}. */
  public static final Key<Throwable> ERROR = of("error", Throwable.class);

  private final String name;
  private final Class<T> type;
  private final @Nullable Codec<T> codec;

  private Key(String name, Class<T> type, @Nullable Codec<T> codec) {
    this.name = name;
    this.type = type;
    this.codec = codec;
  }

  /** A key without a codec. */
  public static <T> Key<T> of(String name, Class<T> type) {
    return new Key<>(checkName(name), Objects.requireNonNull(type, "type"), null);
  }

  /** A key whose values can be written to and read from text. */
  public static <T> Key<T> of(String name, Class<T> type, Codec<T> codec) {
    return new Key<>(checkName(name), Objects.requireNonNull(type, "type"),
        Objects.requireNonNull(codec, "codec"));
  }

  /** The key's name. */
  public String name() {
    return name;
  }

  /** The type of the key's values. */
  public Class<T> type() {
    return type;
  }

  /** The codec, if the key has one. */
  public @Nullable Codec<T> codec() {
    return codec;
  }

  T cast(Object value) {
    return type.cast(value);
  }

  @Override
  public String toString() {
    return name;
  }

  private static String checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) throw new IllegalArgumentException("key name must not be blank");
    return name;
  }

  /**
   * Converts values of a key to and from text (for logs, the wire and persistence).
   *
   * @param <T> the type of the value
   */
  public interface Codec<T> {
    /** Text for a value; must not throw for any value of the type. */
    String encode(T value);

    /**
     * The value for a text produced by {@link #encode}.
     *
     * @throws IllegalArgumentException if the text is not a valid encoding
     */
    T decode(String text);

    /** A codec from two functions. */
    static <T> Codec<T> of(Function<? super T, String> encode, Function<String, ? extends T> decode) {
      Objects.requireNonNull(encode, "encode");
      Objects.requireNonNull(decode, "decode");
      return new Codec<>() {
        @Override
        public String encode(T value) {
          return encode.apply(value);
        }

        @Override
        public T decode(String text) {
          return decode.apply(text);
        }
      };
    }
  }
}
