package dev.stator;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/** {@link Wait#all} and {@link Wait#any}: one wait over several, with one timeout. */
final class Waits extends WaitBase {
  /* Design.
   *
   * Each part's future reports to partDone() on the thread that completed the part (often the
   * draining thread: no user code runs here). The combination is decided by the first of:
   *   all: a part fails or is cancelled (that failure), or the last part completes (normally);
   *   any: a part completes (normally), or the last part fails (the first failure seen).
   * `undecided` counts the parts that have not yet reported the outcome that counts towards the
   * decision (all: normal completions; any: failures). Whoever completes `done` first (a part's
   * report, or cancel()) cancels the parts: nothing stays registered once the combination is
   * decided. A part's report after the decision returns at once, so cancelling the parts (which
   * makes them report) does not recurse. */

  private final boolean all;
  private final List<Wait> parts;
  private final AtomicInteger undecided;
  private final AtomicReference<@Nullable Throwable> firstFailure = new AtomicReference<>();

  private Waits(boolean all, List<Wait> parts) {
    this.all = all;
    this.parts = parts;
    this.undecided = new AtomicInteger(parts.size());
  }

  static Waits of(boolean all, List<Wait> parts) {
    for (Wait w : parts) Objects.requireNonNull(w, "wait");
    if (parts.isEmpty()) throw new IllegalArgumentException("no waits to combine");
    Waits out = new Waits(all, List.copyOf(parts));
    for (Wait w : out.parts) raw(w).whenComplete((v, t) -> out.partDone(t));
    return out;
  }

  private static java.util.concurrent.CompletableFuture<Void> raw(Wait w) {
    return ((WaitBase) w).done;
  }

  /** One part's outcome: null if it completed normally. */
  private void partDone(@Nullable Throwable t) {
    if (done.isDone()) return; // decided already
    boolean decided;
    if (t == null) {
      decided = (!all || undecided.decrementAndGet() == 0) && done.complete(null);
    } else {
      Throwable cause = unwrap(t);
      if (all) {
        decided = done.completeExceptionally(cause);
      } else {
        firstFailure.compareAndSet(null, cause);
        decided = undecided.decrementAndGet() == 0
            && done.completeExceptionally(Objects.requireNonNull(firstFailure.get()));
      }
    }
    if (decided) cancelParts();
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : t;
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

  /** The time of the first part (parts of machines with different times: the first decides). */
  @Override
  Time time() {
    return ((WaitBase) parts.get(0)).time();
  }

  @Override
  String describe() {
    List<String> each = new ArrayList<>(parts.size());
    for (Wait w : parts) {
      WaitBase p = (WaitBase) w;
      String state = !p.done.isDone() ? "pending"
          : p.done.isCompletedExceptionally() ? "failed" : "complete";
      each.add(p.describe() + " (" + state + ")");
    }
    return (all ? "Wait.all" : "Wait.any") + " of [" + String.join("; ", each) + "]";
  }

  @Override
  String timeoutMessage(java.time.Duration timeout) {
    return describe() + " did not complete within " + timeout;
  }
}
