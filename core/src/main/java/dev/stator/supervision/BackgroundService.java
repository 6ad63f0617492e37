package dev.stator.supervision;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A service that runs on its own thread: {@link Service#startUp()}, then
 * {@link Service#run(StopSignal)} until it returns, then {@link Service#shutDown()}.
 *
 * {@snippet :
 * BackgroundService poller = BackgroundService.builder("poller").build(new BackgroundService.Service() {
 *   public void startUp() throws Exception { feed.connect(); }
 *   public void run(BackgroundService.StopSignal stop) throws Exception {
 *     while (!stop.await(Duration.ofSeconds(1))) feed.poll();
 *   }
 *   public void shutDown() throws Exception { feed.disconnect(); }
 * });
 * poller.start();
 * poller.awaitStarted(Duration.ofSeconds(5));     // throws ServiceFailedException if connect failed
 * boolean clean = poller.stop(Duration.ofSeconds(2));
 * }
 *
 * <h2>Starting</h2>
 * {@link #start()} starts the thread. {@link #awaitStarted} returns once {@code startUp}
 * returned, and is woken with a {@link ServiceFailedException} (its cause is what
 * {@code startUp} threw) if it failed, or a {@link CancellationException} if the service was
 * stopped before it started. A service whose {@code startUp} failed never runs
 * {@code run} or {@code shutDown}.
 *
 * <h2>Stopping</h2>
 * {@link #stop(Duration, Duration)} first asks politely: the {@link StopSignal} given to
 * {@code run} is raised ({@code run} should return soon after), and it waits up to the graceful
 * bound for the service's thread to end. If it has not, it forces cancellation: it interrupts the
 * thread and waits up to the second bound. It returns whether the stop was <em>clean</em>: the
 * thread ended within the graceful bound and no phase failed. It never hangs on a failing {@code shutDown}: it waits for the
 * thread to end, not for {@code shutDown} to succeed. From the service's own thread (for example
 * from {@code run}), it raises the signal and returns {@code false} at once, without waiting and
 * without interrupting. {@code shutDown} runs after {@code run} ended for any reason (returned,
 * threw, or was interrupted by a forced stop), with the interrupt status clear; a forced stop
 * interrupts {@code shutDown} too if that is what is still running after the graceful bound,
 * and that interruption is not a failure either (the service ends {@code STOPPED}). A stop requested
 * before {@code run} began (during {@code startUp}) skips {@code run}; {@code shutDown} still
 * runs, since {@code startUp} succeeded.
 *
 * <h2>What it logs</h2>
 * At {@code ERROR}, once each: {@code Service 'NAME' failed to start}, {@code Service 'NAME'
 * failed} (run threw), {@code Service 'NAME' failed to shut down}, each with the throwable; an
 * {@code InterruptedException} (or other cancellation, see {@link Task.Status#CANCELLED}) thrown
 * by any phase after a stop was requested is not a failure: it is not logged, is not
 * {@link #failure()} and does not make the state {@code FAILED}. At {@code WARNING}: {@code Service 'NAME' did
 * not stop within BOUND; interrupting it}, and {@code Service 'NAME' ignored cancellation: still
 * running after BOUND}.
 *
 * <h2>Thread safety</h2>
 * Every method may be called from any thread. Memory effects: {@code startUp} happens-before
 * {@code awaitStarted} returns; everything the service thread did happens-before
 * {@code stop} or {@link #awaitTerminated} returns {@code true} for having seen it end.
 */
public final class BackgroundService implements AutoCloseable {
  /* Design.
   *
   * States (`state`, written under `lock`, volatile for reads):
   *   NEW -> STARTING (start) -> RUNNING (startUp returned, service thread) -> STOPPING (stop)
   *   -> STOPPED | FAILED (service thread, at its very end).
   *   NEW -> STOPPED (stop before start; no thread ever runs).
   *   STARTING -> STOPPING (stop during startUp) -> ...
   *   STARTING/RUNNING -> STOPPED | FAILED (run returned or threw on its own).
   * Latches: `started` (startUp ended, well or not, or stopped before start), `terminated`
   * (the thread's last act, or stop before start), `stopSignal` (a stop was requested).
   * Fields written by the service thread before it counts a latch down (`startFailure`,
   * `startCancelled`, `failure`) are published by that latch; `forced` is written by a stopping
   * thread and read by stoppers.
   * Interrupt policy: only a forcing stopper interrupts the service thread (force(), always
   * after the signal was raised). Whatever phase is running then (startUp, run or shutDown)
   * may throw the interruption; a throwable that Cancellation.isCancellation classifies as the
   * cancellation, thrown while the signal is raised, is the stop and not a failure, in every
   * phase. The status is cleared before shutDown, so shutDown sees only a later force.
   * A stop never waits on anything but `terminated`, which the service thread counts down in a
   * finally block, so a throwing shutDown (or startUp, or run) cannot make it hang. */

  /** The phases of a service, all run on the service's thread. */
  public interface Service {
    /** Starts the service; "started" is signalled when this returns. Default: nothing. */
    default void startUp() throws Exception {}

    /**
     * Runs the service until it is done, or until {@code stop} is raised. A forced stop
     * interrupts it.
     */
    void run(StopSignal stop) throws Exception;

    /** Stops the service; runs after {@code run} ends, whatever ended it. Default: nothing. */
    default void shutDown() throws Exception {}
  }

  /** Raised when a stop is requested; given to {@link Service#run}. */
  public sealed interface StopSignal permits BackgroundService.Signal {
    /** Whether a stop has been requested. */
    boolean isRaised();

    /** Waits until a stop is requested. */
    void await() throws InterruptedException;

    /** Waits up to {@code timeout} for a stop request; returns whether one came. */
    boolean await(Duration timeout) throws InterruptedException;
  }

  /** The state of a service. */
  public enum State {
    /** Built, not started. */
    NEW,
    /** {@code startUp} is running. */
    STARTING,
    /** {@code startUp} returned; {@code run} is running. */
    RUNNING,
    /** A stop was requested and the thread has not ended yet. */
    STOPPING,
    /** The thread ended and no phase failed (or it never started). */
    STOPPED,
    /** The thread ended and a phase failed. */
    FAILED
  }

  /** The default of {@link Builder#stopTimeout}. */
  public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(5);

  private final String name;
  private final Service service;
  private final @Nullable ThreadFactory threadFactory;
  private final System.Logger logger;
  private final Duration stopTimeout;

  private final ReentrantLock lock = new ReentrantLock();
  private volatile State state = State.NEW; // written under lock
  private @Nullable Thread thread; // guarded by lock
  private final CountDownLatch started = new CountDownLatch(1);
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final Signal stopSignal = new Signal();
  private @Nullable Throwable startFailure; // service thread, before `started`
  private boolean startCancelled; // service thread or stop-before-start, before `started`
  private volatile @Nullable Throwable failure; // service thread: the first failure
  private volatile boolean forced; // a stopper had to interrupt

  private BackgroundService(Builder b, Service service) {
    this.name = b.name;
    this.service = service;
    this.threadFactory = b.threadFactory;
    this.logger = b.logger;
    this.stopTimeout = b.stopTimeout;
  }

  /** Starts building a service called {@code name}. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The service's name. */
  public String name() {
    return name;
  }

  /** The state now. */
  public State state() {
    return state;
  }

  /** The first failure of any phase, or {@code null}. */
  public @Nullable Throwable failure() {
    return failure;
  }

  /**
   * Starts the service's thread, which runs {@code startUp}, {@code run}, {@code shutDown}.
   *
   * @throws IllegalStateException if it was started or stopped before, or the thread factory
   *     returned {@code null}
   */
  public void start() {
    lock.lock();
    try {
      if (state != State.NEW) {
        throw new IllegalStateException("service '" + name + "' cannot start: it is " + state);
      }
      Thread t = newThread();
      thread = t;
      state = State.STARTING;
      try {
        t.start();
      } catch (Throwable e) { // no thread: the caller receives the error, waiters are woken
        state = State.FAILED;
        failure = e;
        startFailure = e;
        started.countDown();
        terminated.countDown();
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  private Thread newThread() {
    ThreadFactory f = threadFactory;
    if (f == null) return Thread.ofVirtual().name(name).unstarted(this::runService);
    Thread t = f.newThread(this::runService);
    if (t == null) throw new IllegalStateException("the thread factory of service '" + name + "' returned null");
    return t;
  }

  private void runService() {
    try {
      boolean up = false;
      try {
        service.startUp();
        up = true;
      } catch (Throwable t) {
        if (stopSignal.isRaised() && Cancellation.isCancellation(t, Thread.currentThread().isInterrupted())) {
          startCancelled = true;
        } else {
          startFailure = t;
          fail("failed to start", t);
        }
      }
      if (!up) return;
      lock.lock();
      try {
        if (state == State.STARTING) state = State.RUNNING;
      } finally {
        lock.unlock();
      }
      started.countDown();
      if (!stopSignal.isRaised()) {
        try {
          service.run(stopSignal);
        } catch (Throwable t) {
          if (!(stopSignal.isRaised() && Cancellation.isCancellation(t, Thread.currentThread().isInterrupted()))) {
            fail("failed", t);
          }
        }
      }
      Thread.interrupted(); // shutDown runs with a clear interrupt status
      try {
        service.shutDown();
      } catch (Throwable t) {
        // A stop that had to force (interrupt) a slow shutDown is a stop, not a failure.
        if (!(stopSignal.isRaised() && Cancellation.isCancellation(t, Thread.currentThread().isInterrupted()))) {
          fail("failed to shut down", t);
        }
      }
    } finally {
      lock.lock();
      try {
        state = failure != null ? State.FAILED : State.STOPPED;
      } finally {
        lock.unlock();
      }
      started.countDown();
      terminated.countDown();
    }
  }

  private void fail(String what, Throwable t) {
    if (failure == null) failure = t;
    Cancellation.log(logger, Level.ERROR, "Service '" + name + "' " + what, t);
  }

  /**
   * Waits up to {@code timeout} until the service has started.
   *
   * @throws ServiceFailedException if {@code startUp} threw; the cause is what it threw
   * @throws CancellationException if the service was stopped before it started
   * @throws TimeoutException if it has not started within {@code timeout} (also when it was
   *     never started)
   * @throws InterruptedException if the caller is interrupted while waiting
   */
  public void awaitStarted(Duration timeout) throws InterruptedException, TimeoutException {
    if (!started.await(Cancellation.nanos(timeout, "start timeout"), TimeUnit.NANOSECONDS)) {
      throw new TimeoutException("service '" + name + "' did not start within " + timeout);
    }
    Throwable f = startFailure;
    if (f != null) throw new ServiceFailedException("service '" + name + "' failed to start: " + f, f);
    if (startCancelled) throw new CancellationException("service '" + name + "' was stopped before it started");
  }

  /**
   * Stops the service: {@code stop(bound, bound)}, so it waits at most twice {@code bound} in all.
   */
  public boolean stop(Duration bound) throws InterruptedException {
    return stop(bound, bound);
  }

  /**
   * Stops the service: raises the stop signal and waits up to {@code graceful} for its thread
   * to end; if it has not, forces cancellation (interrupts it) and waits up to
   * {@code afterForce} more. See the class comment.
   *
   * @return whether the stop was clean: the thread ended within {@code graceful}, no stop had
   *     to force it, and no phase failed; {@code false} when called from the service's own thread
   * @throws InterruptedException if the caller is interrupted while waiting; the service has
   *     been interrupted (forced) before this is thrown
   */
  public boolean stop(Duration graceful, Duration afterForce) throws InterruptedException {
    long nanos = Cancellation.nanos(graceful, "graceful stop bound");
    long forceNanos = Cancellation.nanos(afterForce, "forced stop bound");
    Thread t;
    lock.lock();
    try {
      switch (state) {
        case NEW -> {
          state = State.STOPPED;
          startCancelled = true;
          stopSignal.raise();
          started.countDown();
          terminated.countDown();
          return true;
        }
        case STARTING, RUNNING -> state = State.STOPPING;
        case STOPPING, STOPPED, FAILED -> { }
        default -> throw new AssertionError(state);
      }
      stopSignal.raise();
      t = thread;
    } finally {
      lock.unlock();
    }
    if (Thread.currentThread() == t) return false; // never block on, nor interrupt, itself
    boolean ended;
    try {
      ended = terminated.await(nanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      force(t);
      throw e;
    }
    if (ended) return isClean();
    Cancellation.log(logger, Level.WARNING, "Service '" + name + "' did not stop within " + graceful
        + "; interrupting it", null);
    force(t);
    if (!terminated.await(forceNanos, TimeUnit.NANOSECONDS)) {
      Cancellation.log(logger, Level.WARNING, "Service '" + name
          + "' ignored cancellation: still running after " + afterForce, null);
    }
    return false;
  }

  private void force(@Nullable Thread t) {
    forced = true;
    if (t != null) t.interrupt();
  }

  private boolean isClean() {
    return terminated.getCount() == 0 && failure == null && !forced;
  }

  /** Waits up to {@code timeout} for the service's thread to end; returns whether it has. */
  public boolean awaitTerminated(Duration timeout) throws InterruptedException {
    return terminated.await(Cancellation.nanos(timeout, "termination timeout"), TimeUnit.NANOSECONDS);
  }

  /**
   * Stops with the {@linkplain Builder#stopTimeout stop timeout} as both bounds. If the caller is interrupted
   * while waiting, it stops waiting (the service has been interrupted) and re-asserts its
   * interrupt status.
   */
  @Override
  public void close() {
    try {
      stop(stopTimeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "BackgroundService[" + name + " " + state + "]";
  }

  static final class Signal implements StopSignal {
    private final CountDownLatch raised = new CountDownLatch(1);

    void raise() {
      raised.countDown();
    }

    @Override
    public boolean isRaised() {
      return raised.getCount() == 0;
    }

    @Override
    public void await() throws InterruptedException {
      raised.await();
    }

    @Override
    public boolean await(Duration timeout) throws InterruptedException {
      return raised.await(Cancellation.nanos(timeout, "timeout"), TimeUnit.NANOSECONDS);
    }
  }

  /** Configures a {@link BackgroundService}. */
  public static final class Builder {
    final String name;
    @Nullable ThreadFactory threadFactory;
    System.Logger logger = System.getLogger("dev.stator.supervision.BackgroundService");
    Duration stopTimeout = DEFAULT_STOP_TIMEOUT;

    Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) throw new IllegalArgumentException("service name must not be blank: '" + name + "'");
      this.name = name;
    }

    /** Makes the service's thread. Default: a virtual thread named after the service. */
    public Builder threadFactory(ThreadFactory factory) {
      this.threadFactory = Objects.requireNonNull(factory, "threadFactory");
      return this;
    }

    /** Where records go. Default: {@code System.getLogger("dev.stator.supervision.BackgroundService")}. */
    public Builder logger(System.Logger logger) {
      this.logger = Objects.requireNonNull(logger, "logger");
      return this;
    }

    /** The bound {@link BackgroundService#close()} passes to {@code stop}. Default 5 seconds. */
    public Builder stopTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "stopTimeout");
      if (timeout.isNegative()) throw new IllegalArgumentException("stop timeout must not be negative: " + timeout);
      this.stopTimeout = timeout;
      return this;
    }

    /** A new service, not started, running {@code service}. */
    public BackgroundService build(Service service) {
      return new BackgroundService(this, Objects.requireNonNull(service, "service"));
    }
  }
}
