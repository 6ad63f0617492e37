package dev.stator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/** The implementation of {@link Delayed}. */
final class DelayedMutation implements Delayed {
  /* Design.
   *
   * States (`state`, moved by CAS once): SCHEDULED -> FIRED (the timer task won: it queues the
   * mutation) or SCHEDULED -> ENDED (cancel(): the caller, the scope's end, or the machine's
   * close won; the timer is cancelled and the mutation never queued). Exactly one of fire() and
   * cancel() wins, so a delayed mutation is queued at most once and a cancelled one never.
   * `reason` is written before the CAS to ENDED; `ticket` before `done` completes.
   *
   * Who runs what: fire() runs on the time's thread (stator-time, or the thread that advances a
   * fake time). It never runs the transition there: it submits like a scope task (MachineImpl
   * .submitLater), so the mutation is queued and drained by the machine's ordinary drainer (a new
   * drain thread if the machine is idle, the owner thread if confined). `done` completes on the
   * thread that completes the ticket (often the drainer): its synchronous dependents are the
   * library's own (TimedWait's wake-up); user dependents go through future(), which hops to
   * MachineWait.ASYNC. A ticket failed by close becomes CANCELED (spec TM6).
   *
   * Registration: the machine keeps the scheduled ones (so close cancels them and a closed
   * machine's timers keep nothing, X5) and so does the scope that made one (so its end cancels
   * it, TM5); both forget it as soon as it fires or ends. */

  private static final int SCHEDULED = 0;
  private static final int FIRED = 1;
  private static final int ENDED = 2;
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(DelayedMutation.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final MachineImpl<?> machine;
  private final Duration delay;
  final MutationKind kind;
  final long called;
  private final byte @Nullable [] order;
  private final Args args;
  final @Nullable Scope<?> scope;
  private volatile int state;
  private volatile Time.@Nullable Cancellable timer;
  private volatile @Nullable String reason;
  private volatile @Nullable Result ticket;
  private final CompletableFuture<Status> done = new CompletableFuture<>();

  DelayedMutation(MachineImpl<?> machine, Duration delay, MutationKind kind, long called,
      byte @Nullable [] order, Args args, @Nullable Scope<?> scope) {
    this.machine = machine;
    this.delay = delay;
    this.kind = kind;
    this.called = called;
    this.order = order;
    this.args = args;
    this.scope = scope;
  }

  /** Starts the timer; after the registrations. */
  void start() {
    Time.Cancellable t = machine.config.time.schedule(delay, this::fire);
    timer = t;
    if (state == ENDED) t.cancel(); // cancelled while we scheduled
  }

  /** The delay passed: queue the mutation (time's thread). */
  private void fire() {
    if (!STATE.compareAndSet(this, SCHEDULED, FIRED)) return;
    forget();
    Result r;
    try {
      r = machine.submitLater(kind, called, order, args, scope);
    } catch (MachineClosedException e) {
      reason = "machine " + machine.id() + " closed before the mutation ran";
      done.complete(Status.CANCELED);
      return;
    } catch (RuntimeException e) { // queue full: the outcome is that failure
      ticket = null;
      done.completeExceptionally(e);
      return;
    }
    ticket = r;
    if (r instanceof Mutation m) {
      m.raw().whenComplete((s, t) -> {
        if (t == null) {
          done.complete(s);
        } else if (unwrap(t) instanceof MachineClosedException) {
          reason = "machine " + machine.id() + " closed before the mutation ran";
          done.complete(Status.CANCELED);
        } else {
          done.completeExceptionally(unwrap(t));
        }
      });
    } else {
      done.complete(r.status());
    }
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException c && c.getCause() != null ? c.getCause() : t;
  }

  @Override
  public boolean cancel() {
    return cancel("cancelled");
  }

  /** Cancels with a reason if still scheduled (caller, scope end, close). */
  boolean cancel(String why) {
    if (state != SCHEDULED) return false;
    reason = why;
    if (!STATE.compareAndSet(this, SCHEDULED, ENDED)) return false;
    Time.Cancellable t = timer;
    if (t != null) t.cancel();
    forget();
    done.complete(Status.CANCELED);
    return true;
  }

  private void forget() {
    machine.delayedEnded(this);
    Scope<?> s = scope;
    if (s != null) s.delayedEnded(this);
  }

  @Override
  public boolean isScheduled() {
    return state == SCHEDULED;
  }

  @Override
  public Status status() {
    if (!done.isDone() || done.isCompletedExceptionally()) return Status.QUEUED;
    return done.join();
  }

  @Override
  public @Nullable String reason() {
    if (status() != Status.CANCELED) return null;
    String r = reason;
    if (r != null) return r;
    Result t = ticket;
    return t == null ? null : t.reason();
  }

  @Override
  public List<Throwable> failures() {
    Result t = ticket;
    return t == null || status() != Status.EXECUTED ? List.of() : t.failures();
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

  /**
   * Waits for the outcome, the timeout measured on the machine's time.
   *
   * @throws QueueFullException if the machine's queue was full when the delay passed
   */
  @Override
  public Status await(Duration timeout) throws InterruptedException, TimeoutException {
    Wait.checkTimeout(timeout);
    if (!TimedWait.await(machine.config.time, done, Scope.saturatedNanos(timeout))) {
      throw new TimeoutException(this + " not done within " + timeout);
    }
    try {
      return done.get();
    } catch (ExecutionException e) {
      throw Result.rethrow(e);
    }
  }

  @Override
  public CompletableFuture<Status> future() {
    CompletableFuture<Status> out = new CompletableFuture<>();
    done.whenCompleteAsync((v, t) -> {
      if (t == null) {
        out.complete(v);
      } else {
        out.completeExceptionally(unwrap(t));
      }
    }, MachineWait.ASYNC);
    return out;
  }

  @Override
  public String toString() {
    String what = kind.label() + machine.schema.namesOf(called) + " after " + delay;
    String now = switch (state) {
      case SCHEDULED -> "scheduled";
      case FIRED -> done.isDone() ? String.valueOf(status()) : "queued";
      case ENDED -> "CANCELED (" + reason + ")";
      default -> throw new IllegalStateException("delayed state " + state);
    };
    return "Delayed[" + machine.id() + " " + what + ", " + now + "]";
  }
}
