package dev.stator.supervision;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One task of a {@link Supervisor}: a named body running on its own thread.
 *
 * <h2>Status and end</h2>
 * A task is {@link Status#RUNNING} from the moment it is forked until its body has ended; then
 * its status becomes {@code SUCCEEDED}, {@code FAILED} or {@code CANCELLED} at once, and stays
 * so (see {@link Status} for which is which). Its failure, if any, is reported after that, so a
 * {@link FailureHandler} already sees {@code FAILED}. The task <em>counts as ended</em> once that
 * report is done and its supervisor no longer lists it: only then do {@link #join} and
 * {@link #cancelAndWait} return, {@link Supervisor#running()} stop counting it and
 * {@link #future()} complete. So {@link #isDone()} may be {@code true} for a moment while a
 * {@code join} still waits for the report.
 *
 * <h2>Failures and joins</h2>
 * A failure is given to exactly one of: the callers waiting in {@link #join} or
 * {@link #cancelAndWait} when the task ended (each receives it), or else the supervisor's report
 * (log or failure handler), once. A join after the report throws it again but logs nothing.
 *
 * <h2>Thread safety</h2>
 * Every method may be called from any thread. {@link #join} from the task's own thread is an
 * error (it would wait for itself); {@link #cancelAndWait} from the task's own thread cancels it
 * without waiting. Memory effects: the body happens-before {@code join} or
 * {@code cancelAndWait} returns or throws, and before {@link #status()} reads an end status.
 *
 * @param <T> the type of the task's result
 */
public sealed interface Task<T extends @Nullable Object> permits TaskImpl {

  /** The status of a task. */
  enum Status {
    /** Forked, and its body has not ended yet. */
    RUNNING,
    /** Its body returned and no cancellation had been requested. */
    SUCCEEDED,
    /**
     * Its body threw, and what it threw was not the cancellation: either no cancellation had
     * been requested, or it is an error raised while unwinding (for example from a
     * {@code finally} block, or a failing {@code close()} suppressed anywhere in what it threw:
     * in the {@code InterruptedException} itself, or in one it wrapped as the cause of another
     * exception).
     */
    FAILED,
    /**
     * Cancellation was requested while it ran, and its body then returned, or threw the
     * cancellation itself: an {@code InterruptedException}, {@code InterruptedIOException},
     * {@code ClosedByInterruptException} or {@code CancellationException} (or a throwable
     * caused by one), or a {@code SocketException} while its interrupt status was still set.
     * A task cancelled before its body began never runs its body.
     */
    CANCELLED
  }

  /** The task's name. */
  String name();

  /** The supervisor that started it. */
  Supervisor supervisor();

  /** The task's status now. */
  Status status();

  /**
   * Whether the task's status is final ({@link #status()} is not {@code RUNNING}). Its failure
   * may still be being reported; {@link #join} waits for that (see "Status and end").
   */
  boolean isDone();

  /** Whether cancellation of this task has been requested. */
  boolean isCancellationRequested();

  /**
   * Waits until the task ends and returns its result.
   *
   * @throws TaskFailedException if it failed; the cause is what its body threw
   * @throws CancellationException if it was cancelled
   * @throws InterruptedException if the caller is interrupted while waiting (a caller whose
   *     interrupt status is set when the task has already ended gets the outcome, and keeps its
   *     status)
   * @throws IllegalStateException if called from the task's own thread before it ended
   */
  T join() throws InterruptedException;

  /**
   * Waits up to {@code timeout} for the task to end and returns its result; otherwise as
   * {@link #join()}.
   *
   * @throws TimeoutException if it is still running after {@code timeout}; the message names
   *     the task
   */
  T join(Duration timeout) throws InterruptedException, TimeoutException;

  /**
   * The failure of a task whose status is {@code FAILED}, otherwise {@code null}. Reading it
   * does not count as receiving it: it never prevents or replaces the report.
   */
  @Nullable Throwable failure();

  /**
   * A future completed when the task ends: with its result, exceptionally with its failure, or
   * cancelled. Each call returns a new dependent future; completing or cancelling it has no
   * effect on the task (use {@link #cancel()}), and a failure obtained through it does not
   * prevent the report. It completes only after the task counts as ended (status final, failure
   * reported, no longer listed by its supervisor), so actions that depend on it may
   * {@link #join} the task, or wait for others that join it. Those actions may run on the task's
   * thread; one that blocks delays the supervisor's termination callbacks (an
   * {@link ActorRegistry}'s cleanup), not the task's end. A future obtained once the task has
   * ended (for example after {@code join} returned) is already complete.
   */
  CompletableFuture<T> future();

  /**
   * Requests cancellation: marks the task and interrupts its thread, then returns without
   * waiting. Called from the task's own thread, it sets that thread's interrupt status.
   *
   * @return whether the task was running (a request for an ended task does nothing)
   */
  boolean cancel();

  /**
   * Cancels the task and waits up to {@code bound} for it to end.
   *
   * <ul>
   *   <li>Already failed: the failure counts as received (a report still pending is dropped);
   *       it is not thrown. Returns {@code true}.
   *   <li>Already ended otherwise: does nothing; returns {@code true}. The caller's interrupt
   *       status is left as it is.
   *   <li>Running: interrupted, then awaited. Ending as {@code CANCELLED} (or returning)
   *       returns {@code true}; an error thrown while unwinding is thrown here as a
   *       {@link TaskFailedException} and is not reported otherwise.
   *   <li>Ignores interruption: after {@code bound} it is logged at {@code WARNING} as
   *       {@code Task 'NAME' of supervisor 'SUPERVISOR' ignored cancellation: still running after
   *       BOUND}, and this returns {@code false}. The task stays cancelled and supervised;
   *       whatever it does when it finally ends is reported as usual.
   *   <li>Called from the task's own thread: sets its interrupt status and returns
   *       {@code false} at once (a task cannot wait for itself); from its failure handler, where
   *       the body has already ended, it returns {@code true}.
   * </ul>
   *
   * @return whether the task has ended
   * @throws TaskFailedException if the task failed while this call waited for it
   * @throws InterruptedException if the caller is interrupted while waiting (including when its
   *     interrupt status is already set and the task is still running); the task has been
   *     asked to cancel, and its outcome will be reported as if nobody had waited
   */
  boolean cancelAndWait(Duration bound) throws InterruptedException;
}
