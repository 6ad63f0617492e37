package dev.stator.supervision;

import java.lang.reflect.UndeclaredThrowableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Ordered setup, reverse teardown: a stack of steps, each set up by {@link #enter} (or
 * registered by {@link #defer}) and torn down, last first, by {@link #close()}.
 *
 * {@snippet :
 * String reply = Lifespan.call("server", life -> {
 *   Database db = life.enter("db", Database::open);                      // AutoCloseable
 *   Cache cache = life.enter("cache", () -> Cache.warm(db), Cache::drop); // setup + teardown
 *   life.defer("metrics", metrics::flush);                               // teardown only
 *   return serve(db, cache);
 * });                                  // flushes metrics, drops the cache, closes the db
 * }
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Setup in order: a step's setup runs on the calling thread when {@code enter} is called;
 *       if it throws, nothing is registered for it, and with {@link #call} the body stops there,
 *       so later steps never start while every earlier step is torn down.
 *   <li>Teardown in reverse order, whatever the body did: returned, threw, or was interrupted.
 *   <li>A failing teardown does not stop the others.
 *   <li>All errors surface: the first (the body's, or else the first teardown's in teardown
 *       order) is thrown, each other one is added to it as suppressed, in teardown order. With
 *       try-with-resources instead of {@link #call}, Java adds {@link #close()}'s exception to
 *       the body's as suppressed, so the teardown errors are one level deeper.
 *   <li>Interruption propagates after teardown: teardown runs with the interrupt status clear
 *       (so a teardown can still wait for what it stops), and afterwards the interruption is
 *       re-asserted — the body's {@code InterruptedException} is rethrown, or the interrupt
 *       status is set again. An interrupt that arrives during teardown is treated the same way:
 *       the remaining teardowns still run.
 * </ul>
 * Teardown errors are thrown as they were thrown (not wrapped), so callers can catch them by
 * type. A lifespan logs nothing.
 *
 * <h2>Thread safety</h2>
 * {@code enter}, {@code defer} and {@code close} may be called from any thread; a lifespan may
 * be opened on one thread and closed on another. Teardowns run on the thread that closes it.
 * Once closing has begun, {@code enter} and {@code defer} are refused with an
 * {@link IllegalStateException} naming the lifespan and the step; a setup that was running when
 * closing began is torn down by the thread that ran it as soon as it returns, and that thread
 * then gets that exception. {@link #close()} waits until every setup running on another thread
 * has ended (so torn down, or failed) before it tears down any earlier step: the order stays
 * reverse, and {@code close} returns only once every step is torn down. It waits for as long as
 * such a setup takes (cancel a stuck setup by interrupting its thread); if the closing thread is
 * interrupted while it waits, it stops waiting, tears down the other steps, and re-asserts its
 * interruption, and the setup's own thread still tears its step down when it returns. A setup
 * that closes its own lifespan is not waited for (its step is torn down after it returns).
 * Memory effects: a step's setup happens-before its teardown, and the end of a setup under way
 * when closing began happens-before the teardown of the steps set up before it.
 */
public final class Lifespan implements AutoCloseable {
  /* Design.
   *
   * States: OPEN (steps may be added) -> CLOSED (`closed`; the steps list was taken by the
   * closing thread). `steps`, `closed` and `settingUp` are guarded by `lock`; the closing thread
   * runs the teardowns outside the lock, so a teardown may itself use the lifespan (and be
   * refused).
   *
   * Setups. enter() adds its thread to `settingUp` (refused if closed) and runs the setup
   * outside the lock. Afterwards, under the lock, it either adds its step (OPEN) or, if closing
   * has begun, tears the step down on its own thread (interrupt status clear, restored after)
   * and only then leaves `settingUp` and signals `setupEnded`; a failed setup leaves at once.
   * So nothing set up is ever lost.
   *
   * Closing. The closer sets `closed` under the lock (from then on no setup begins), then
   * waits on `setupEnded` until no thread but itself is in `settingUp`, then takes `steps` and
   * tears them down in reverse. So step k (under way) is torn down before k-1, and close()
   * returns after both. An interrupt ends the wait early (recorded, re-asserted after the
   * teardown, as for an interrupt that arrives during teardown); the setup's thread still
   * tears its own step down. A later close() returns at once (it does not wait for the first).
   *
   * Happens-before: adding a step under `lock` precedes the closer taking the list; a setup's
   * end (leaving `settingUp` under `lock`) precedes the closer's teardown of earlier steps. */

  /** Sets up a step's resource. */
  @FunctionalInterface
  public interface Setup<R> {
    /** Opens the resource; must not return {@code null}. */
    R open() throws Exception;
  }

  /** Tears down a step's resource. */
  @FunctionalInterface
  public interface Teardown<R> {
    /** Closes {@code resource}. */
    void close(R resource) throws Exception;
  }

  /** The body of {@link #call}: sets up its steps with the lifespan, then does its work. */
  @FunctionalInterface
  public interface Body<T extends @Nullable Object> {
    /** Runs with {@code lifespan}, which is closed when this returns or throws. */
    T run(Lifespan lifespan) throws Exception;
  }

  private record Step(String name, Action teardown) {}

  private final String name;
  private final ReentrantLock lock = new ReentrantLock();
  private final List<Step> steps = new ArrayList<>(); // guarded by lock
  private boolean closed; // guarded by lock
  // Guarded by lock: the thread of each setup under way (one entry per setup; a thread may nest).
  private final List<Thread> settingUp = new ArrayList<>();
  private final Condition setupEnded = lock.newCondition(); // signalled when `settingUp` shrinks

  private Lifespan(String name) {
    this.name = name;
  }

  /** An open, empty lifespan called {@code name}; close it to tear its steps down. */
  public static Lifespan open(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) throw new IllegalArgumentException("lifespan name must not be blank: '" + name + "'");
    return new Lifespan(name);
  }

  /**
   * Opens a lifespan, runs {@code body} with it, and closes it whatever the body did; see the
   * class comment for the order and for how errors and interruption surface.
   *
   * @return what the body returned, if neither it nor any teardown threw
   * @throws Exception the body's exception, or else the first teardown's, with every other error
   *     suppressed in it (an {@code Error} is thrown as it is)
   */
  public static <T extends @Nullable Object> T call(String name, Body<T> body) throws Exception {
    Objects.requireNonNull(body, "body");
    Lifespan life = open(name);
    T result = null;
    Throwable primary = null;
    try {
      result = body.run(life);
    } catch (Throwable t) {
      primary = t;
    }
    Throwable error = life.teardown(primary);
    if (error != null) throw rethrow(error);
    return result;
  }

  /** The lifespan's name. */
  public String name() {
    return name;
  }

  /**
   * Sets up a step on the calling thread and registers {@code teardown} for its resource.
   *
   * @param step the step's name, for messages
   * @return the resource
   * @throws IllegalStateException if the lifespan is closed (the setup does not run), or was
   *     closed while the setup ran (the resource has been torn down; a teardown error is
   *     suppressed in this exception)
   * @throws Exception whatever the setup threw; nothing is registered
   */
  public <R> R enter(String step, Setup<? extends R> setup, Teardown<? super R> teardown) throws Exception {
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(setup, "setup");
    Objects.requireNonNull(teardown, "teardown");
    beginSetup(step);
    R resource;
    try {
      resource = setup.open();
      if (resource == null) {
        throw new NullPointerException("the setup of step '" + step + "' of lifespan '" + name + "' returned null");
      }
    } catch (Throwable t) {
      endSetup();
      throw t;
    }
    add(new Step(step, () -> teardown.close(resource)), true);
    return resource;
  }

  /** Sets up a step whose resource is torn down by its own {@link AutoCloseable#close()}. */
  public <R extends AutoCloseable> R enter(String step, Setup<? extends R> setup) throws Exception {
    return enter(step, setup, AutoCloseable::close);
  }

  /** Registers a teardown with no resource; it runs in reverse order with the others. */
  public void defer(String step, Action teardown) {
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(teardown, "teardown");
    checkOpen(step);
    add(new Step(step, teardown), false);
  }

  /** The names of the steps registered and not yet torn down, in setup order. */
  public List<String> steps() {
    lock.lock();
    try {
      return steps.stream().map(Step::name).toList();
    } finally {
      lock.unlock();
    }
  }

  /** Whether closing has begun. */
  public boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Tears every step down in reverse order; later calls do nothing. A setup under way on
   * another thread is waited for first (see the class comment), so its step is torn down first.
   *
   * @throws Exception the first teardown error (in teardown order) with the others suppressed
   */
  @Override
  public void close() throws Exception {
    Throwable error = teardown(null);
    if (error != null) throw rethrow(error);
  }

  private void checkOpen(String step) {
    lock.lock();
    try {
      if (closed) throw closedError(step);
    } finally {
      lock.unlock();
    }
  }

  /** Refuses the step if closed, else counts the calling thread as setting up. */
  private void beginSetup(String step) {
    lock.lock();
    try {
      if (closed) throw closedError(step);
      settingUp.add(Thread.currentThread());
    } finally {
      lock.unlock();
    }
  }

  /** The calling thread's setup is over (registered, failed, or torn down by itself). */
  private void endSetup() {
    lock.lock();
    try {
      settingUp.remove(Thread.currentThread());
      setupEnded.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private IllegalStateException closedError(String step) {
    return new IllegalStateException("lifespan '" + name + "' is closed; step '" + step + "' not started");
  }

  /**
   * Registers {@code step}, or, if closing has begun, tears it down on the calling thread and
   * throws. {@code fromSetup}: the caller counted itself in `settingUp`, and leaves it here,
   * after registering or after that teardown, so a closer waiting for it tears down the earlier
   * steps only once this one is gone.
   */
  private void add(Step step, boolean fromSetup) {
    lock.lock();
    try {
      if (!closed) {
        steps.add(step);
        if (fromSetup) {
          settingUp.remove(Thread.currentThread());
          setupEnded.signalAll();
        }
        return;
      }
    } finally {
      lock.unlock();
    }
    IllegalStateException e = new IllegalStateException("lifespan '" + name
        + "' was closed while step '" + step.name() + "' was starting; it has been torn down");
    boolean interrupted = Thread.interrupted(); // torn down with a clear status, like any step
    try {
      step.teardown().run();
    } catch (Throwable t) {
      if (t instanceof InterruptedException) interrupted = true;
      e.addSuppressed(t);
    } finally {
      if (Thread.interrupted()) interrupted = true;
      if (fromSetup) endSetup();
      if (interrupted) Thread.currentThread().interrupt();
    }
    throw e;
  }

  /**
   * Closes and tears down every step in reverse, with the interrupt status clear; returns
   * {@code primary} (or else the first teardown error) carrying the other errors as
   * suppressed, or {@code null}; re-asserts an interruption unless the returned error is one.
   */
  private @Nullable Throwable teardown(@Nullable Throwable primary) {
    boolean interrupted = Thread.interrupted() || primary instanceof InterruptedException;
    List<Step> toTear;
    lock.lock();
    try {
      if (closed) {
        toTear = List.of();
      } else {
        closed = true;
        // A setup under way on another thread ends (registered and then torn down by its own
        // thread, or failed) before any earlier step is torn down. An interrupt stops the wait:
        // that setup's thread still tears its step down when it returns.
        try {
          while (settingUpElsewhere()) setupEnded.await();
        } catch (InterruptedException e) {
          interrupted = true;
        }
        toTear = new ArrayList<>(steps);
        steps.clear();
      }
    } finally {
      lock.unlock();
    }
    Throwable first = primary;
    for (int i = toTear.size() - 1; i >= 0; i--) {
      try {
        toTear.get(i).teardown().run();
      } catch (Throwable t) {
        if (t instanceof InterruptedException) interrupted = true;
        if (first == null) first = t;
        else if (first != t) first.addSuppressed(t);
      }
      if (Thread.interrupted()) interrupted = true; // the next teardown still runs undisturbed
    }
    if (interrupted && !(first instanceof InterruptedException)) Thread.currentThread().interrupt();
    return first;
  }

  /** Whether a thread other than the caller is inside a setup. Called under {@code lock}. */
  private boolean settingUpElsewhere() {
    Thread me = Thread.currentThread();
    for (Thread t : settingUp) {
      if (t != me) return true;
    }
    return false;
  }

  private static Exception rethrow(Throwable t) {
    if (t instanceof Error e) throw e;
    if (t instanceof Exception e) return e;
    return new UndeclaredThrowableException(t);
  }

  @Override
  public String toString() {
    return "Lifespan[" + name + " " + steps() + (isClosed() ? " closed" : "") + "]";
  }
}
