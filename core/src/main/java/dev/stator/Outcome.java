package dev.stator;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** The two shared results of mutations that ran on the calling thread. */
enum Outcome implements Result {
  EXECUTED(Status.EXECUTED),
  CANCELED(Status.CANCELED);

  private final Status status;
  private final CompletableFuture<Status> done;

  Outcome(Status status) {
    this.status = status;
    this.done = CompletableFuture.completedFuture(status);
  }

  static Result of(boolean executed) {
    return executed ? EXECUTED : CANCELED;
  }

  /**
   * The result of a mutation that ran on the calling thread: a shared constant unless it was
   * refused for a reason or something failed after its commit.
   */
  static Result of(boolean executed, String reason, List<Throwable> failures) {
    if (executed) return failures.isEmpty() ? EXECUTED : new Done(Status.EXECUTED, null, failures);
    return reason.isEmpty() ? CANCELED : new Done(Status.CANCELED, reason, List.of());
  }

  @Override
  public Status status() {
    return status;
  }

  @Override
  public Status await(Duration timeout) {
    return status;
  }

  @Override
  public CompletableFuture<Status> future() {
    return done.copy();
  }

  @Override
  public @Nullable String reason() {
    return null;
  }

  @Override
  public List<Throwable> failures() {
    return List.of();
  }

  @Override
  public boolean executed() {
    return status() == Status.EXECUTED;
  }

  @Override
  public boolean canceled() {
    return status() == Status.CANCELED;
  }

  @Override
  public boolean queued() {
    return status() == Status.QUEUED;
  }
}
