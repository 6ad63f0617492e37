package dev.stator;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * What happened to a mutation: {@link Status#EXECUTED}, {@link Status#CANCELED}, or
 * {@link Status#QUEUED} with a ticket whose final outcome can be awaited.
 *
 * <p>A mutation that ran on the calling thread returns one of the shared constants
 * {@link #EXECUTED} or {@link #CANCELED}; one that was queued returns a ticket whose
 * {@link #status()} is {@code QUEUED} until the machine processes it. A mutation is never
 * reported as executed unless it ran and was accepted.
 *
 * {@snippet :
 * Result r = machine.add(Conn.Connecting);
 * if (r.status() == Status.QUEUED) {
 *   r.await(Duration.ofSeconds(1)); // EXECUTED or CANCELED
 * }
 * }
 *
 * <p>Thread safety: results may be read and awaited from any thread. Completion of a ticket
 * happens-after the transition it reports has committed (or was canceled).
 */
public sealed interface Result permits Outcome, Mutation, Done, Delayed {
  /* No default methods here: they would make initializing Outcome initialize this interface,
   * whose constants refer back to Outcome (JLS 12.4.1), and leave them null. */

  /** A mutation that ran and was accepted. */
  Result EXECUTED = Outcome.EXECUTED;

  /** A mutation that ran and was refused by the relations or a negotiation handler. */
  Result CANCELED = Outcome.CANCELED;

  /** The status now; {@code QUEUED} until a queued mutation has been processed. */
  Status status();

  /**
   * Why a {@code CANCELED} mutation was refused, for example {@code "Locked requires Closed"},
   * {@code "handler lockedEnter refused"} or {@code "handler lockedEnter threw
   * java.lang.IllegalStateException: jammed"}; null unless the status is {@code CANCELED} (a refusal whose
   * reason is not recorded, such as a shared {@link #CANCELED} constant, is also null).
   */
  @Nullable String reason();

  /**
   * What failed after an {@code EXECUTED} mutation committed: exceptions thrown by its final
   * handlers ({@code xEnd}, {@code xState}, {@code anyState}) and failures of the scopes it ended
   * (a resource whose {@code close()} threw, tasks that outlived the close bound). These never
   * roll the transition back; each also adds {@code Exception}. Empty unless the status is
   * {@code EXECUTED}.
   */
  java.util.List<Throwable> failures();

  /** Whether the status is now {@link Status#EXECUTED}. */
  boolean executed();

  /** Whether the status is now {@link Status#CANCELED}. */
  boolean canceled();

  /** Whether the status is now {@link Status#QUEUED}. */
  boolean queued();

  /**
   * Waits for the final outcome. Suitable for virtual threads. Must not be called from a
   * handler of the same machine for a mutation queued behind the running transition (it would
   * wait for itself).
   *
   * @return {@code EXECUTED} or {@code CANCELED}
   * @throws TimeoutException if it is still queued after {@code timeout}
   * @throws MachineClosedException if the machine closed before processing it
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  Status await(Duration timeout) throws InterruptedException, TimeoutException;

  /**
   * The final outcome as a future; completed exceptionally with {@link MachineClosedException}
   * if the machine closed first. Cancelling the returned future does not cancel the mutation.
   * Dependents of a queued mutation's future run on a separate virtual thread, never on the
   * thread that drains the machine, so a callback may block on or mutate the same machine.
   */
  CompletableFuture<Status> future();

  /** Unwraps the cause of an exceptional future completion. */
  static RuntimeException rethrow(ExecutionException e) {
    Throwable c = e.getCause();
    if (c instanceof RuntimeException r) return r;
    if (c instanceof Error err) throw err;
    return new IllegalStateException(c);
  }
}
