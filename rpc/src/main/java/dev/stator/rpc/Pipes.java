package dev.stator.rpc;

import dev.stator.Machine;
import dev.stator.MachineClosedException;
import dev.stator.Snapshot;
import dev.stator.StateScope;
import dev.stator.Wait;
import dev.stator.supervision.Task;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Binds states of one machine to another's, as asyncmachine-go's {@code pkg/states/pipes}: when
 * {@code A} activates on the source, {@code B} is added on the target; when {@code A}
 * deactivates, {@code B} is removed; errors can be piped to an error state. Source and target
 * may each be local or remote ({@link RemoteMachine#machine()}).
 *
 * {@snippet :
 * try (Pipes.Pipe pipe = Pipes.bind(worker, Worker.Ready, dashboard, Panel.WorkerUp)) {
 *   ...
 * }
 * // or owned by a state: the pipe ends with the activation of the state whose scope it is
 * Pipes.bind(event.scope(), worker, Worker.Ready, dashboard, Panel.WorkerUp);
 * }
 *
 * <p>Pipes never block the source: a pipe watches the source with core's waits (the source's
 * draining thread only completes a wait) and makes the target's mutations on its own virtual
 * thread, one after another, in the order the source's clocks moved. When one watcher round sees
 * a state that came and went (its clock grew by 2 or more with the same activity), the pipe
 * replays it as an add then a remove (or the reverse), so the target sees the pulse. On start
 * the target is made to match the source's current state.
 *
 * <p>A pipe ends when {@link Pipe#close()} is called, when the scope it was bound to ends, or
 * when the source or the target closes. A target mutation that fails (a remote target
 * disconnected, an outcome unknown) is logged at {@code WARNING} and the pipe goes on.
 */
public final class Pipes {
  /* Design: the watcher loop is one round per change: wait (Changes.after) for any watched clock
   * to pass the last snapshot, take a snapshot, derive per watched state the flips since the
   * last one, apply them to the target. With a scope, the loop is the scope's task (interrupted
   * when the scope ends) and each round's wait is bound to the scope. */

  private static final System.Logger LOG = System.getLogger(Pipes.class.getName());
  private static final Duration ROUND = Duration.ofSeconds(30);

  private Pipes() {}

  /** A running pipe. */
  public static final class Pipe implements AutoCloseable {
    private final String name;
    private volatile @Nullable Thread thread;
    private volatile @Nullable Task<?> task;
    private volatile boolean closed;

    private Pipe(String name) {
      this.name = name;
    }

    /** Whether the pipe still runs. */
    public boolean isOpen() {
      Thread t = thread;
      Task<?> k = task;
      return !closed && ((t != null && t.isAlive()) || (k != null && !k.isDone()));
    }

    /** Stops the pipe and waits (bounded) for its thread to end. Idempotent. */
    @Override
    public void close() {
      closed = true;
      Task<?> k = task;
      if (k != null) {
        try {
          k.cancelAndWait(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      Thread t = thread;
      if (t != null && t != Thread.currentThread()) {
        t.interrupt();
        try {
          t.join(5_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public String toString() {
      return "Pipe[" + name + (isOpen() ? "" : ", ended") + "]";
    }
  }

  /** Pipes {@code state} of {@code source} to {@code targetState} of {@code target}. */
  public static <S, T> Pipe bind(Machine<S> source, S state, Machine<T> target, T targetState) {
    return bindMany(source, target, Map.of(state, targetState));
  }

  /** As {@link #bind(Machine, Object, Machine, Object)}, ending with {@code scope}. */
  public static <S, T> Pipe bind(StateScope<?> scope, Machine<S> source, S state,
      Machine<T> target, T targetState) {
    return start(scope, source, target, Map.of(state, targetState), null);
  }

  /** Pipes several states: each key of {@code states} on the source to its value on the target. */
  public static <S, T> Pipe bindMany(Machine<S> source, Machine<T> target, Map<S, T> states) {
    return start(null, source, target, states, null);
  }

  /** As {@link #bindMany(Machine, Machine, Map)}, ending with {@code scope}. */
  public static <S, T> Pipe bindMany(StateScope<?> scope, Machine<S> source, Machine<T> target,
      Map<S, T> states) {
    return start(Objects.requireNonNull(scope, "scope"), source, target, states, null);
  }

  /**
   * Pipes errors: each time {@code Exception} activates on the source (again: it is multi),
   * {@code target.addError(errorState, e)} with the source's last error (a mirror has none: an
   * {@link IllegalStateException} naming the source stands for it).
   */
  public static <S, T> Pipe bindError(Machine<S> source, Machine<T> target, T errorState) {
    return start(null, source, target, Map.of(), Objects.requireNonNull(errorState, "errorState"));
  }

  private static <S, T> Pipe start(@Nullable StateScope<?> scope, Machine<S> source,
      Machine<T> target, Map<S, T> states, @Nullable T errorState) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(target, "target");
    Map<Integer, T> byIndex = new LinkedHashMap<>();
    for (Map.Entry<S, T> e : states.entrySet()) {
      int i = source.schema().names().indexOf(name(source, e.getKey()));
      target.schema().names().indexOf(name(target, e.getValue()));
      byIndex.put(i, e.getValue());
    }
    if (errorState != null) name(target, errorState);
    String name = source.id() + "->" + target.id();
    Pipe pipe = new Pipe(name);
    Runnable loop = () -> run(pipe, scope, source, target, byIndex, errorState);
    if (scope != null) {
      pipe.task = scope.fork("pipe " + name, loop::run);
    } else {
      pipe.thread = Thread.ofVirtual().name("stator-pipe-" + name).start(loop);
    }
    return pipe;
  }

  /** The state's name, or an IllegalArgumentException naming it (checks it belongs). */
  private static <X> String name(Machine<X> m, X state) {
    Objects.requireNonNull(state, "state");
    for (X s : m.schema().states()) {
      if (s.equals(state)) return m.schema().names().get(m.schema().states().indexOf(s));
    }
    throw new IllegalArgumentException("unknown state '" + state + "' of machine " + m.id());
  }

  private static <S, T> void run(Pipe pipe, @Nullable StateScope<?> scope, Machine<S> source,
      Machine<T> target, Map<Integer, T> states, @Nullable T errorState) {
    int exception = source.schema().names().indexOf(dev.stator.Schema.EXCEPTION);
    long mask = 0;
    for (int i : states.keySet()) mask |= 1L << i;
    if (errorState != null) mask |= 1L << exception;
    try {
      Snapshot last = source.snapshot();
      for (Map.Entry<Integer, T> e : states.entrySet()) { // start in the source's state
        apply(target, e.getValue(), (last.active() >>> e.getKey() & 1) != 0);
      }
      if (errorState != null && (last.active() >>> exception & 1) != 0) {
        error(source, target, errorState);
      }
      while (!pipe.closed && !source.isClosed() && !target.isClosed()) {
        Wait w = Changes.after(source, last, mask);
        if (scope != null) scope.bind(w);
        try {
          w.await(ROUND);
        } catch (TimeoutException e) {
          continue;
        }
        Snapshot now = source.snapshot();
        long[] was = last.ticks();
        long[] is = now.ticks();
        for (Map.Entry<Integer, T> e : states.entrySet()) {
          int i = e.getKey();
          long d = is[i] - was[i];
          if (d <= 0) continue;
          boolean before = (was[i] & 1) != 0;
          boolean after = (is[i] & 1) != 0;
          if (before == after) apply(target, e.getValue(), !before); // a pulse: came and went
          apply(target, e.getValue(), after);
        }
        if (errorState != null && is[exception] > was[exception]
            && (is[exception] & 1) != 0) {
          error(source, target, errorState);
        }
        last = now;
      }
    } catch (InterruptedException | java.util.concurrent.CancellationException e) {
      // closed, or the scope ended
    } catch (MachineClosedException e) {
      // the source or the target closed: the pipe ends
    }
  }

  private static <T> void apply(Machine<T> target, T state, boolean on) {
    try {
      if (on) {
        target.add(state);
      } else {
        target.remove(state);
      }
    } catch (MachineClosedException e) {
      throw e;
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "pipe to " + target.id() + " could not "
          + (on ? "add " : "remove ") + state + ": " + e.getMessage());
    }
  }

  private static <S, T> void error(Machine<S> source, Machine<T> target, T errorState) {
    Throwable e = source.lastError();
    try {
      target.addError(errorState, e != null ? e
          : new IllegalStateException("error in machine " + source.id()));
    } catch (MachineClosedException x) {
      throw x;
    } catch (RuntimeException x) {
      LOG.log(System.Logger.Level.WARNING, "pipe to " + target.id() + " could not add "
          + errorState + ": " + x.getMessage());
    }
  }
}
