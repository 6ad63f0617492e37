package dev.stator.supervision;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadFactory;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * A group of supervised tasks: each runs on its own thread (a virtual thread unless a
 * {@link Builder#threadFactory thread factory} says otherwise), is held by a strong reference
 * until it ends, and has its failure reported exactly once unless someone received it.
 *
 * {@snippet :
 * try (Supervisor workers = Supervisor.builder("workers").build()) {
 *   Task<Integer> answer = workers.fork("answer", () -> 6 * 7);
 *   workers.fireAndForget("audit", () -> audit.write("started"));   // failure logged, never lost
 *   int a = answer.join();                                          // 42
 * }                                                                 // cancels and waits for what is left
 * }
 *
 * <h2>Failures</h2>
 * A task fails when its body throws, unless cancellation had been requested and what it threw
 * is the cancellation itself (an {@code InterruptedException}, see {@link Task.Status}). A
 * failure is <em>reported</em> when the task ends, exactly once: logged at {@code ERROR} as
 * {@code Task 'NAME' of supervisor 'SUPERVISOR' failed} with the throwable, or handed to the
 * {@link Builder#onFailure failure handler} instead. It is not reported if someone was waiting
 * in {@link Task#join} or {@link Task#cancelAndWait} when the task ended: that caller receives
 * it as a {@link TaskFailedException}, and one report would be one too many. A join that comes
 * after the report still throws, but nothing is logged again. Cancellation is never reported.
 *
 * <h2>Thread safety</h2>
 * Every method may be called from any thread, including from the supervisor's own tasks.
 * Memory effects: actions of the forking thread before {@link #fork} happen-before the task's
 * body; the body (and the report of its failure) happens-before {@code join} returns, before
 * {@link Task#future()} completes, and before {@link #running()} stops counting the task.
 *
 * <h2>Cancellation and closing</h2>
 * {@link #cancelAll} interrupts every running task and waits for them with a bound; a task that
 * ignores interruption is logged at {@code WARNING} with its name and makes it return
 * {@code false}. {@link #shutdown} refuses new tasks and lets running ones finish;
 * {@link #close} refuses new tasks, then cancels and waits with the
 * {@linkplain Builder#closeTimeout close timeout}. A refused task is an
 * {@link IllegalStateException} naming the supervisor and the task.
 */
public sealed interface Supervisor extends AutoCloseable permits SupervisorImpl {

  /** The default of {@link Builder#closeTimeout}. */
  Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  /** Starts building a supervisor called {@code name}. */
  static Builder builder(String name) {
    return new Builder(name);
  }

  /** A supervisor called {@code name} with the defaults. */
  static Supervisor of(String name) {
    return builder(name).build();
  }

  /**
   * A context carrier for {@link Builder#wrap} that carries {@code key}'s binding from the
   * forking thread to the task: if {@code key} is bound when a task is forked, the task's body
   * runs inside {@code ScopedValue.where(key, value)}; otherwise it runs as it is. (A thread
   * started by a plain thread factory does not inherit scoped values; only this carries them.)
   */
  static <T> UnaryOperator<Runnable> carrying(ScopedValue<T> key) {
    Objects.requireNonNull(key, "key");
    return body -> {
      if (!key.isBound()) return body;
      T value = key.get(); // read on the forking thread
      return () -> ScopedValue.where(key, value).run(body);
    };
  }

  /** The supervisor's name. */
  String name();

  /**
   * Starts a task that computes a value.
   *
   * @param name the task's name, used in its thread's name and in every log record about it
   * @throws IllegalStateException if the supervisor is shut down or closed, or the thread
   *     factory returned {@code null}; nothing was started
   */
  <T extends @Nullable Object> Task<T> fork(String name, Callable<? extends T> body);

  /** Starts a task with no result; otherwise as {@link #fork}. */
  Task<@Nullable Void> run(String name, Action body);

  /**
   * Starts a task nobody will join: it is held until it ends, and its failure is always
   * reported (logged or given to the failure handler). Otherwise as {@link #fork}.
   */
  void fireAndForget(String name, Action body);

  /** How many tasks have been started and not yet ended. */
  int running();

  /** The tasks that have been started and not yet ended, in the order they were started. */
  List<Task<?>> tasks();

  /**
   * Requests cancellation of every running task (interrupts it) and waits up to {@code bound}
   * for all of them to end.
   *
   * <p>Each task still running after the bound is logged at {@code WARNING} as
   * {@code Task 'NAME' of supervisor 'SUPERVISOR' ignored cancellation: still running after BOUND};
   * it stays in {@link #tasks()} until it ends. A task that fails while unwinding (throws
   * something other than the cancellation) is reported like any failure, since nobody receives
   * it here. Tasks started after this call began are not affected; use {@link #close()} to
   * refuse them.
   *
   * <p>Called from one of this supervisor's own tasks, it cancels and waits for the others,
   * marks the calling task cancelled and sets the caller's interrupt status last, and returns
   * {@code false} (the caller has not ended). Called from a failure handler, whose task's body
   * has already ended, it returns whether the others ended.
   *
   * @return whether every task ended within the bound
   * @throws InterruptedException if the caller is interrupted while waiting; every task has
   *     been asked to cancel by then
   */
  boolean cancelAll(Duration bound) throws InterruptedException;

  /**
   * Refuses new tasks from now on; running tasks go on until they end. Idempotent.
   */
  void shutdown();

  /** Whether {@link #shutdown()} or {@link #close()} was called. */
  boolean isShutdown();

  /**
   * Waits up to {@code timeout} until the supervisor is shut down and every task has ended.
   *
   * @return whether it has terminated
   */
  boolean awaitTermination(Duration timeout) throws InterruptedException;

  /**
   * Refuses new tasks, then cancels every running task and waits up to the
   * {@linkplain Builder#closeTimeout close timeout} (see {@link #cancelAll}). If the caller is
   * interrupted while waiting, it stops waiting and re-asserts its interrupt status. Calling it
   * again cancels and waits again for whatever is still running.
   */
  @Override
  void close();

  /**
   * Configures a {@link Supervisor}. Not thread-safe; {@link #build()} copies the configuration,
   * so a builder may be reused.
   */
  final class Builder {
    final String name;
    @Nullable ThreadFactory threadFactory;
    @Nullable FailureHandler onFailure;
    System.Logger logger = System.getLogger("dev.stator.supervision.Supervisor");
    final List<UnaryOperator<Runnable>> carriers = new ArrayList<>();
    Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;

    Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) throw new IllegalArgumentException("supervisor name must not be blank: '" + name + "'");
      this.name = name;
    }

    /**
     * Makes the threads of the tasks. Default: a virtual thread named
     * {@code SUPERVISOR-TASK} for each task; a factory's threads keep the names it gives them.
     */
    public Builder threadFactory(ThreadFactory factory) {
      this.threadFactory = Objects.requireNonNull(factory, "threadFactory");
      return this;
    }

    /**
     * Receives the failures that would otherwise be logged (see {@link FailureHandler} for when
     * and where it is called). If it throws, that is logged and nothing else breaks.
     */
    public Builder onFailure(FailureHandler handler) {
      this.onFailure = Objects.requireNonNull(handler, "onFailure");
      return this;
    }

    /** Where records go. Default: {@code System.getLogger("dev.stator.supervision.Supervisor")}. */
    public Builder logger(System.Logger logger) {
      this.logger = Objects.requireNonNull(logger, "logger");
      return this;
    }

    /**
     * Adds a context carrier: a function applied to each task's body when the task is forked,
     * <em>on the forking thread</em>, whose result runs on the task's thread in place of the
     * body. It can read context (a tracing span, a {@link ScopedValue} binding) where the task
     * is forked and re-establish it around the body; see {@link Supervisor#carrying}.
     *
     * <p>A carrier must run the body it was given exactly once, on the thread that runs the
     * carrier's result; a task whose carrier did not run its body fails with an
     * {@link IllegalStateException}. If a carrier throws at fork time, {@code fork} throws it and
     * nothing is started. Carriers are applied in the order they were added, so the last one
     * added is the outermost: it runs first on the task's thread.
     */
    public Builder wrap(UnaryOperator<Runnable> carrier) {
      carriers.add(Objects.requireNonNull(carrier, "carrier"));
      return this;
    }

    /** How long {@link Supervisor#close()} waits for cancelled tasks. Default 5 seconds. */
    public Builder closeTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "closeTimeout");
      if (timeout.isNegative()) throw new IllegalArgumentException("close timeout must not be negative: " + timeout);
      this.closeTimeout = timeout;
      return this;
    }

    /** A new supervisor with this configuration. */
    public Supervisor build() {
      return new SupervisorImpl(this);
    }
  }
}
