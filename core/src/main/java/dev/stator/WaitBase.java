package dev.stator;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What every {@link Wait} shares: one future completed once, a blocking {@code await} that
 * cancels the wait on timeout or interruption, and a {@code future()} view whose dependents run
 * off the machine's thread.
 */
abstract sealed class WaitBase implements Wait permits MachineWait, Waits {
  /** Completed once: normally, or exceptionally (cancelled, machine closed). */
  final CompletableFuture<Void> done = new CompletableFuture<>();

  @Override
  public final void await(Duration timeout) throws InterruptedException, TimeoutException {
    Wait.checkTimeout(timeout);
    try {
      done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | InterruptedException e) {
      cancel();
      throw e;
    } catch (ExecutionException e) {
      throw Result.rethrow(e);
    } catch (CancellationException e) {
      throw e;
    }
  }

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
}
