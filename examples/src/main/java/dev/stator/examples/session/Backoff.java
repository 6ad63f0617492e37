package dev.stator.examples.session;

import java.time.Duration;
import java.util.Objects;

/**
 * Exponential backoff between reconnect attempts: {@code first}, then twice the previous
 * delay, never more than {@code max}; after {@code maxAttempts} consecutive failed attempts the
 * client gives up (0: never).
 *
 * @param first the delay before the first reconnect attempt
 * @param max the longest delay
 * @param maxAttempts consecutive failures after which the client disconnects; 0 for no limit
 */
public record Backoff(Duration first, Duration max, int maxAttempts) {
  /** 100 ms, doubling up to 5 s, forever. */
  public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), 0);

  /** No delay at all (tests). */
  public static final Backoff NONE = new Backoff(Duration.ZERO, Duration.ZERO, 0);

  /** Validates the arguments. */
  public Backoff {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(max, "max");
    if (first.isNegative()) throw new IllegalArgumentException("first backoff must not be negative: " + first);
    if (max.compareTo(first) < 0) {
      throw new IllegalArgumentException("max backoff " + max + " is shorter than the first " + first);
    }
    if (maxAttempts < 0) throw new IllegalArgumentException("max attempts must not be negative: " + maxAttempts);
  }

  /** The delay before attempt {@code attempt} (1 for the first reconnect attempt). */
  public Duration delay(int attempt) {
    if (attempt < 1) throw new IllegalArgumentException("attempt must be positive: " + attempt);
    Duration d = first;
    for (int i = 1; i < attempt && d.compareTo(max) < 0; i++) d = d.multipliedBy(2);
    return d.compareTo(max) > 0 ? max : d;
  }

  /** Whether the client gives up after {@code failures} consecutive failures. */
  public boolean exhausted(int failures) {
    return maxAttempts > 0 && failures > maxAttempts;
  }
}
