package dev.stator;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A queued mutation, and the ticket ({@link Result}) its caller holds.
 *
 * <p>Lifecycle: {@code QUEUED -> EXECUTED | CANCELED | FAILED}, written once by whichever
 * thread processes or fails it (a CAS on {@code state}). The future is created lazily by a
 * waiter; both sides complete it, so a waiter that creates it after completion still sees the
 * outcome.
 */
final class Mutation implements Result {
  static final int TOGGLE = 1;
  static final int ERROR = 2;
  static final int FROM_AUTO = 4;

  private static final int QUEUED = 0;
  private static final int EXECUTED = 1;
  private static final int CANCELED = 2;
  private static final int FAILED = 3;
  private static final VarHandle STATE;
  private static final VarHandle FUTURE;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      STATE = l.findVarHandle(Mutation.class, "state", int.class);
      FUTURE = l.findVarHandle(Mutation.class, "future", CompletableFuture.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final MutationKind kind;
  final long called;
  final byte @Nullable [] order;
  final Args args;
  final int flags;
  final @Nullable String source;
  final @Nullable Scope<?> scope; // a scope's mutation: CANCELED if the scope has ended
  /** Next in the machine's queue; written by the queue only. */
  @Nullable Mutation next;

  private volatile int state;
  private volatile @Nullable CompletableFuture<Status> future;
  private @Nullable RuntimeException failure; // written before state becomes FAILED
  private @Nullable String reason; // written before state becomes CANCELED
  private List<Throwable> failures = List.of(); // written before state becomes EXECUTED
  /* The outcome decided at commit, before the scopes it ends are told (0 = not yet): a task that
   * awaits this ticket and is interrupted by its scope's end still learns the outcome. */
  private volatile int decided;
  /** The machine's time if it is not the system's (await measures on it), else null. */
  @Nullable Time time;
  /** The caller's task context captured at submit (MachineImpl.carry), or null. */
  @Nullable Runnable context;

  Mutation(MutationKind kind, long called, byte @Nullable [] order, Args args, int flags,
      @Nullable String source, @Nullable Scope<?> scope) {
    this.scope = scope;
    this.kind = kind;
    this.called = called;
    this.order = order;
    this.args = args;
    this.flags = flags;
    this.source = source;
  }

  boolean has(int flag) {
    return (flags & flag) != 0;
  }

  /** Records the outcome; returns false if it was already final. */
  boolean complete(boolean executed) {
    return complete(executed, null, List.of());
  }

  /** Records that the transition committed (its outcome is EXECUTED); drainer only. */
  void decide() {
    decided = EXECUTED;
  }

  /** Records the outcome with why it was refused or what failed; false if already final. */
  boolean complete(boolean executed, @Nullable String why, List<Throwable> failed) {
    if (state != QUEUED) return false;
    reason = why;
    failures = failed;
    if (!STATE.compareAndSet(this, QUEUED, executed ? EXECUTED : CANCELED)) return false;
    CompletableFuture<Status> f = future;
    if (f != null) f.complete(executed ? Status.EXECUTED : Status.CANCELED);
    return true;
  }

  /** Fails the ticket (machine closed); returns false if it was already final. */
  boolean fail(RuntimeException e) {
    if (state != QUEUED) return false;
    failure = e;
    if (!STATE.compareAndSet(this, QUEUED, FAILED)) return false;
    CompletableFuture<Status> f = future;
    if (f != null) f.completeExceptionally(e);
    return true;
  }

  @Override
  public Status status() {
    return switch (state) {
      case QUEUED, FAILED -> Status.QUEUED;
      case EXECUTED -> Status.EXECUTED;
      case CANCELED -> Status.CANCELED;
      default -> throw new IllegalStateException("mutation state " + state);
    };
  }

  @Override
  public Status await(Duration timeout) throws InterruptedException, TimeoutException {
    Wait.checkTimeout(timeout);
    Status now = finalStatus();
    if (now != null) return now;
    try {
      Time t = time;
      if (t == null) return futureRef().get(Scope.saturatedNanos(timeout), TimeUnit.NANOSECONDS);
      CompletableFuture<Status> f = futureRef(); // a fake time: the timeout passes on it (TM2)
      if (!TimedWait.await(t, f, Scope.saturatedNanos(timeout))) {
        throw new TimeoutException(this + " still queued after " + timeout);
      }
      return f.get();
    } catch (ExecutionException e) {
      throw Result.rethrow(e);
    } catch (InterruptedException e) {
      if (decided == EXECUTED) { // decided before the interrupt came: report it, keep the flag
        Thread.currentThread().interrupt();
        return Status.EXECUTED;
      }
      throw e;
    }
  }

  /** The completion future, created on first use (library dependents only). */
  CompletableFuture<Status> raw() {
    return futureRef();
  }

  /** Whether the ticket was failed (machine closed); its failure then is {@link #failure()}. */
  boolean failed() {
    return state == FAILED;
  }

  RuntimeException failure() {
    RuntimeException f = failure;
    if (f == null) throw new IllegalStateException("not failed");
    return f;
  }

  @Override
  public CompletableFuture<Status> future() {
    // Dependents run off the draining thread: a callback that awaits the machine cannot block it.
    CompletableFuture<Status> out = new CompletableFuture<>();
    futureRef().whenCompleteAsync((v, t) -> {
      if (t == null) {
        out.complete(v);
      } else {
        out.completeExceptionally(t);
      }
    }, MachineWait.ASYNC);
    return out;
  }

  @Override
  public @Nullable String reason() {
    return state == CANCELED ? reason : null;
  }

  @Override
  public List<Throwable> failures() {
    return state == EXECUTED ? failures : List.of();
  }

  private @Nullable Status finalStatus() {
    return switch (state) {
      case EXECUTED -> Status.EXECUTED;
      case CANCELED -> Status.CANCELED;
      case FAILED -> throw failure;
      default -> null;
    };
  }

  private CompletableFuture<Status> futureRef() {
    CompletableFuture<Status> f = future;
    if (f == null) {
      CompletableFuture<Status> mine = new CompletableFuture<>();
      f = FUTURE.compareAndSet(this, null, mine) ? mine : future;
    }
    // Completion may have happened before the future existed: complete it from the state.
    switch (state) {
      case EXECUTED -> f.complete(Status.EXECUTED);
      case CANCELED -> f.complete(Status.CANCELED);
      case FAILED -> f.completeExceptionally(failure);
      default -> {}
    }
    return f;
  }

  @Override
  public String toString() {
    return "Mutation[" + kind.label() + " " + Long.toBinaryString(called) + " " + status() + "]";
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
