package dev.stator.supervision;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * One live actor per key (for example one per task id), started on first demand, retired when
 * it is done, and cleaned up exactly once after its last task ended.
 *
 * {@snippet :
 * ActorRegistry<String, Job> jobs = ActorRegistry.<String, Job>builder("jobs",
 *         (id, tasks) -> Job.start(id, tasks))              // forks the job's tasks on `tasks`
 *     .cleanup((id, job) -> store.release(id))
 *     .build();
 * Job job = jobs.getOrStart("job-17");                     // starts it, or returns the live one
 * jobs.retire("job-17", job);                              // cleanup once its tasks have ended
 * }
 *
 * <h2>Incarnations</h2>
 * Each start of an actor is an <em>incarnation</em> with its own {@link Supervisor} (named
 * {@code REGISTRY[KEY]}), handed to the {@link Starter}: the actor forks its tasks there.
 * <ul>
 *   <li>{@link #getOrStart}: the first caller for a key runs the starter on its own thread;
 *       concurrent callers for the same key wait for that start, up to a bound (the
 *       {@linkplain Builder#startTimeout start timeout}, 30 seconds by default, or the timeout
 *       given to {@link #getOrStart(Object, Duration)}), and get the same actor; a caller still
 *       waiting after the bound gets an {@link ActorStartTimeoutException} naming the key (so two
 *       starters that need each other's keys do not deadlock). If the
 *       start fails, the entry is removed before anyone is told, the tasks the starter forked
 *       are cancelled, and every caller that asked for that incarnation — the one that ran the
 *       starter and every one that waited — gets an {@link ActorStartException} whose cause is
 *       the very throwable the starter threw. A later call starts a new incarnation. No cleanup
 *       runs for an actor that never started; {@link #close()} still waits for the cancelled
 *       tasks of a failed start to end.
 *   <li>{@link #retire}: removes the incarnation at once (a later {@code getOrStart} starts a
 *       new one), refuses new tasks on its supervisor, and runs the {@link Cleanup} exactly once,
 *       after every task the actor had has ended. Retirement is by identity: {@code retire(key,
 *       actor)} only retires that very actor, so a stale retire never removes a newer
 *       incarnation of the same key, not even while that one is still starting (see
 *       {@link #retire}).
 *   <li>{@link #close()}: refuses new starts, retires every live actor and cancels its tasks,
 *       and waits up to the close timeout for every cleanup and for the tasks of failed starts.
 * </ul>
 *
 * <h2>What it logs</h2>
 * Failures of the actors' tasks as any {@link Supervisor} does (see
 * {@link Builder#onFailure}); at {@code ERROR}, {@code Cleanup of actor 'KEY' of registry
 * 'NAME' threw} with the throwable; at {@code WARNING}, {@code Actor 'KEY' of registry 'NAME'
 * did not retire within BOUND} when {@code close} gives up waiting (for a cleanup, or for the
 * tasks of a failed start). A failed start is not
 * logged: every caller receives it.
 *
 * <h2>Thread safety</h2>
 * Every method may be called from any thread, including an actor's own tasks (an actor may
 * retire itself). The starter must not ask the registry for the key it is starting (that is an
 * {@link IllegalStateException}). The cleanup runs on the thread that ended the actor's last
 * task, or on the retiring thread if none was running. Memory effects: the starter
 * happens-before {@code getOrStart} returns the actor to any caller; every task of an
 * incarnation ends before its cleanup runs.
 *
 * @param <K> the key
 * @param <A> the actor
 */
public final class ActorRegistry<K, A> implements AutoCloseable {
  /* Design.
   *
   * An incarnation's phase, written under the registry's `lock`:
   *   STARTING (in `live`; the starter runs outside the lock on the first caller's thread)
   *     -> ACTIVE (in `live`)
   *     -> FAILED (removed from `live` by identity and added to `unwinding` before `startDone`
   *        is counted down; its supervisor is shut down and its tasks cancelled; it leaves
   *        `unwinding` when that supervisor terminates, on the thread that ended its last task)
   *     -> RETIRING (the start returned an actor that retire() named while STARTING)
   *   ACTIVE -> RETIRING (removed from `live`, added to `retiring`; its supervisor shut down)
   *     -> RETIRED (its supervisor terminated, cleanup ran; removed from `retiring`)
   *   STARTING -> RETIRING, when the registry was closed while it started.
   * `live` holds at most one incarnation per key; `retiring` holds strong references to
   * retired incarnations until their cleanup has run, and `unwinding` to failed starts until
   * their tasks ended, so close() can wait for both.
   *
   * Retirement while STARTING: retire() cannot compare actors yet, so it adds the actor to the
   * incarnation's `retireRequests` (under `lock`, identity, never replacing another request);
   * the starter's thread, under `lock` when the start returned, retires the incarnation iff its
   * actor is one of them, and clears the list. The return value of such a retire() is true only
   * on the starter's thread and the incarnation's own task threads (the only threads that can
   * know the new actor), so a stale actor's retire returns false.
   *
   * Waiting for another caller's start: getOrStart waits on `startDone` up to its timeout (the
   * builder's `startTimeout` by default), so two starts that need each other's keys end in an
   * ActorStartTimeoutException instead of a deadlock.
   *
   * Exactly-once cleanup: the supervisor runs its termination callbacks once, and `cleaned`
   * (CAS) guards against any second path. Identity: HashMap.remove(key, value) and the
   * `actor != inc.actor` test compare incarnations and actors by identity (Incarnation does not
   * override equals).
   *
   * Happens-before edges: the starter's writes -> `startDone` countdown -> waiters; phase and
   * actor are written under `lock` before the countdown. A task's end -> supervisor termination
   * -> cleanup (same thread or via the supervisor's lock). */

  /** Starts an actor. */
  @FunctionalInterface
  public interface Starter<K, A> {
    /**
     * Starts the actor for {@code key}, forking its tasks on {@code tasks}; runs on the thread
     * of the first caller of {@link ActorRegistry#getOrStart}. Must not return {@code null}.
     */
    A start(K key, Supervisor tasks) throws Exception;
  }

  /** Cleans up after a retired actor. */
  @FunctionalInterface
  public interface Cleanup<K, A> {
    /** Runs once, after every task of {@code actor} has ended. */
    void cleanUp(K key, A actor) throws Exception;
  }

  /** The default of {@link Builder#startTimeout}. */
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);

  private enum Phase { STARTING, ACTIVE, FAILED, RETIRING, RETIRED }

  private final class Incarnation {
    final K key;
    final SupervisorImpl tasks;
    final Thread starter;
    Phase phase = Phase.STARTING; // guarded by lock
    @Nullable A actor; // guarded by lock; set before startDone
    @Nullable Throwable startFailure; // guarded by lock; set before startDone
    // Guarded by lock: the actors retire(key, actor) named while STARTING, compared by identity
    // when the start returns; emptied then (so no stale actor is kept).
    final List<Object> retireRequests = new ArrayList<>(1);
    final CountDownLatch startDone = new CountDownLatch(1);
    final CountDownLatch retired = new CountDownLatch(1);
    final AtomicBoolean cleaned = new AtomicBoolean();
    final AtomicInteger waiting = new AtomicInteger(); // callers waiting for the start (tests)

    Incarnation(K key) {
      this.key = key;
      this.tasks = newSupervisor(key);
      this.starter = Thread.currentThread();
    }
  }

  private final String name;
  private final Starter<K, A> starterFn;
  private final @Nullable Cleanup<? super K, ? super A> cleanup;
  private final System.Logger logger;
  private final @Nullable ThreadFactory threadFactory;
  private final @Nullable FailureHandler onFailure;
  private final List<UnaryOperator<Runnable>> carriers;
  private final Duration closeTimeout;
  private final Duration startTimeout;

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<K, Incarnation> live = new HashMap<>(); // guarded by lock
  private final LinkedHashSet<Incarnation> retiring = new LinkedHashSet<>(); // guarded by lock
  // Guarded by lock: failed starts whose tasks (cancelled) have not all ended yet.
  private final LinkedHashSet<Incarnation> unwinding = new LinkedHashSet<>();
  private boolean closed; // guarded by lock

  private ActorRegistry(Builder<K, A> b) {
    this.name = b.name;
    this.starterFn = b.starter;
    this.cleanup = b.cleanup;
    this.logger = b.logger;
    this.threadFactory = b.threadFactory;
    this.onFailure = b.onFailure;
    this.carriers = List.copyOf(b.carriers);
    this.closeTimeout = b.closeTimeout;
    this.startTimeout = b.startTimeout;
  }

  /** Starts building a registry called {@code name} whose actors {@code starter} starts. */
  public static <K, A> Builder<K, A> builder(String name, Starter<K, A> starter) {
    return new Builder<>(name, starter);
  }

  private SupervisorImpl newSupervisor(K key) {
    Supervisor.Builder b = Supervisor.builder(name + "[" + key + "]").logger(logger).closeTimeout(closeTimeout);
    if (threadFactory != null) b.threadFactory(threadFactory);
    if (onFailure != null) b.onFailure(onFailure);
    for (UnaryOperator<Runnable> c : carriers) b.wrap(c);
    return (SupervisorImpl) b.build();
  }

  /** The registry's name. */
  public String name() {
    return name;
  }

  // ---------------------------------------------------------------- start

  /**
   * The live actor for {@code key}, started first if there is none; waits for another caller's
   * start of {@code key} up to the {@linkplain Builder#startTimeout start timeout} (30 seconds
   * unless configured). Otherwise as {@link #getOrStart(Object, Duration)}.
   *
   * @throws ActorStartException if the start this call asked for failed
   * @throws ActorStartTimeoutException if another caller's start of {@code key} was still under
   *     way after the start timeout
   * @throws IllegalStateException if the registry is closed, or the starter asked for its own key
   * @throws InterruptedException if the caller is interrupted while waiting for another
   *     caller's start
   */
  public A getOrStart(K key) throws InterruptedException {
    return getOrStart(key, startTimeout);
  }

  /**
   * The live actor for {@code key}, started first if there is none. See the class comment.
   *
   * <p>If there is none, this call runs the starter on its own thread, for as long as the
   * starter takes. If another caller's start of {@code key} is under way, this call waits for
   * it up to {@code timeout} (the bound covers the whole call, including a retry when the start
   * it waited for was retired before it woke). Without a bound, two starts that need each
   * other's keys (the starter of {@code a} calls {@code getOrStart("b")} while the starter of
   * {@code b} calls {@code getOrStart("a")}) would wait for each other forever; with it, the
   * waiting call throws {@link ActorStartTimeoutException}, and a starter that lets it escape
   * fails its own start with it (that start's callers get an {@link ActorStartException} whose
   * cause is the timeout). The start that was waited for goes on; a timeout does not cancel it.
   *
   * @param timeout how long to wait for another caller's start of {@code key}
   * @throws ActorStartException if the start this call asked for failed; the cause is what the
   *     starter threw, the same instance for every caller
   * @throws ActorStartTimeoutException if another caller's start of {@code key} was still under
   *     way after {@code timeout}; the message names the key, the registry and the bound
   * @throws IllegalStateException if the registry is closed, or the starter asked for its own key
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws InterruptedException if the caller is interrupted while waiting for another
   *     caller's start
   */
  public A getOrStart(K key, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(timeout, "timeout");
    long deadline = Cancellation.deadline(Cancellation.nanos(timeout, "start timeout"));
    while (true) {
      Incarnation inc;
      boolean mine = false;
      lock.lock();
      try {
        if (closed) {
          throw new IllegalStateException("actor registry '" + name + "' is closed; cannot start actor '" + key + "'");
        }
        inc = live.get(key);
        if (inc == null) {
          inc = new Incarnation(key);
          live.put(key, inc);
          mine = true;
        } else if (inc.phase == Phase.ACTIVE) {
          return Objects.requireNonNull(inc.actor);
        } else if (inc.starter == Thread.currentThread()) {
          throw new IllegalStateException("the start of actor '" + key + "' of registry '" + name
              + "' asked the registry for the same actor");
        }
      } finally {
        lock.unlock();
      }
      if (mine) return runStart(inc);
      inc.waiting.incrementAndGet();
      boolean startEnded;
      try {
        startEnded = inc.startDone.await(Cancellation.remaining(deadline), TimeUnit.NANOSECONDS);
      } finally {
        inc.waiting.decrementAndGet();
      }
      if (!startEnded) {
        throw new ActorStartTimeoutException("actor '" + key + "' of registry '" + name
            + "' was still being started by another caller after " + timeout);
      }
      A actor;
      Throwable failure;
      lock.lock();
      try {
        actor = inc.phase == Phase.ACTIVE ? inc.actor : null;
        failure = inc.startFailure;
      } finally {
        lock.unlock();
      }
      if (failure != null) throw startFailed(key, failure);
      if (actor != null) return actor;
      // It started and was retired before this caller woke: look again (a new incarnation).
    }
  }

  private A runStart(Incarnation inc) {
    A actor = null;
    Throwable failure = null;
    try {
      actor = starterFn.start(inc.key, inc.tasks);
      if (actor == null) {
        failure = new NullPointerException("the starter of registry '" + name + "' returned null for actor '" + inc.key + "'");
      }
    } catch (Throwable t) {
      failure = t;
    }
    boolean retireNow = false;
    boolean cancelNow = false;
    lock.lock();
    try {
      boolean retireRequested = failure == null && containsSame(inc.retireRequests, actor);
      inc.retireRequests.clear(); // decided: drop every named actor (stale ones included)
      if (failure == null && closed) { // it started, so it is retired and cleaned up
        cancelNow = true;
        inc.actor = actor;
        inc.phase = Phase.RETIRING;
        live.remove(inc.key, inc);
        retiring.add(inc);
        retireNow = true;
        failure = new IllegalStateException("actor registry '" + name + "' was closed while actor '"
            + inc.key + "' was starting");
        inc.startFailure = failure;
      } else if (retireRequested) {
        inc.actor = actor; // retired (by identity) while it was starting, e.g. by one of its tasks
        inc.phase = Phase.RETIRING;
        live.remove(inc.key, inc);
        retiring.add(inc);
        retireNow = true;
      } else if (failure == null) {
        inc.actor = actor;
        inc.phase = Phase.ACTIVE;
      } else {
        live.remove(inc.key, inc); // no zombie entry, and only this incarnation
        inc.phase = Phase.FAILED;
        inc.startFailure = failure;
        unwinding.add(inc); // until its tasks have ended, so close() can wait for them
      }
    } finally {
      lock.unlock();
    }
    if (retireNow) {
      beginRetirement(inc, cancelNow);
    } else if (failure != null) {
      inc.tasks.shutdown();
      inc.tasks.cancelAllNoWait();
      inc.tasks.onTerminated(() -> {
        lock.lock();
        try {
          unwinding.remove(inc);
        } finally {
          lock.unlock();
        }
      });
    }
    inc.startDone.countDown();
    if (failure != null) throw startFailed(inc.key, failure);
    return Objects.requireNonNull(actor);
  }

  private ActorStartException startFailed(K key, Throwable cause) {
    return new ActorStartException("actor '" + key + "' of registry '" + name + "' failed to start: " + cause, cause);
  }

  // ---------------------------------------------------------------- queries

  /** The live, started actor for {@code key}, or {@code null} (none, or still starting). */
  public @Nullable A get(K key) {
    lock.lock();
    try {
      Incarnation inc = live.get(key);
      return inc != null && inc.phase == Phase.ACTIVE ? inc.actor : null;
    } finally {
      lock.unlock();
    }
  }

  /** The supervisor of the live actor for {@code key}, or {@code null}. */
  public @Nullable Supervisor tasksOf(K key) {
    lock.lock();
    try {
      Incarnation inc = live.get(key);
      return inc != null && inc.phase == Phase.ACTIVE ? inc.tasks : null;
    } finally {
      lock.unlock();
    }
  }

  /** How many keys have a live incarnation (started or starting). */
  public int size() {
    lock.lock();
    try {
      return live.size();
    } finally {
      lock.unlock();
    }
  }

  /** How many retired incarnations are waiting for their tasks to end or their cleanup to run. */
  public int retiring() {
    lock.lock();
    try {
      return retiring.size();
    } finally {
      lock.unlock();
    }
  }

  /** For tests: how many callers wait for the start of {@code key}'s live incarnation. */
  int waitingForStart(K key) {
    lock.lock();
    try {
      Incarnation inc = live.get(key);
      return inc == null ? 0 : inc.waiting.get();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- retirement

  /**
   * Retires {@code actor}, if it is the live actor for {@code key}: removes it (a later
   * {@code getOrStart} starts a new incarnation), refuses new tasks on its supervisor, and runs
   * the cleanup once its running tasks have all ended (at once if none is running). Its tasks
   * are not cancelled; cancel them through its supervisor to hurry them.
   *
   * <p>Retirement is by identity, also while the incarnation for {@code key} is still starting
   * (its actor not yet returned, so nobody can compare yet): the request is kept, and when the
   * start returns, it retires that actor if and only if it is the very actor named — a stale
   * actor of an earlier incarnation never retires the new one, and never cancels another
   * request. While the start is under way, only the starter's own thread and the incarnation's
   * own tasks can know the new actor, so a call from one of them returns {@code true} (the
   * retirement takes effect as soon as the start returns that actor); a call from any other
   * thread returns {@code false} (no live actor is {@code actor} yet), although its request is
   * kept too, in case the starter handed the new actor out before returning.
   *
   * @return whether this call retired it, or (from the starting incarnation's own threads) will
   *     once the start returns it; {@code false} if it is not the live actor for {@code key}:
   *     already retired, never started, replaced by a newer incarnation, or not known yet
   */
  public boolean retire(K key, A actor) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(actor, "actor");
    Incarnation inc;
    boolean starting;
    lock.lock();
    try {
      inc = live.get(key);
      starting = inc != null && inc.phase == Phase.STARTING;
      if (starting) {
        if (!containsSame(inc.retireRequests, actor)) inc.retireRequests.add(actor); // decided when the start returns
      } else {
        if (inc == null || inc.phase != Phase.ACTIVE || inc.actor != actor) return false;
        live.remove(key);
        inc.phase = Phase.RETIRING;
        retiring.add(inc);
      }
    } finally {
      lock.unlock();
    }
    if (starting) {
      // Only its starter and its own tasks can know the actor being started.
      return inc.starter == Thread.currentThread() || inc.tasks.ownsCurrentThread();
    }
    beginRetirement(inc, false);
    return true;
  }

  private static boolean containsSame(List<Object> list, @Nullable Object x) {
    for (Object o : list) {
      if (o == x) return true;
    }
    return false;
  }

  private void beginRetirement(Incarnation inc, boolean cancel) {
    inc.tasks.shutdown();
    if (cancel) inc.tasks.cancelAllNoWait();
    inc.tasks.onTerminated(() -> finishRetirement(inc));
  }

  private void finishRetirement(Incarnation inc) {
    if (!inc.cleaned.compareAndSet(false, true)) return;
    A actor;
    lock.lock();
    try {
      actor = inc.actor;
    } finally {
      lock.unlock();
    }
    try {
      Cleanup<? super K, ? super A> c = cleanup;
      if (c != null && actor != null) c.cleanUp(inc.key, actor);
    } catch (Throwable t) {
      Cancellation.log(logger, Level.ERROR, "Cleanup of actor '" + inc.key + "' of registry '" + name + "' threw", t);
    } finally {
      lock.lock();
      try {
        inc.phase = Phase.RETIRED;
        retiring.remove(inc);
      } finally {
        lock.unlock();
      }
      inc.retired.countDown();
    }
  }

  /**
   * Refuses new starts, retires every live actor with its tasks cancelled (and cancels the
   * tasks of actors already retiring), and waits up to the close timeout for every cleanup,
   * including those of actors whose start was under way, and for every task of a failed start
   * to end (a failed start's tasks are cancelled when it fails; close does not return before
   * they ended, within the bound). An actor still not retired (or a failed start whose tasks
   * have not ended) after that is logged at {@code WARNING}. Called from one of an actor's own tasks, it does not wait
   * for that actor (it retires once the calling task ends). If the caller is interrupted while
   * waiting, it stops waiting and re-asserts its interrupt status.
   */
  @Override
  public void close() {
    List<Incarnation> toRetire = new ArrayList<>();
    List<Incarnation> waitFor = new ArrayList<>();
    lock.lock();
    try {
      closed = true;
      for (Incarnation inc : List.copyOf(live.values())) {
        if (inc.phase == Phase.ACTIVE) {
          live.remove(inc.key, inc);
          inc.phase = Phase.RETIRING;
          retiring.add(inc);
          toRetire.add(inc);
        } else {
          waitFor.add(inc); // STARTING: its starter retires it when it sees `closed`
        }
      }
      waitFor.addAll(retiring);
      waitFor.addAll(unwinding); // failed starts whose tasks are still ending
    } finally {
      lock.unlock();
    }
    for (Incarnation inc : toRetire) beginRetirement(inc, true);
    for (Incarnation inc : waitFor) inc.tasks.cancelAllNoWait();
    long deadline = Cancellation.deadline(Cancellation.nanos(closeTimeout, "close timeout"));
    try {
      for (Incarnation inc : waitFor) {
        if (inc.tasks.ownsCurrentThread()) continue; // an actor's task closing the registry: it cannot wait for itself
        if (!awaitGone(inc, deadline)) {
          Cancellation.log(logger, Level.WARNING, "Actor '" + inc.key + "' of registry '" + name
              + "' did not retire within " + closeTimeout, null);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits until {@code inc} is retired and cleaned up, or, if its start failed, its tasks ended. */
  private boolean awaitGone(Incarnation inc, long deadline) throws InterruptedException {
    if (!inc.startDone.await(Cancellation.remaining(deadline), TimeUnit.NANOSECONDS)) return false;
    boolean failed;
    lock.lock();
    try {
      failed = inc.phase == Phase.FAILED;
    } finally {
      lock.unlock();
    }
    if (failed) return inc.tasks.awaitTermination(Duration.ofNanos(Cancellation.remaining(deadline)));
    return inc.retired.await(Cancellation.remaining(deadline), TimeUnit.NANOSECONDS);
  }

  @Override
  public String toString() {
    return "ActorRegistry[" + name + " live=" + size() + " retiring=" + retiring() + "]";
  }

  /** Configures an {@link ActorRegistry}. */
  public static final class Builder<K, A> {
    final String name;
    final Starter<K, A> starter;
    @Nullable Cleanup<? super K, ? super A> cleanup;
    System.Logger logger = System.getLogger("dev.stator.supervision.ActorRegistry");
    @Nullable ThreadFactory threadFactory;
    @Nullable FailureHandler onFailure;
    final List<UnaryOperator<Runnable>> carriers = new ArrayList<>();
    Duration closeTimeout = Supervisor.DEFAULT_CLOSE_TIMEOUT;
    Duration startTimeout = DEFAULT_START_TIMEOUT;

    Builder(String name, Starter<K, A> starter) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) throw new IllegalArgumentException("registry name must not be blank: '" + name + "'");
      this.name = name;
      this.starter = Objects.requireNonNull(starter, "starter");
    }

    /** Runs once per retired actor, after its tasks have ended. Default: nothing. */
    public Builder<K, A> cleanup(Cleanup<? super K, ? super A> cleanup) {
      this.cleanup = Objects.requireNonNull(cleanup, "cleanup");
      return this;
    }

    /** Where records go, the actors' supervisors' included. */
    public Builder<K, A> logger(System.Logger logger) {
      this.logger = Objects.requireNonNull(logger, "logger");
      return this;
    }

    /** The thread factory of every actor's supervisor (see {@link Supervisor.Builder#threadFactory}). */
    public Builder<K, A> threadFactory(ThreadFactory factory) {
      this.threadFactory = Objects.requireNonNull(factory, "threadFactory");
      return this;
    }

    /** The failure handler of every actor's supervisor (see {@link Supervisor.Builder#onFailure}). */
    public Builder<K, A> onFailure(FailureHandler handler) {
      this.onFailure = Objects.requireNonNull(handler, "onFailure");
      return this;
    }

    /** A context carrier for every actor's supervisor (see {@link Supervisor.Builder#wrap}). */
    public Builder<K, A> wrap(UnaryOperator<Runnable> carrier) {
      carriers.add(Objects.requireNonNull(carrier, "carrier"));
      return this;
    }

    /** How long {@link ActorRegistry#close()} waits, and each actor's supervisor's close timeout. */
    public Builder<K, A> closeTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "closeTimeout");
      if (timeout.isNegative()) throw new IllegalArgumentException("close timeout must not be negative: " + timeout);
      this.closeTimeout = timeout;
      return this;
    }

    /**
     * How long {@link ActorRegistry#getOrStart(Object)} waits for another caller's start of the
     * same key before it throws {@link ActorStartTimeoutException}. Default 30 seconds. It does
     * not bound a start the call runs itself.
     */
    public Builder<K, A> startTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "startTimeout");
      if (timeout.isNegative()) throw new IllegalArgumentException("start timeout must not be negative: " + timeout);
      this.startTimeout = timeout;
      return this;
    }

    /** A new, empty registry. */
    public ActorRegistry<K, A> build() {
      return new ActorRegistry<>(this);
    }
  }
}
