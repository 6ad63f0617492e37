package dev.stator;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Immutable typed arguments of a mutation, read by handlers with {@link Event#arg(Key)}.
 * {@link #NONE} is shared; a mutation without arguments allocates nothing.
 *
 * <p>Thread safety: immutable. Values themselves are not copied.
 */
public final class Args {
  /** No arguments. */
  public static final Args NONE = new Args(new Object[0]);

  private final Object[] pairs; // key, value, key, value, ...

  private Args(Object[] pairs) {
    this.pairs = pairs;
  }

  /** One argument. */
  public static <T> Args of(Key<T> key, T value) {
    return NONE.with(key, value);
  }

  /** Two arguments. */
  public static <A, B> Args of(Key<A> k1, A v1, Key<B> k2, B v2) {
    return NONE.with(k1, v1).with(k2, v2);
  }

  /**
   * These arguments plus one more; a key already present is replaced.
   *
   * @throws ClassCastException if the value is not of the key's type
   */
  public <T> Args with(Key<T> key, T value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    key.cast(value);
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i] == key) {
        Object[] copy = pairs.clone();
        copy[i + 1] = value;
        return new Args(copy);
      }
    }
    Object[] copy = Arrays.copyOf(pairs, pairs.length + 2);
    copy[pairs.length] = key;
    copy[pairs.length + 1] = value;
    return new Args(copy);
  }

  /** The value of a key, or {@code null} if absent. */
  public <T> @Nullable T get(Key<T> key) {
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i] == key) return key.cast(pairs[i + 1]);
    }
    return null;
  }

  /**
   * Whether this has every argument of {@code other}, each with an equal value
   * ({@link Objects#equals}); arguments beyond {@code other}'s do not matter, so every
   * {@code Args} includes {@link #NONE}.
   */
  public boolean includes(Args other) {
    Objects.requireNonNull(other, "other");
    for (int i = 0; i < other.pairs.length; i += 2) {
      Key<?> key = (Key<?>) other.pairs[i];
      boolean found = false;
      for (int j = 0; j < pairs.length; j += 2) {
        if (pairs[j] == key) {
          found = Objects.equals(pairs[j + 1], other.pairs[i + 1]);
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }

  /** The number of arguments. */
  public int size() {
    return pairs.length / 2;
  }

  /** Calls {@code action} with each key and its value, in the order they were added. */
  public void forEach(java.util.function.BiConsumer<? super Key<?>, ? super Object> action) {
    Objects.requireNonNull(action, "action");
    for (int i = 0; i < pairs.length; i += 2) action.accept((Key<?>) pairs[i], pairs[i + 1]);
  }

  /** Whether there are no arguments. */
  public boolean isEmpty() {
    return pairs.length == 0;
  }

  /**
   * Text for logs: {@code {address=localhost:8080}}; values of keys with a codec are encoded
   * with it, others with {@code toString()}.
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < pairs.length; i += 2) {
      if (i > 0) sb.append(", ");
      Key<?> k = (Key<?>) pairs[i];
      sb.append(k.name()).append('=').append(encode(k, pairs[i + 1]));
    }
    return sb.append('}').toString();
  }

  private static <T> String encode(Key<T> key, Object value) {
    Key.Codec<T> c = key.codec();
    return c == null ? String.valueOf(value) : c.encode(key.cast(value));
  }
}
