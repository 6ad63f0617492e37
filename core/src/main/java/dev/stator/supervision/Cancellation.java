package dev.stator.supervision;

import java.io.InterruptedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.jspecify.annotations.Nullable;

/** Classifies how a body ended once cancellation was requested, and small shared helpers. */
final class Cancellation {
  private Cancellation() {}

  /**
   * Whether {@code t}, thrown by a body whose cancellation had been requested, is the
   * cancellation itself rather than an error raised while unwinding.
   *
   * <p>It is if its cause chain holds an {@link InterruptedException}, an
   * {@link InterruptedIOException} other than a {@link SocketTimeoutException}, a
   * {@link ClosedByInterruptException} or a {@link CancellationException}, or if it is a
   * {@link SocketException} while the thread's interrupt status is still set (what a virtual
   * thread's interrupted {@code Socket.connect} throws) — and every exception suppressed
   * anywhere in it is a cancellation too: in {@code t} itself, in any throwable of its cause
   * chain, and (recursively) in the chains of those suppressed ones. So an
   * {@code InterruptedException} that carries a suppressed {@code IOException} from a failing
   * {@code close()} is an error, also when it is wrapped ({@code throw new
   * IllegalStateException(e)}): nothing is swallowed. Cycles among causes and suppressed lists
   * are walked once.
   *
   * @param interruptedAtEnd whether the thread's interrupt status was set when the body ended
   */
  static boolean isCancellation(Throwable t, boolean interruptedAtEnd) {
    return isCancellation(t, interruptedAtEnd, Collections.newSetFromMap(new IdentityHashMap<>()));
  }

  /**
   * {@code seen} holds every throwable already classified (or being classified) as the head of
   * a chain: meeting one again adds nothing new, so it does not decide anything.
   */
  private static boolean isCancellation(Throwable t, boolean interruptedAtEnd, Set<Throwable> seen) {
    if (!seen.add(t)) return true; // a cycle adds nothing new
    boolean shaped = false;
    List<Throwable> chain = new ArrayList<>();
    Set<Throwable> inChain = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable c = t; c != null && inChain.add(c); c = c.getCause()) {
      chain.add(c);
      if (c instanceof InterruptedException
          || c instanceof ClosedByInterruptException
          || c instanceof CancellationException
          || (c instanceof InterruptedIOException && !(c instanceof SocketTimeoutException))
          || (c instanceof SocketException && interruptedAtEnd)) {
        shaped = true;
      }
    }
    if (!shaped) return false;
    // An error suppressed at any level of the chain (typically in a wrapped
    // InterruptedException, by try-with-resources) is not part of the cancellation.
    for (Throwable c : chain) {
      for (Throwable s : c.getSuppressed()) {
        if (!isCancellation(s, interruptedAtEnd, seen)) return false;
      }
    }
    return true;
  }

  /** {@code bound} in nanoseconds, checked to be non-negative, saturated. */
  static long nanos(Duration bound, String what) {
    if (bound.isNegative()) throw new IllegalArgumentException(what + " must not be negative: " + bound);
    try {
      return bound.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** Nanoseconds left until {@code deadline} (a {@link System#nanoTime()} value), at least 0. */
  static long remaining(long deadline) {
    return Math.max(0L, deadline - System.nanoTime());
  }

  /**
   * A deadline {@code nanos} from now. Overflow is harmless: {@link #remaining} compares by
   * difference, which is exact for any {@code nanos} up to {@code Long.MAX_VALUE}.
   */
  static long deadline(long nanos) {
    return System.nanoTime() + nanos;
  }

  /** Logs without ever throwing: a broken logger must not break a task's end. */
  static void log(System.Logger logger, System.Logger.Level level, String message,
      @Nullable Throwable thrown) {
    try {
      if (thrown == null) logger.log(level, message);
      else logger.log(level, message, thrown);
    } catch (RuntimeException | Error e) {
      // The logger itself failed; fall back to stderr, which is all that is left.
      System.err.println("[stator] logger " + logger.getName() + " threw " + e + " while logging: "
          + message + (thrown == null ? "" : " " + thrown));
    }
  }
}
