package dev.stator;

import dev.stator.supervision.Action;
import dev.stator.supervision.Supervisor;
import dev.stator.supervision.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * The implementation of {@link StateScope}.
 */
final class Scope<S> implements StateScope<S> {
  /* Design.
   *
   * States (phase, guarded by `lock`): OPEN -> ENDED -> CLOSED.
   *   OPEN   from creation (on the draining thread, in a final handler, for an active state);
   *   ENDED  set by the draining thread at the commit that deactivates or re-enters the state
   *          (end()): tasks are interrupted, bound waits cancelled, new work refused;
   *   CLOSED set by the draining thread after that transition's final handlers (close()):
   *          tasks awaited up to the bound, then `owned` closed in reverse, exactly once.
   * Who writes what: `owned`, `waits` and `phase` under `lock` (any thread registers work);
   * `tasks` is created once under `lock` and is itself thread-safe.
   * Happens-before: a registration that succeeded (under lock, phase OPEN) happens-before end()
   * (same lock), so close() sees every registered resource and task; a registration after end()
   * fails and releases what it was given. Mutations through the view are checked against the
   * state's clock on the draining thread when they run (MachineImpl.execute).
   *
   * Bound waits: `waits` is a concurrent set swapped under `lock` (bind adds while OPEN, end()
   * takes it); a bound wait removes itself from the set it joined when its future completes
   * (completion, failure, cancellation, an await that timed out), without the lock, on whichever
   * thread completed it (often the draining thread: a set removal, never a user callback). So a
   * polling loop that binds a wait per round keeps nothing.
   *
   * Holds: hold() starts a Holder thread and waits for it to enter. If that wait is interrupted,
   * hold throws InterruptedException and abandons the Holder: its release is signalled at once,
   * so the holder thread exits the context on its own thread as soon as enter returns (an exit
   * failure is logged; nobody else can receive it) and then ends. If the scope ended while the
   * holder was entering, hold releases it (waiting for the exit up to the bound) and throws.
   * Either way a context that was entered is exited by its thread and no holder parks forever.
   *
   * Interrupt policy (docs/spec.md §12): close() is not broken by an interrupt of the closing thread.
   * It clears the status on entry and records it; its bounded waits (tasks, then each held
   * context's exit) catch InterruptedException, record it and go on waiting for what is left of
   * their bound (cancelAll is idempotent and is called again with the remaining time); the
   * status is cleared again before each resource close, so every close and exit starts with a
   * clear status; close re-asserts the interrupt when it returns. The same holds for the release
   * in hold()'s ended path. A task that closes its own scope is interrupted by cancelAll (its
   * own cancellation): that interrupt is delivered the same way, when close returns.
   * Bounds: every Duration is accepted; one too long for a long of nanoseconds saturates (a
   * deadline by difference with the time's nanoTime() is exact up to Long.MAX_VALUE). Bounds are
   * measured on the machine's Time (spec TM1): with a fake time, the waits for tasks and held
   * contexts end when the fake time passes the bound (TimedWait), never in real time.
   * Delayed mutations made through the view are kept in `delayed` like bound waits (swapped under
   * `lock`, removed from without it) and cancelled by end() (spec TM5). */

  private static final int OPEN = 0;
  private static final int ENDED = 1;
  private static final int CLOSED = 2;

  final MachineImpl<S> machine;
  final int index;
  final long tick;
  private final ScopedMachine<S> view;
  private final Object lock = new Object();
  private int phase = OPEN;
  private final List<Object> owned = new ArrayList<>(); // AutoCloseable or Holder, in order
  private @Nullable Set<Wait> waits; // concurrent; swapped under lock, removed from without it
  private @Nullable Set<DelayedMutation> delayed; // likewise: its scheduled delayed mutations
  private @Nullable Supervisor tasks;
  private final java.util.Map<Thread, String> taskThreads =
      new java.util.concurrent.ConcurrentHashMap<>(); // running task bodies, by thread

  Scope(MachineImpl<S> machine, int index, long tick) {
    this.machine = machine;
    this.index = index;
    this.tick = tick;
    this.view = new ScopedMachine<>(machine, this);
  }

  @Override
  public String state() {
    return machine.schema.names[index];
  }

  @Override
  public long activation() {
    return tick;
  }

  @Override
  public boolean isCurrent() {
    return machine.tickAt(index) == tick;
  }

  @Override
  public Machine<S> machine() {
    return view;
  }

  @Override
  public Task<@Nullable Void> fork(String name, Action body) {
    Objects.requireNonNull(body, "body");
    return call(name, () -> {
      body.run();
      return null;
    });
  }

  @Override
  public <T extends @Nullable Object> Task<T> call(String name, Callable<? extends T> body) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(body, "body");
    synchronized (lock) {
      requireOpen("fork task '" + name + "'");
      return supervisor().fork(name, () -> {
        Thread me = Thread.currentThread();
        taskThreads.put(me, name);
        machine.taskRunning(1);
        boolean traced = machine.config.tracing;
        if (traced) machine.trace(() -> machine.config.tracer.taskStarted(machine, this, name));
        Throwable failure = null;
        try { // marks the thread as this machine's task: its mutations drain elsewhere
          return ScopedValue.where(MachineImpl.TASK_OF, machine).call(body::call);
        } catch (Throwable t) {
          failure = t;
          throw t;
        } finally {
          machine.taskRunning(-1);
          taskThreads.remove(me);
          if (traced) taskEnded(name, failure);
        }
      });
    }
  }

  /** Tells the tracers a task ended; on the task's thread. */
  private void taskEnded(String name, @Nullable Throwable failure) {
    boolean cancelled = failure != null && (failure instanceof InterruptedException
        || failure instanceof java.util.concurrent.CancellationException
        || Thread.currentThread().isInterrupted() || !isOpen());
    machine.trace(() -> machine.config.tracer.taskEnded(machine, this, name, failure, cancelled));
  }

  private boolean isOpen() {
    synchronized (lock) {
      return phase == OPEN;
    }
  }

  /** A resource's name for tracers: its class's simple name (or its name, if anonymous). */
  private static String nameOf(Object owned) {
    Class<?> c = owned.getClass();
    return c.getSimpleName().isEmpty() ? c.getName() : c.getSimpleName();
  }

  private void traceOpened(Object owned) {
    if (!machine.config.tracing) return;
    Tracer t = machine.config.tracer;
    if (owned instanceof Holder h) {
      machine.trace(() -> t.contextHeld(machine, this, h.name));
    } else {
      machine.trace(() -> t.resourceOpened(machine, this, nameOf(owned)));
    }
  }

  private void traceClosed(Object owned, @Nullable Throwable failure) {
    if (!machine.config.tracing) return;
    Tracer t = machine.config.tracer;
    if (owned instanceof Holder h) {
      machine.trace(() -> t.contextReleased(machine, this, h.name, failure));
    } else {
      machine.trace(() -> t.resourceClosed(machine, this, nameOf(owned), failure));
    }
  }

  private Supervisor supervisor() {
    Supervisor sup = tasks;
    if (sup == null) tasks = sup = machine.supervisorFor(this);
    return sup;
  }

  @Override
  public <R extends AutoCloseable, E extends Exception> R open(Opener<R, E> opener) throws E {
    Objects.requireNonNull(opener, "opener");
    R resource = opener.open();
    Objects.requireNonNull(resource, "opener returned null");
    boolean kept;
    synchronized (lock) {
      kept = phase == OPEN;
      if (kept) owned.add(resource);
    }
    if (kept) {
      traceOpened(resource);
      return resource;
    }
    IllegalStateException ended = ended("open a resource");
    try {
      resource.close();
    } catch (Exception e) {
      ended.addSuppressed(e);
    }
    throw ended;
  }

  @Override
  public void hold(String name, Context context) throws Exception {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(context, "context");
    synchronized (lock) {
      requireOpen("hold '" + name + "'");
    }
    Holder h = new Holder(name, context, machine.id());
    h.start(machine.holderFactory());
    try {
      h.awaitEntered();
    } catch (InterruptedException e) {
      h.abandon(); // exits on its own thread as soon as it has entered
      throw e;
    }
    boolean kept;
    synchronized (lock) {
      kept = phase == OPEN;
      if (kept) owned.add(h);
    }
    if (kept) {
      traceOpened(h);
      return;
    }
    IllegalStateException ended = ended("hold '" + name + "'");
    Interrupts interrupts = new Interrupts();
    Throwable t = h.release(machine.config.time, machine.scopeCloseBound(), interrupts);
    interrupts.restore();
    if (t != null) ended.addSuppressed(t);
    throw ended;
  }

  @Override
  public Wait bind(Wait wait) {
    Objects.requireNonNull(wait, "wait");
    if (wait.isDone()) return wait; // nothing left to cancel: not kept
    Set<Wait> joined;
    synchronized (lock) {
      joined = phase == OPEN ? waits : null;
      if (phase == OPEN) {
        if (joined == null) waits = joined = java.util.concurrent.ConcurrentHashMap.newKeySet();
        joined.add(wait);
      }
    }
    if (joined == null) {
      cancel(wait);
      return wait;
    }
    Set<Wait> from = joined;
    ((WaitBase) wait).done.whenComplete((v, t) -> from.remove(wait)); // done: leaves the scope
    return wait;
  }

  /**
   * Takes a delayed mutation made through this scope's machine (spec TM5); false if the scope
   * has ended (the caller cancels it). It leaves the scope when it fires or is cancelled.
   */
  boolean own(DelayedMutation d) {
    synchronized (lock) {
      if (phase != OPEN) return false;
      Set<DelayedMutation> ds = delayed;
      if (ds == null) delayed = ds = java.util.concurrent.ConcurrentHashMap.newKeySet();
      ds.add(d);
      return true;
    }
  }

  /** A delayed mutation of this scope fired or was cancelled; any thread, no lock. */
  void delayedEnded(DelayedMutation d) {
    Set<DelayedMutation> ds = delayed;
    if (ds != null) ds.remove(d);
  }

  /** The reason of a mutation refused because this scope ended (as RS1 words it). */
  String endedReason() {
    return "the scope of " + state() + " (activation " + tick + ") has ended";
  }

  /** The number of delayed mutations this scope still owns (tests). */
  int scheduled() {
    synchronized (lock) {
      return delayed == null ? 0 : delayed.size();
    }
  }

  /** Ends the scope (draining thread, at commit): interrupts tasks, cancels waits and timers. */
  void end() {
    Set<Wait> ws;
    Set<DelayedMutation> ds;
    Supervisor sup;
    synchronized (lock) {
      if (phase != OPEN) return;
      phase = ENDED;
      ws = waits;
      waits = null;
      ds = delayed;
      delayed = null;
      sup = tasks;
    }
    if (ds != null) {
      String why = endedReason();
      for (DelayedMutation d : ds) d.cancel(why);
    }
    if (sup != null) {
      sup.shutdown();
      for (Task<?> t : sup.tasks()) t.cancel(); // interrupts; awaited in close()
    }
    if (ws != null) {
      for (Wait w : ws) cancel(w);
    }
  }

  /**
   * Closes the scope (draining thread, after the final handlers): waits for tasks up to the
   * bound, then closes resources and releases holds in reverse order. Returns the failures as one
   * exception, or null. An interrupt of the calling thread does not cut it short; it is
   * re-asserted on return (see the interrupt policy in the design notes).
   */
  @Nullable ScopeCloseException close(Duration bound) {
    Interrupts interrupts = new Interrupts();
    interrupts.clear(); // a close starts with a clear status (see the interrupt policy)
    try {
      return closeUninterruptibly(bound, interrupts);
    } finally {
      interrupts.restore();
    }
  }

  private @Nullable ScopeCloseException closeUninterruptibly(Duration bound,
      Interrupts interrupts) {
    end();
    List<Object> toClose;
    Supervisor sup;
    synchronized (lock) {
      if (phase == CLOSED) return null;
      phase = CLOSED;
      toClose = new ArrayList<>(owned);
      owned.clear();
      sup = tasks;
    }
    List<Throwable> failures = new ArrayList<>();
    Time time = machine.config.time; // the bound passes on the machine's time (TM1)
    if (sup != null) {
      long deadline = time.nanoTime() + saturatedNanos(bound);
      boolean ended;
      if (machine.config.fakeTime != null) {
        ended = awaitTasks(sup, time, deadline, interrupts);
      } else {
        for (;;) {
          try {
            ended = sup.cancelAll(Duration.ofNanos(TimedWait.remaining(time, deadline)));
            break;
          } catch (InterruptedException e) { // not cut short: wait out the rest of the bound
            interrupts.seen = true;
            if (TimedWait.remaining(time, deadline) == 0) {
              ended = false;
              break;
            }
          }
        }
      }
      interrupts.clear(); // cancelAll interrupts a closing task last: resources close clear
      if (!ended) {
        List<String> stuck = new ArrayList<>();
        for (Task<?> t : sup.tasks()) stuck.add(t.name());
        String self = taskThreads.get(Thread.currentThread());
        if (self != null) stuck.remove(self); // a task that closes its own scope goes on after
        if (!stuck.isEmpty()) {
          failures.add(new IllegalStateException("tasks " + stuck + " did not end within "
              + bound + " after their scope ended; resources closed anyway"));
        }
      }
    }
    for (int i = toClose.size() - 1; i >= 0; i--) {
      Object o = toClose.get(i);
      Throwable failure = null;
      try {
        if (o instanceof Holder h) {
          failure = h.release(time, bound, interrupts);
        } else {
          ((AutoCloseable) o).close();
        }
      } catch (Throwable t) {
        failure = t;
      }
      if (failure != null) failures.add(failure);
      traceClosed(o, failure);
      interrupts.clear(); // the next close starts clear too
    }
    if (failures.isEmpty()) return null;
    ScopeCloseException e = new ScopeCloseException("scope of " + state() + " (activation "
        + tick + ") of machine " + machine.id() + " closed with " + failures.size()
        + " failure(s): " + failures.get(0));
    for (Throwable t : failures) e.addSuppressed(t);
    return e;
  }

  /**
   * With a fake time: interrupts the tasks and waits for them (all but the calling thread's own)
   * until the deadline passes on that time, uninterruptibly; whether they all ended.
   */
  private boolean awaitTasks(Supervisor sup, Time time, long deadline, Interrupts interrupts) {
    String self = taskThreads.get(Thread.currentThread());
    List<CompletableFuture<?>> running = new ArrayList<>();
    for (Task<?> t : sup.tasks()) {
      t.cancel();
      if (!t.name().equals(self)) running.add(t.future());
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(running.toArray(CompletableFuture[]::new));
    for (;;) {
      try {
        if (TimedWait.await(time, all, TimedWait.remaining(time, deadline))) return true;
        if (TimedWait.remaining(time, deadline) == 0) return all.isDone();
      } catch (InterruptedException e) { // not cut short: wait out the rest of the bound
        interrupts.seen = true;
      }
    }
  }

  /** Whether the scope has been closed (tests). */
  boolean isClosed() {
    synchronized (lock) {
      return phase == CLOSED;
    }
  }

  /** Counts of live tasks and owned resources/holds (tests). */
  int live() {
    synchronized (lock) {
      return owned.size() + (tasks == null ? 0 : tasks.running());
    }
  }

  /** The number of waits bound to this scope and not yet released (tests). */
  int boundWaits() {
    synchronized (lock) {
      return waits == null ? 0 : waits.size();
    }
  }

  private void requireOpen(String what) {
    if (phase != OPEN) throw ended(what);
  }

  private ScopeEndedException ended(String what) {
    return new ScopeEndedException("cannot " + what + ": the scope of " + state()
        + " (activation " + tick + ") of machine " + machine.id() + " has ended");
  }

  private void cancel(Wait w) {
    if (w instanceof MachineWait m) {
      m.cancel("the scope of " + state() + " ended");
    } else {
      w.cancel();
    }
  }

  @Override
  public String toString() {
    return "StateScope[" + machine.id() + " " + state() + "@" + tick + "]";
  }

  /** Nanoseconds of {@code d}, saturated at {@code Long.MAX_VALUE} (d is not negative). */
  static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) { // half the range: now + bound must not overflow either
      return d.isNegative() ? 0 : Long.MAX_VALUE / 2;
    }
  }

  /**
   * Interrupts of the closing thread that close's bounded waits did not let cut them short;
   * re-asserted when close returns. Used by one thread.
   */
  private static final class Interrupts {
    boolean seen;

    /** Clears the thread's interrupt status, remembering it. */
    void clear() {
      if (Thread.interrupted()) seen = true;
    }

    /** Re-asserts what was remembered. */
    void restore() {
      if (seen) Thread.currentThread().interrupt();
    }
  }

  /** A scope closed with failures: resource closes, releases, tasks past the bound. */
  static final class ScopeCloseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ScopeCloseException(String message) {
      super(message);
    }
  }

  /** Keeps one thread-confined context entered on its own thread until released. */
  private static final class Holder {
    private static final System.Logger LOG = System.getLogger("dev.stator.Machine");
    private final String name;
    private final Context context;
    private final String machineId;
    private final CompletableFuture<Void> entered = new CompletableFuture<>();
    private final CompletableFuture<Void> release = new CompletableFuture<>();
    private final CompletableFuture<Void> exited = new CompletableFuture<>();
    private volatile boolean abandoned; // written by hold() before release completes
    private @Nullable Thread thread;

    Holder(String name, Context context, String machineId) {
      this.name = name;
      this.context = context;
      this.machineId = machineId;
    }

    void start(java.util.concurrent.ThreadFactory factory) {
      Thread t = factory.newThread(this::run);
      if (t == null) throw new IllegalStateException("thread factory returned null");
      thread = t;
      t.start();
    }

    private void run() {
      AutoCloseable exit;
      try {
        exit = Objects.requireNonNull(context.enter(), "context returned no exit");
      } catch (Throwable t) {
        entered.completeExceptionally(t);
        exited.complete(null);
        return;
      }
      entered.complete(null);
      release.join(); // wait for the scope to close (not interruptible by design)
      try {
        exit.close();
        exited.complete(null);
      } catch (Throwable t) {
        exited.completeExceptionally(t);
        if (abandoned) {
          LOG.log(System.Logger.Level.WARNING, "exit of held context '" + name + "' of machine "
              + machineId + " failed (its hold was interrupted before it entered)", t);
        }
      }
    }

    /**
     * The caller of hold() gave up waiting for the entry: the context is exited as soon as it has
     * entered, on the holder thread, which then ends. Does not wait.
     */
    void abandon() {
      abandoned = true;
      release.complete(null);
    }

    void awaitEntered() throws Exception {
      try {
        entered.get();
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof Exception ex) throw ex;
        if (c instanceof Error err) throw err;
        throw new IllegalStateException(c);
      }
    }

    /**
     * Releases the context and waits up to {@code bound} for its exit, not cut short by an
     * interrupt (recorded in {@code interrupts}); returns the exit's failure, or null.
     */
    @Nullable Throwable release(Time time, Duration bound, Interrupts interrupts) {
      release.complete(null);
      long deadline = time.nanoTime() + saturatedNanos(bound);
      for (;;) {
        try {
          if (!TimedWait.await(time, exited, TimedWait.remaining(time, deadline))) {
            if (TimedWait.remaining(time, deadline) == 0) return notExited(bound);
            continue;
          }
          exited.get();
          return null;
        } catch (ExecutionException e) {
          return e.getCause();
        } catch (InterruptedException e) { // wait out the rest of the bound
          interrupts.seen = true;
          if (TimedWait.remaining(time, deadline) == 0 && !exited.isDone()) return notExited(bound);
        }
      }
    }

    private IllegalStateException notExited(Duration bound) {
      return new IllegalStateException("held context '" + name + "' did not exit within "
          + bound + " (thread " + (thread == null ? "?" : thread.getName()) + ")");
    }
  }
}
