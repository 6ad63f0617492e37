package dev.stator;

import dev.stator.supervision.Action;
import dev.stator.supervision.Supervisor;
import dev.stator.supervision.Task;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
   * state's clock on the draining thread when they run (MachineImpl.execute). */

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
  private @Nullable List<Wait> waits;
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
        try {
          return body.call();
        } finally {
          taskThreads.remove(me);
        }
      });
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
    synchronized (lock) {
      if (phase == OPEN) {
        owned.add(resource);
        return resource;
      }
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
    Holder h = new Holder(name, context);
    h.start(machine.holderFactory());
    h.awaitEntered();
    synchronized (lock) {
      if (phase == OPEN) {
        owned.add(h);
        return;
      }
    }
    IllegalStateException ended = ended("hold '" + name + "'");
    Throwable t = h.release(machine.scopeCloseBound());
    if (t != null) ended.addSuppressed(t);
    throw ended;
  }

  @Override
  public Wait bind(Wait wait) {
    Objects.requireNonNull(wait, "wait");
    synchronized (lock) {
      if (phase == OPEN) {
        if (waits == null) waits = new ArrayList<>(2);
        waits.add(wait);
        return wait;
      }
    }
    cancel(wait);
    return wait;
  }

  /** Ends the scope (draining thread, at commit): interrupts tasks, cancels waits. */
  void end() {
    List<Wait> ws;
    Supervisor sup;
    synchronized (lock) {
      if (phase != OPEN) return;
      phase = ENDED;
      ws = waits;
      waits = null;
      sup = tasks;
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
   * exception, or null.
   */
  @Nullable ScopeCloseException close(Duration bound) {
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
    if (sup != null) {
      boolean ended;
      try {
        ended = sup.cancelAll(bound);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ended = false;
      }
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
      try {
        if (o instanceof Holder h) {
          Throwable t = h.release(bound);
          if (t != null) failures.add(t);
        } else {
          ((AutoCloseable) o).close();
        }
      } catch (Throwable t) {
        failures.add(t);
      }
    }
    if (failures.isEmpty()) return null;
    ScopeCloseException e = new ScopeCloseException("scope of " + state() + " (activation "
        + tick + ") of machine " + machine.id() + " closed with " + failures.size()
        + " failure(s): " + failures.get(0));
    for (Throwable t : failures) e.addSuppressed(t);
    return e;
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

  private void requireOpen(String what) {
    if (phase != OPEN) throw ended(what);
  }

  private IllegalStateException ended(String what) {
    return new IllegalStateException("cannot " + what + ": the scope of " + state()
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

  /** A scope closed with failures: resource closes, releases, tasks past the bound. */
  static final class ScopeCloseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ScopeCloseException(String message) {
      super(message);
    }
  }

  /** Keeps one thread-confined context entered on its own thread until released. */
  private static final class Holder {
    private final String name;
    private final Context context;
    private final CompletableFuture<Void> entered = new CompletableFuture<>();
    private final CompletableFuture<Void> release = new CompletableFuture<>();
    private final CompletableFuture<Void> exited = new CompletableFuture<>();
    private @Nullable Thread thread;

    Holder(String name, Context context) {
      this.name = name;
      this.context = context;
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
      }
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

    /** Releases the context and waits for its exit; returns the exit's failure, or null. */
    @Nullable Throwable release(Duration bound) {
      release.complete(null);
      try {
        exited.get(bound.toNanos(), TimeUnit.NANOSECONDS);
        return null;
      } catch (ExecutionException e) {
        return e.getCause();
      } catch (TimeoutException e) {
        return new IllegalStateException("held context '" + name + "' did not exit within "
            + bound + " (thread " + (thread == null ? "?" : thread.getName()) + ")");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return e;
      }
    }
  }
}
