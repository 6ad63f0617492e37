package dev.stator;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@link Wait#all} and {@link Wait#any}: one wait over several, with one timeout. */
final class Waits implements Wait {
  private final List<Wait> parts;
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  private Waits(List<Wait> parts) {
    this.parts = parts;
  }

  static Waits of(boolean all, List<Wait> parts) {
    for (Wait w : parts) Objects.requireNonNull(w, "wait");
    if (parts.isEmpty()) throw new IllegalArgumentException("no waits to combine");
    Waits out = new Waits(List.copyOf(parts));
    CompletableFuture<?>[] fs = new CompletableFuture<?>[parts.size()];
    for (int i = 0; i < fs.length; i++) fs[i] = raw(parts.get(i));
    CompletableFuture<?> combined = all ? CompletableFuture.allOf(fs) : CompletableFuture.anyOf(fs);
    combined.whenComplete((v, t) -> {
      if (t == null) {
        out.done.complete(null);
      } else {
        Throwable c = t instanceof java.util.concurrent.CompletionException ce
            && ce.getCause() != null ? ce.getCause() : t;
        out.done.completeExceptionally(c);
      }
      out.cancelParts(); // nothing stays registered once the combination is decided
    });
    return out;
  }

  private static CompletableFuture<Void> raw(Wait w) {
    return switch (w) {
      case MachineWait m -> m.raw();
      case Waits c -> c.done;
    };
  }

  private void cancelParts() {
    for (Wait w : parts) w.cancel();
  }

  @Override
  public void await(Duration timeout) throws InterruptedException, TimeoutException {
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
  public CompletableFuture<Void> future() {
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
  public boolean cancel() {
    boolean now = done.completeExceptionally(new CancellationException("wait cancelled"));
    cancelParts();
    return now;
  }

  @Override
  public boolean isDone() {
    return done.isDone();
  }
}
