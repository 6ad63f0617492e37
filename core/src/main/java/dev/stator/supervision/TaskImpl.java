package dev.stator.supervision;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The implementation of {@link Task}.
 */
final class TaskImpl<T extends @Nullable Object> implements Task<T> {
  /* Design.
   *
   * Lifecycle: status RUNNING -> SUCCEEDED | FAILED | CANCELLED, written once by the task's
   * thread in finish(), under `lock`, as soon as the body's end is classified (so a failure
   * handler already sees FAILED). After that the task thread, still in finish(): reports the
   * failure (if it decided to), removes the task from the supervisor's registry, signals the
   * supervisor's termination if it was the last task of a shut-down supervisor, counts `done`
   * down, then completes `future` (whose dependents may run right here, and may join the task)
   * and finally runs the supervisor's termination callbacks. `done` reaching zero is "the task
   * has ended": the status is final, the report made, the task out of `running`. Dependents of
   * `future` run only after that, so none of them can wait for an end that waits for them.
   * future() asked for once `done` is down completes its view from the outcome directly, so it
   * is complete even in the moment between `done` and the completion of `future`.
   *
   * Owners.
   *   - `thread`: written by the forking thread before the task is registered and started.
   *   - `body`, `bodyStarted`, `value`, `thrown`, `interruptedAtEnd`: written and read by the task's
   *     thread only (runBody, then finish); `value`/`thrown` are published to joiners by `done`.
   *   - `status`, `failure`, `cancelRequested`, `waiters`, `fate`: written under `lock`.
   *     `status` and `cancelRequested` are volatile for lock-free reads; `failure` is written
   *     before the volatile write of `status`, so a reader that sees FAILED sees it.
   *
   * Reporting a failure exactly once. `waiters` counts callers inside join/cancelAndWait that
   * registered while the task was RUNNING. `fate` says who owns the failure:
   *   UNDECIDED -> OBSERVED  a waiter received it (join threw it, cancelAndWait threw it, or
   *                          cancelAndWait found it already failed)
   *   UNDECIDED -> REPORTED  nobody received it: logged or handed to the failure handler
   * finish() sets REPORTED itself when waiters == 0 at the moment status becomes FAILED (the
   * decision and the status change are one critical section, so a join either registered
   * before it - and will receive the failure - or comes after and finds it REPORTED). A waiter
   * that gives up (timeout, interrupt) decrements `waiters`; if it was the last one and the
   * failure is still UNDECIDED, it reports it on its own thread. So a failure is reported at
   * most once, and only if no caller received it.
   *
   * Cancellation: requestCancel sets `cancelRequested` and interrupts the thread under `lock`
   * while RUNNING, so an interrupt can never land after finish() left the critical section
   * (finish clears the interrupt status right after it, before reporting). A cancellation
   * requested before the body began (the thread not yet started) makes runBody skip the body.
   *
   * Happens-before edges: fork's caller -> Thread.start -> body; body -> finish -> done
   * countDown -> joiner's await returns; registry removal precedes done, so a joiner that
   * returns sees running() without this task; done precedes the completion of `future`, so a
   * dependent sees the task ended (isDone, out of running(), join returns at once). */

  private enum Fate { UNDECIDED, OBSERVED, REPORTED }

  private final SupervisorImpl supervisor;
  private final String name;
  private @Nullable Callable<? extends T> body; // task thread; dropped once run, with its captures
  private final ReentrantLock lock = new ReentrantLock();
  private final CountDownLatch done = new CountDownLatch(1);
  private final CompletableFuture<T> future = new CompletableFuture<>();

  private volatile @Nullable Thread thread;

  // Task thread only.
  private boolean bodyStarted;
  private @Nullable T value;
  private @Nullable Throwable thrown;
  private boolean interruptedAtEnd;

  // Guarded by lock.
  private volatile Status status = Status.RUNNING;
  private volatile boolean cancelRequested;
  private @Nullable Throwable failure;
  private int waiters;
  private Fate fate = Fate.UNDECIDED;

  TaskImpl(SupervisorImpl supervisor, String name, Callable<? extends T> body) {
    this.supervisor = supervisor;
    this.name = name;
    this.body = body;
  }

  void bind(Thread t) {
    this.thread = t;
  }

  /** Its thread could not be started: fork throws {@code error}, so it counts as received. */
  void notStarted(Throwable error) {
    lock.lock();
    try {
      failure = error;
      fate = Fate.OBSERVED;
      status = Status.FAILED;
    } finally {
      lock.unlock();
    }
    done.countDown();
    future.completeExceptionally(error);
  }

  /** The runnable handed to the carriers: runs the body once and records how it ended. */
  void runBody() {
    if (Thread.currentThread() != thread) {
      throw new IllegalStateException("a carrier of supervisor '" + supervisor.name()
          + "' ran the body of task '" + name + "' on a thread other than the task's");
    }
    if (bodyStarted) {
      throw new IllegalStateException("a carrier of supervisor '" + supervisor.name()
          + "' ran the body of task '" + name + "' twice");
    }
    bodyStarted = true;
    Callable<? extends T> b = body;
    body = null;
    if (cancelRequested || b == null) return; // cancelled before it began: the body never runs
    try {
      value = b.call();
    } catch (Throwable t) {
      thrown = t;
    }
    interruptedAtEnd = Thread.currentThread().isInterrupted();
  }

  /** The task thread's whole run: the carriers (which run the body), then the end. */
  Runnable threadBody(Runnable carried) {
    return () -> {
      Throwable carrierError = null;
      try {
        carried.run();
      } catch (Throwable t) {
        carrierError = t;
      }
      finish(carrierError);
    };
  }

  private void finish(@Nullable Throwable carrierError) {
    Throwable error = thrown;
    if (carrierError != null) {
      if (error == null) error = carrierError;
      else if (error != carrierError) error.addSuppressed(carrierError);
    } else if (!bodyStarted) {
      error = new IllegalStateException("a carrier of supervisor '" + supervisor.name()
          + "' did not run the body of task '" + name + "'");
    }
    // Classified outside the lock: it walks the user's exception chain.
    boolean cancellationShaped = error != null && Cancellation.isCancellation(error, interruptedAtEnd);
    Status end;
    boolean report = false;
    lock.lock();
    try {
      if (error == null) {
        end = cancelRequested ? Status.CANCELLED : Status.SUCCEEDED;
      } else if (cancelRequested && cancellationShaped) {
        end = Status.CANCELLED;
      } else {
        end = Status.FAILED;
        failure = error;
        if (waiters == 0) {
          fate = Fate.REPORTED;
          report = true;
        }
      }
      status = end;
    } finally {
      lock.unlock();
    }
    Thread.interrupted(); // no interrupt can arrive any more; report with a clear status
    SupervisorImpl.Termination termination = null;
    try {
      if (report) supervisor.report(this, error);
    } finally {
      termination = supervisor.remove(this);
      if (termination != null) termination.signal();
      done.countDown(); // the task has ended: what follows may join it
      try {
        switch (end) {
          case SUCCEEDED -> future.complete(value);
          case CANCELLED -> future.completeExceptionally(cancelled());
          case FAILED -> future.completeExceptionally(error);
          default -> throw new AssertionError(end);
        }
      } finally {
        if (termination != null) termination.runCallbacks();
      }
    }
  }

  // ---------------------------------------------------------------- queries

  @Override
  public String name() {
    return name;
  }

  @Override
  public Supervisor supervisor() {
    return supervisor;
  }

  @Override
  public Status status() {
    return status;
  }

  @Override
  public boolean isDone() {
    return status != Status.RUNNING;
  }

  @Override
  public boolean isCancellationRequested() {
    return cancelRequested;
  }

  @Override
  public @Nullable Throwable failure() {
    return status == Status.FAILED ? failure : null;
  }

  @Override
  public CompletableFuture<T> future() {
    // Not future.copy(): a copy wraps the cause in a CompletionException, so a cancelled task's
    // copy would not report isCancelled().
    CompletableFuture<T> view = new CompletableFuture<>();
    if (ended()) {
      // Ended (`done` is down, so value/failure are published) but `future` may still be about
      // to complete: a view asked for after join returned is complete at once, from the outcome.
      switch (status) {
        case SUCCEEDED -> view.complete(value);
        case CANCELLED -> view.completeExceptionally(cancelled());
        case FAILED -> view.completeExceptionally(failureOrStub());
        default -> throw new AssertionError(status);
      }
      return view;
    }
    future.whenComplete((v, e) -> {
      if (e == null) view.complete(v);
      else view.completeExceptionally(e);
    });
    return view;
  }

  private Throwable failureOrStub() {
    lock.lock();
    try {
      Throwable f = failure;
      return f == null ? new IllegalStateException("no failure") : f;
    } finally {
      lock.unlock();
    }
  }

  /** Whether the calling thread is this task's thread. */
  boolean isCurrentThread() {
    return Thread.currentThread() == thread;
  }

  /** Whether the task has ended (past reporting and registry removal). */
  boolean ended() {
    return done.getCount() == 0;
  }

  /** For tests: how many callers are registered as waiting for the outcome. */
  int waiters() {
    lock.lock();
    try {
      return waiters;
    } finally {
      lock.unlock();
    }
  }

  /** For tests: whether the failure is still owned by nobody. */
  boolean failureUndecided() {
    lock.lock();
    try {
      return status == Status.FAILED && fate == Fate.UNDECIDED;
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- join

  @Override
  public T join() throws InterruptedException {
    try {
      return await(0L, false);
    } catch (TimeoutException e) {
      throw new AssertionError(e); // untimed
    }
  }

  @Override
  public T join(Duration timeout) throws InterruptedException, TimeoutException {
    return await(Cancellation.nanos(timeout, "join timeout"), true);
  }

  private T await(long nanos, boolean timed) throws InterruptedException, TimeoutException {
    if (!ended()) {
      if (isCurrentThread()) {
        throw new IllegalStateException("task '" + name + "' of supervisor '" + supervisor.name()
            + "' cannot join itself");
      }
      boolean registered = register();
      boolean ended;
      try {
        if (timed) {
          ended = done.await(nanos, TimeUnit.NANOSECONDS);
        } else {
          done.await();
          ended = true;
        }
      } catch (InterruptedException e) {
        if (registered) leave();
        throw e;
      }
      if (!ended) {
        if (registered) leave();
        throw new TimeoutException("task '" + name + "' of supervisor '" + supervisor.name()
            + "' still running after " + Duration.ofNanos(nanos));
      }
      return outcome(registered);
    }
    return outcome(false);
  }

  /** Registers the caller as a waiter if the task is still running. Package-private for tests. */
  boolean register() {
    lock.lock();
    try {
      if (status != Status.RUNNING) return false;
      waiters++;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * A waiter gives up without receiving the outcome; reports the failure if it was the last.
   * Package-private for tests.
   */
  void leave() {
    Throwable toReport = null;
    lock.lock();
    try {
      waiters--;
      if (waiters == 0 && status == Status.FAILED && fate == Fate.UNDECIDED) {
        fate = Fate.REPORTED;
        toReport = failure;
      }
    } finally {
      lock.unlock();
    }
    if (toReport != null) supervisor.report(this, toReport);
  }

  /** The outcome of an ended task; a failure received here counts as observed. */
  private T outcome(boolean registered) {
    Status s;
    Throwable f;
    lock.lock();
    try {
      if (registered) waiters--;
      s = status;
      f = failure;
      if (s == Status.FAILED && fate == Fate.UNDECIDED) fate = Fate.OBSERVED;
    } finally {
      lock.unlock();
    }
    return switch (s) {
      case SUCCEEDED -> value;
      case CANCELLED -> throw cancelled();
      case FAILED -> throw failed(f);
      default -> throw new AssertionError(s);
    };
  }

  private CancellationException cancelled() {
    return new CancellationException("task '" + name + "' of supervisor '" + supervisor.name()
        + "' was cancelled");
  }

  private TaskFailedException failed(@Nullable Throwable f) {
    return new TaskFailedException("task '" + name + "' of supervisor '" + supervisor.name()
        + "' failed: " + f, name, f == null ? new IllegalStateException("no failure") : f);
  }

  // ---------------------------------------------------------------- cancel

  @Override
  public boolean cancel() {
    return requestCancel(true);
  }

  /**
   * Marks the task cancelled and, if {@code interrupt}, interrupts its thread; both under the
   * lock and only while it is RUNNING.
   */
  boolean requestCancel(boolean interrupt) {
    lock.lock();
    try {
      if (status != Status.RUNNING) return false;
      cancelRequested = true;
      Thread t = thread;
      if (interrupt && t != null) t.interrupt();
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean cancelAndWait(Duration bound) throws InterruptedException {
    long nanos = Cancellation.nanos(bound, "cancel bound");
    if (ended()) { // already done: no-op, a failure counts as received and is not rethrown
      markObserved();
      return true;
    }
    if (isCurrentThread()) { // a task cannot wait for itself
      requestCancel(true);
      return isDone(); // true only when called while its end is being reported
    }
    boolean registered;
    lock.lock();
    try {
      if (status == Status.RUNNING) {
        cancelRequested = true;
        waiters++;
        registered = true;
        Thread t = thread;
        if (t != null) t.interrupt();
      } else {
        registered = false; // ended a moment ago and is finishing: treat as already done
        if (status == Status.FAILED && fate == Fate.UNDECIDED) fate = Fate.OBSERVED;
      }
    } finally {
      lock.unlock();
    }
    boolean ended;
    try {
      ended = done.await(nanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      if (registered) leave();
      throw e;
    }
    if (!ended) {
      if (registered) leave();
      supervisor.reportStuck(this, bound);
      return false;
    }
    if (!registered) return true;
    Status s;
    Throwable f;
    lock.lock();
    try {
      waiters--;
      s = status;
      f = failure;
      if (s == Status.FAILED && fate == Fate.UNDECIDED) fate = Fate.OBSERVED;
    } finally {
      lock.unlock();
    }
    if (s == Status.FAILED) throw failed(f);
    return true;
  }

  private void markObserved() {
    lock.lock();
    try {
      if (status == Status.FAILED && fate == Fate.UNDECIDED) fate = Fate.OBSERVED;
    } finally {
      lock.unlock();
    }
  }

  /** Waits up to {@code nanos} for the task to end. */
  boolean awaitEnd(long nanos) throws InterruptedException {
    return done.await(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public String toString() {
    return "Task[" + name + " " + status + "]";
  }
}
