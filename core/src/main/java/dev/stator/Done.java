package dev.stator;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** The final result of a mutation that ran on the calling thread, with a reason or failures. */
record Done(Status status, @Nullable String reason, List<Throwable> failures) implements Result {
  @Override
  public Status await(Duration timeout) {
    return status;
  }

  @Override
  public CompletableFuture<Status> future() {
    return CompletableFuture.completedFuture(status);
  }

  @Override
  public boolean executed() {
    return status == Status.EXECUTED;
  }

  @Override
  public boolean canceled() {
    return status == Status.CANCELED;
  }

  @Override
  public boolean queued() {
    return false;
  }

  @Override
  public String toString() {
    return status + (reason != null ? " (" + reason + ")" : "")
        + (failures.isEmpty() ? "" : " with " + failures.size() + " failure(s): " + failures);
  }
}
