package dev.stator;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * A condition on a machine that completes once: states active ({@link Machine#when}), inactive
 * ({@link Machine#whenNot}), clocks reached ({@link Machine#whenTicks},
 * {@link Machine#whenTime}), a queued mutation processed ({@link Machine#whenQueue}), an error
 * ({@link Machine#whenError}), the machine closed ({@link Machine#whenClosed}).
 *
 * {@snippet :
 * machine.add(Conn.Connecting);
 * machine.when(Conn.Ready).await(Duration.ofSeconds(5)); // or .future().thenRun(...)
 * }
 *
 * <p>A wait whose condition already holds is complete at once. A wait that completes, is
 * cancelled, or times out in {@link #await} leaves nothing registered with the machine.
 *
 * <p>Outcomes: normal completion; {@link CancellationException} if cancelled (or if the scope it
 * was bound to ended); {@link MachineClosedException} if the machine closed first.
 *
 * <p>Thread safety: any thread may await, cancel or read a wait. {@link #await} blocks and is
 * meant for virtual threads (or any thread that may block). Dependent actions of
 * {@link #future()} never run on the machine's thread. Memory effects: the transition that
 * satisfied the condition happens-before the return from {@code await} and the completion of
 * the future.
 */
public sealed interface Wait permits WaitBase {

  /**
   * Blocks until the wait completes or {@code timeout} passes. A timeout or an interruption
   * cancels the wait. Any non-negative timeout is accepted; one too long to count in
   * nanoseconds (centuries) waits without a bound.
   *
   * @throws TimeoutException if it did not complete within the timeout; its message names the
   *     machine, the condition and the active states, for example {@code machine Conn#3: when
   *     [Ready] did not hold within PT5S; active [Session, Connecting]}
   * @throws InterruptedException if the calling thread was interrupted
   * @throws CancellationException if the wait was cancelled
   * @throws MachineClosedException if the machine closed before the condition held
   */
  void await(Duration timeout) throws InterruptedException, TimeoutException;

  /**
   * The outcome as a future. Completing or cancelling the returned future does not affect the
   * wait; use {@link #cancel()}.
   */
  CompletableFuture<Void> future();

  /** Cancels the wait and unregisters it; returns false if it was already complete. */
  boolean cancel();

  /** Whether the wait is complete (normally, cancelled, or failed). */
  boolean isDone();

  /**
   * A wait that completes when all of {@code waits} have. The first part that fails or is
   * cancelled fails it at once, with that part's failure. Once it is decided (or cancelled, or its
   * {@code await} timed out) the parts still pending are cancelled, so nothing stays registered.
   */
  static Wait all(Wait... waits) {
    return Waits.of(true, List.of(waits));
  }

  /**
   * A wait that completes when any of {@code waits} has. It fails only when every part has
   * failed or been cancelled, with the first of those failures. Once it is decided (or cancelled,
   * or its {@code await} timed out) the parts still pending are cancelled.
   */
  static Wait any(Wait... waits) {
    return Waits.of(false, List.of(waits));
  }

  /** Checks and returns a timeout argument. */
  static Duration checkTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative: " + timeout);
    }
    return timeout;
  }
}
