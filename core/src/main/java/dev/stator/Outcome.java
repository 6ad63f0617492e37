package dev.stator;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

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
