package dev.stator;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * What every {@link Wait} shares: one future completed once, a blocking {@code await} that
 * cancels the wait on timeout or interruption, and a {@code future()} view whose dependents run
 * off the machine's thread.
 */
abstract sealed class WaitBase implements Wait permits MachineWait, Waits {
  /* Design.
   *
   * `done` is completed once, by whichever comes first: the machine (the condition held, or
   * close), an outside future, a combinator's decision, or cancel(). Its synchronous dependents
   * are the library's own (a combinator's report, a scope removing a bound wait): short, never
   * user code; user dependents go through future(), which hops to ASYNC.
   * await: the timeout is measured on the machine's Time (TimedWait: a fake time ends it when
   * advanced, never real time); a timeout saturates (any Duration is accepted); the timeout message is computed
   * before cancel(), so it shows what was still pending; if cancel() finds the wait already
   * complete (it completed as the timeout passed), await reports that outcome instead. */

  /** Completed once: normally, or exceptionally (cancelled, machine closed). */
  final CompletableFuture<Void> done = new CompletableFuture<>();

  @Override
  public final void await(Duration timeout) throws InterruptedException, TimeoutException {
    Wait.checkTimeout(timeout);
    try {
      if (!TimedWait.await(time(), done, Scope.saturatedNanos(timeout))) {
        String message = timeoutMessage(timeout); // before cancel(): what was still pending
        if (cancel()) throw new TimeoutException(message);
      }
      outcome(); // completed (perhaps just as the timeout passed): that is the outcome
    } catch (InterruptedException e) {
      cancel();
      throw e;
    }
  }

  /** The time the timeout of {@link #await} is measured on: its machine's (spec TM2). */
  abstract Time time();

  /** Returns if {@code done} completed normally, else throws its failure; done only. */
  private void outcome() {
    try {
      done.join();
    } catch (CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) throw r;
      if (c instanceof Error err) throw err;
      throw new IllegalStateException(c);
    }
  }

  /** What the wait waits for, naming the machine: {@code machine Conn#3: when [Ready]}. */
  abstract String describe();

  /** The message of the {@link TimeoutException} thrown by {@code await(timeout)}. */
  abstract String timeoutMessage(Duration timeout);

  @Override
  public final CompletableFuture<Void> future() {
    CompletableFuture<Void> out = new CompletableFuture<>();
    done.whenCompleteAsync((v, t) -> {
      if (t == null) {
        out.complete(null);
      } else {
        out.completeExceptionally(t);
      }
    }, MachineWait.ASYNC);
    return out;
  }

  @Override
  public final boolean isDone() {
    return done.isDone();
  }

  @Override
  public String toString() {
    String state = !done.isDone() ? "pending"
        : done.isCompletedExceptionally() ? "failed" : "complete";
    return "Wait[" + describe() + ", " + state + "]";
  }
}
