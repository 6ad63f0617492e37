package dev.stator.supervision;

/**
 * Receives the failure of a supervised task that nobody else received, in place of the
 * supervisor's default log record (see {@link Supervisor.Builder#onFailure}).
 *
 * <h2>Contract for implementers</h2>
 * <ul>
 *   <li>Called at most once per task, and only for a task whose status is
 *       {@link Task.Status#FAILED}; never for a cancelled task.
 *   <li>Called on the task's own thread before {@link Task#join} returns to anyone, except when
 *       a join that was waiting for the task gave up (timed out or was interrupted) at the moment
 *       the task failed: then it is called on that joiner's thread, after the task ended.
 *   <li>The interrupt status of the calling thread is clear.
 *   <li>Should be fast and must not block for long: the task is not counted as ended (and
 *       {@link Supervisor#cancelAll} keeps waiting for it) until the handler returns.
 *   <li>If it throws, the supervisor logs what it threw and then the original failure, both at
 *       {@code ERROR}; nothing else is affected.
 * </ul>
 */
@FunctionalInterface
public interface FailureHandler {
  /**
   * Handles the failure of {@code task}.
   *
   * @param task the task that failed (its {@link Task#status()} is {@code FAILED})
   * @param failure what the task's body threw
   */
  void onFailure(Task<?> task, Throwable failure);
}
