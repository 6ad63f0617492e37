package dev.stator;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/** {@link Wait#all} and {@link Wait#any}: one wait over several, with one timeout. */
final class Waits extends WaitBase {
  private final List<Wait> parts;

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
    return ((WaitBase) w).done;
  }

  private void cancelParts() {
    for (Wait w : parts) w.cancel();
  }

  @Override
  public boolean cancel() {
    boolean now = done.completeExceptionally(new CancellationException("wait cancelled"));
    cancelParts();
    return now;
  }

}
