package dev.stator.supervision;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The implementation of {@link Supervisor}.
 */
final class SupervisorImpl implements Supervisor {
  /* Design.
   *
   * States: OPEN -> SHUT_DOWN (refuses tasks; `shutdown`) -> TERMINATED (shut down and no task
   * left; `terminated`). Both flags are written under `lock`; so is `running`, the registry of
   * tasks that have been started and not yet ended (a LinkedHashSet: strong references, in
   * start order).
   *
   * Owners.
   *   - fork (any thread): applies the carriers on the forking thread, makes the thread, then
   *     under `lock` checks `shutdown` and registers the task, then starts the thread outside
   *     the lock. A cancelAll that sees the task before its thread starts marks it cancelled;
   *     the task then skips its body (TaskImpl.runBody).
   *   - The task's thread removes its task from `running` (remove) after its status is final
   *     and its failure reported, and before `done` is counted down. If that made a shut-down
   *     supervisor empty, it is the one thread that flips `terminated`: it counts
   *     `terminatedLatch` down before its `done`, and runs the termination callbacks after.
   *   - shutdown() flips `shutdown`; if nothing is running it flips `terminated` too and runs the
   *     callbacks itself.
   *
   * Happens-before edges: registration under `lock` precedes Thread.start; removal under
   * `lock` precedes the task's `done` countdown; a snapshot taken under `lock` in cancelAll sees
   * every task registered before it. `terminatedLatch` is counted down before the last task's
   * `done`, and the termination callbacks run after it. */

  private final String name;
  private final @Nullable ThreadFactory threadFactory;
  private final @Nullable FailureHandler onFailure;
  private final System.Logger logger;
  private final List<UnaryOperator<Runnable>> carriers;
  private final Duration closeTimeout;

  private final ReentrantLock lock = new ReentrantLock();
  private final LinkedHashSet<TaskImpl<?>> running = new LinkedHashSet<>(); // guarded by lock
  private volatile boolean shutdown; // written under lock
  private boolean terminated; // guarded by lock
  private final List<Runnable> onTerminated = new ArrayList<>(); // guarded by lock
  private final CountDownLatch terminatedLatch = new CountDownLatch(1);

  SupervisorImpl(Supervisor.Builder b) {
    this.name = b.name;
    this.threadFactory = b.threadFactory;
    this.onFailure = b.onFailure;
    this.logger = b.logger;
    this.carriers = List.copyOf(b.carriers);
    this.closeTimeout = b.closeTimeout;
  }

  @Override
  public String name() {
    return name;
  }

  // ---------------------------------------------------------------- starting tasks

  @Override
  public <T extends @Nullable Object> Task<T> fork(String taskName, Callable<? extends T> body) {
    Objects.requireNonNull(body, "body");
    return start(taskName, body);
  }

  @Override
  public Task<@Nullable Void> run(String taskName, Action body) {
    Objects.requireNonNull(body, "body");
    return start(taskName, () -> {
      body.run();
      return null;
    });
  }

  @Override
  public void fireAndForget(String taskName, Action body) {
    run(taskName, body);
  }

  private <T extends @Nullable Object> TaskImpl<T> start(String taskName, Callable<? extends T> body) {
    Objects.requireNonNull(taskName, "name");
    if (shutdown) throw refused(taskName); // fail fast, before running any carrier
    TaskImpl<T> task = new TaskImpl<>(this, taskName, body);
    Runnable carried = task::runBody;
    for (UnaryOperator<Runnable> carrier : carriers) { // on the forking thread
      Runnable next = carrier.apply(carried);
      if (next == null) {
        throw new IllegalStateException("a carrier of supervisor '" + name
            + "' returned null for task '" + taskName + "'");
      }
      carried = next;
    }
    Thread thread = newThread(taskName, task.threadBody(carried));
    task.bind(thread);
    lock.lock();
    try {
      if (shutdown) throw refused(taskName);
      running.add(task);
    } finally {
      lock.unlock();
    }
    try {
      thread.start();
    } catch (Throwable t) { // the thread could not start: the caller receives the error
      task.notStarted(t);
      Termination termination = remove(task);
      if (termination != null) termination.run();
      throw t;
    }
    return task;
  }

  private IllegalStateException refused(String taskName) {
    return new IllegalStateException("supervisor '" + name + "' is shut down; cannot start task '"
        + taskName + "'");
  }

  private Thread newThread(String taskName, Runnable r) {
    ThreadFactory f = threadFactory;
    if (f == null) return Thread.ofVirtual().name(name + "-" + taskName).unstarted(r);
    Thread t = f.newThread(r);
    if (t == null) {
      throw new IllegalStateException("the thread factory of supervisor '" + name
          + "' returned null for task '" + taskName + "'");
    }
    return t;
  }

  // ---------------------------------------------------------------- registry

  @Override
  public int running() {
    lock.lock();
    try {
      return running.size();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<Task<?>> tasks() {
    lock.lock();
    try {
      return List.copyOf(running);
    } finally {
      lock.unlock();
    }
  }

  /** Whether the calling thread is the thread of one of this supervisor's running tasks. */
  boolean ownsCurrentThread() {
    lock.lock();
    try {
      for (TaskImpl<?> t : running) {
        if (t.isCurrentThread()) return true;
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  private List<TaskImpl<?>> snapshot() {
    lock.lock();
    try {
      return new ArrayList<>(running);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Removes an ended task. Returns the termination to run (after the task's {@code done}) if
   * this removal terminated the supervisor, else {@code null}.
   */
  @Nullable Termination remove(TaskImpl<?> task) {
    lock.lock();
    try {
      running.remove(task);
      return shutdown && running.isEmpty() ? terminateLocked() : null;
    } finally {
      lock.unlock();
    }
  }

  private @Nullable Termination terminateLocked() {
    if (terminated) return null;
    terminated = true;
    List<Runnable> callbacks = List.copyOf(onTerminated);
    onTerminated.clear();
    return new Termination(callbacks);
  }

  /**
   * The termination of the supervisor, carried out by the one thread that caused it, outside the
   * lock: {@link #signal()} before the last task's {@code done} (so whoever sees every task
   * ended also sees the supervisor terminated), {@link #runCallbacks()} after it.
   */
  final class Termination {
    private final List<Runnable> callbacks;

    Termination(List<Runnable> callbacks) {
      this.callbacks = callbacks;
    }

    void signal() {
      terminatedLatch.countDown();
    }

    void run() {
      signal();
      runCallbacks();
    }

    void runCallbacks() {
      for (Runnable r : callbacks) {
        try {
          r.run();
        } catch (Throwable t) {
          Cancellation.log(logger, Level.ERROR, "A termination callback of supervisor '" + name
              + "' threw", t);
        }
      }
    }
  }

  /**
   * Runs {@code callback} once the supervisor has terminated (shut down and empty): on the
   * thread that ends its last task, or on the caller if it has terminated already.
   */
  void onTerminated(Runnable callback) {
    lock.lock();
    try {
      if (!terminated) {
        onTerminated.add(callback);
        return;
      }
    } finally {
      lock.unlock();
    }
    callback.run();
  }

  // ---------------------------------------------------------------- failures

  /** Reports a failure nobody received: to the handler, or to the log. */
  void report(TaskImpl<?> task, Throwable failure) {
    String what = "Task '" + task.name() + "' of supervisor '" + name + "' failed";
    FailureHandler h = onFailure;
    if (h == null) {
      Cancellation.log(logger, Level.ERROR, what, failure);
      return;
    }
    try {
      h.onFailure(task, failure);
    } catch (Throwable e) {
      Cancellation.log(logger, Level.ERROR, "The failure handler of supervisor '" + name
          + "' threw while handling the failure of task '" + task.name() + "'", e);
      Cancellation.log(logger, Level.ERROR, what, failure);
    }
  }

  void reportStuck(TaskImpl<?> task, Duration bound) {
    Cancellation.log(logger, Level.WARNING, "Task '" + task.name() + "' of supervisor '" + name
        + "' ignored cancellation: still running after " + bound, null);
  }

  // ---------------------------------------------------------------- cancellation and closing

  @Override
  public boolean cancelAll(Duration bound) throws InterruptedException {
    long deadline = Cancellation.deadline(Cancellation.nanos(bound, "cancel bound"));
    List<TaskImpl<?>> tasks = snapshot();
    boolean selfRunning = false;
    for (TaskImpl<?> t : tasks) {
      if (t.isCurrentThread()) {
        // Interrupted last, or our own waits would throw at once. A body that has already
        // ended (we are in its failure handler) is not running any more.
        selfRunning = t.requestCancel(false);
      } else {
        t.requestCancel(true);
      }
    }
    List<TaskImpl<?>> stuck = new ArrayList<>();
    for (TaskImpl<?> t : tasks) {
      if (!t.isCurrentThread() && !t.awaitEnd(Cancellation.remaining(deadline))) stuck.add(t);
    }
    for (TaskImpl<?> t : stuck) reportStuck(t, bound);
    if (selfRunning) Thread.currentThread().interrupt();
    return stuck.isEmpty() && !selfRunning;
  }

  /** Requests cancellation of every running task without waiting. */
  void cancelAllNoWait() {
    for (TaskImpl<?> t : snapshot()) t.requestCancel(!t.isCurrentThread());
  }

  @Override
  public void shutdown() {
    Termination termination;
    lock.lock();
    try {
      if (shutdown) return;
      shutdown = true;
      termination = running.isEmpty() ? terminateLocked() : null;
    } finally {
      lock.unlock();
    }
    if (termination != null) termination.run();
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminatedLatch.await(Cancellation.nanos(timeout, "termination timeout"), TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    shutdown();
    try {
      cancelAll(closeTimeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // stop waiting; the interruption is the caller's
    }
  }

  @Override
  public String toString() {
    return "Supervisor[" + name + " running=" + running() + (shutdown ? " shut down" : "") + "]";
  }
}
