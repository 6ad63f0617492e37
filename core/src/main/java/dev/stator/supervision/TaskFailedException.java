package dev.stator.supervision;

/**
 * Thrown by {@link Task#join} and {@link Task#cancelAndWait} when the task failed; the cause is
 * exactly what the task's body threw.
 */
public final class TaskFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String taskName;

  TaskFailedException(String message, String taskName, Throwable cause) {
    super(message, cause);
    this.taskName = taskName;
  }

  /** The name of the task that failed. */
  public String taskName() {
    return taskName;
  }
}
