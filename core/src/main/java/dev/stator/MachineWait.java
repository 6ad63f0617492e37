package dev.stator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * One wait on one machine: either a condition on the active set and clocks, registered with
 * the machine and tested after transitions, or a view of an outside future (a ticket, close).
 *
 * <p>Conditions on one state are decided by its clock as well as its active bit: a state that
 * was activated after the wait was registered satisfies {@code when} even if it was deactivated
 * again before the check, so a notification is never lost to a race with registration.
 */
final class MachineWait extends WaitBase {
  static final int WHEN = 0;
  static final int WHEN_NOT = 1;
  static final int TICKS = 2; // base holds target clocks
  static final int ERROR = 3;
  static final int EXTERNAL = 4;
  static final int IDLE = 5; // machine idle: nothing queued, no transition (Machine.whenIdle)
  static final int ARGS = 6; // fired by a transition that enters mask with args (whenArgs)
  /** Runs dependents of {@link #future()} off the machine's thread. */
  static final Executor ASYNC = r -> Thread.ofVirtual().name("stator-wait").start(r);

  private final @Nullable MachineImpl<?> machine;
  final int kind;
  final long mask;
  final long[] base;
  /** Its index in the machine's WaitRegistry, or -1; guarded by the registry's lock. */
  int slot = -1;
  /** What an EXTERNAL wait waits for (timeout messages); null for conditions. */
  private final @Nullable String what;
  /** What an ARGS wait's mutation must carry; NONE for other kinds. */
  final Args expected;
  /** Run once when the wait is cancelled (an outside wait's source); may be null. */
  private volatile @Nullable Runnable onCancel;

  MachineWait(@Nullable MachineImpl<?> machine, int kind, long mask, long[] base) {
    this(machine, kind, mask, base, null, Args.NONE);
  }

  private MachineWait(@Nullable MachineImpl<?> machine, int kind, long mask, long[] base,
      @Nullable String what, Args expected) {
    this.machine = machine;
    this.kind = kind;
    this.mask = mask;
    this.base = base;
    this.what = what;
    this.expected = expected;
  }

  /** A whenArgs wait: completed by {@link WaitRegistry#entered}, never by {@link #test}. */
  static MachineWait args(MachineImpl<?> machine, int state, Args expected) {
    return new MachineWait(machine, ARGS, 1L << state, new long[0], null, expected);
  }

  /** Whether a transition that entered {@code entering} with {@code args} completes it. */
  boolean matches(long entering, Args args) {
    return kind == ARGS && (entering & mask) != 0 && args.includes(expected);
  }

  /** Runs {@code r} if this wait is cancelled (to cancel the source of an outside wait). */
  MachineWait onCancel(Runnable r) {
    onCancel = r;
    if (done.isCancelled()) r.run(); // cancelled before the hook was set
    return this;
  }

  /** A wait completed by an outside future (for example a ticket's). */
  static MachineWait of(CompletableFuture<?> source) {
    return of(source, null, "a queued mutation or close (whenQueue/whenClosed)");
  }

  /**
   * A wait completed by an outside future, described as {@code what} of {@code machine} in its
   * timeout message (for example {@code whenQueue(add [Ready])}).
   */
  static MachineWait of(CompletableFuture<?> source, @Nullable MachineImpl<?> machine,
      String what) {
    MachineWait w = new MachineWait(machine, EXTERNAL, 0, new long[0], what, Args.NONE);
    source.whenComplete((v, t) -> {
      if (t == null) {
        w.done.complete(null);
      } else {
        w.done.completeExceptionally(t instanceof java.util.concurrent.CompletionException c
            && c.getCause() != null ? c.getCause() : t);
      }
    });
    return w;
  }

  @Override
  Time time() {
    MachineImpl<?> m = machine;
    return m == null ? Time.system() : m.config.time;
  }

  /** Whether the condition holds for this active set and these clocks. */
  boolean test(long active, long[] ticks) {
    switch (kind) {
      case WHEN -> {
        if ((active & mask) == mask) return true;
        if (Long.bitCount(mask) == 1) {
          int i = Long.numberOfTrailingZeros(mask);
          return ticks[i] > base[i];
        }
        return false;
      }
      case WHEN_NOT -> {
        if ((active & mask) == 0) return true;
        if (Long.bitCount(mask) == 1) {
          int i = Long.numberOfTrailingZeros(mask);
          return ticks[i] > base[i];
        }
        return false;
      }
      case TICKS -> {
        for (long m = mask; m != 0; m &= m - 1) {
          int i = Long.numberOfTrailingZeros(m);
          if (ticks[i] < base[i]) return false;
        }
        return true;
      }
      case ERROR -> {
        int i = Long.numberOfTrailingZeros(mask);
        return (active & mask) != 0 || ticks[i] > base[i];
      }
      case IDLE -> {
        MachineImpl<?> m = machine;
        return m != null && m.idle();
      }
      case ARGS -> {
        return false; // decided per transition, by matches
      }
      default -> throw new IllegalStateException("wait kind " + kind);
    }
  }

  void complete() {
    done.complete(null);
  }

  void fail(RuntimeException e) {
    done.completeExceptionally(e);
  }

  @Override
  public boolean cancel() {
    boolean now = done.completeExceptionally(new CancellationException("wait cancelled"));
    if (machine != null) machine.unregister(this);
    if (now) cancelled();
    return now;
  }

  private void cancelled() {
    Runnable r = onCancel;
    if (r != null) r.run();
  }

  @Override
  String describe() {
    String condition = switch (kind) {
      case WHEN -> "when " + names(mask);
      case WHEN_NOT -> "whenNot " + names(mask);
      case TICKS -> "whenTicks/whenTime: clocks " + clocks();
      case ERROR -> "whenError";
      case EXTERNAL -> String.valueOf(what);
      case IDLE -> "whenIdle";
      case ARGS -> "whenArgs " + names(mask) + " with " + expected;
      default -> throw new IllegalStateException("wait kind " + kind);
    };
    return machine == null ? condition : "machine " + machine.id() + ": " + condition;
  }

  @Override
  String timeoutMessage(Duration timeout) {
    if (machine == null || kind == EXTERNAL) {
      return describe() + " did not complete within " + timeout;
    }
    if (kind == IDLE) {
      return describe() + " did not hold within " + timeout + "; " + machine.business();
    }
    return describe() + " did not hold within " + timeout + "; active "
        + names(machine.snapshot().active());
  }

  private List<String> names(long m) {
    MachineImpl<?> mi = machine;
    if (mi == null) return List.of();
    return mi.schema.namesOf(m);
  }

  /** The clocks a TICKS wait still waits for, with their values now. */
  private String clocks() {
    MachineImpl<?> mi = machine;
    if (mi == null) return "[]";
    long[] now = mi.snapshot().ticks();
    List<String> unmet = new ArrayList<>();
    List<String> every = new ArrayList<>();
    for (long m = mask; m != 0; m &= m - 1) {
      int i = Long.numberOfTrailingZeros(m);
      String c = mi.schema.names[i] + " >= " + base[i] + " (now " + now[i] + ")";
      every.add(c);
      if (now[i] < base[i]) unmet.add(c);
    }
    return (unmet.isEmpty() ? every : unmet).toString();
  }

  /** Cancels with a reason (a scope that ended). */
  boolean cancel(String reason) {
    boolean now = done.completeExceptionally(new CancellationException(reason));
    if (machine != null) machine.unregister(this);
    if (now) cancelled();
    return now;
  }

}
