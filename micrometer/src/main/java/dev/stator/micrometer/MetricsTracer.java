package dev.stator.micrometer;

import dev.stator.Event;
import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.Snapshot;
import dev.stator.StateScope;
import dev.stator.Tracer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The tracer {@link StatorMetrics#tracer()} makes. Called on the draining thread, one call at
 * a time per machine (the Tracer contract), so a machine's {@link Watch} needs no lock.
 */
final class MetricsTracer extends Tracer {
  /* Design: as OtelTracer: the first machine takes the `first` slot, others go to a map; a
   * transition whose handler was abandoned past the handler timeout may never be reported as
   * ended, so the next transitionStart counts its timeout. */

  private final StatorMetrics metrics;
  private final AtomicReference<@Nullable Watch> first = new AtomicReference<>();
  private final ConcurrentHashMap<Machine<?>, Watch> others = new ConcurrentHashMap<>();

  MetricsTracer(StatorMetrics metrics) {
    this.metrics = metrics;
  }

  /** One machine's meters and the transition in progress. */
  static final class Watch {
    final Machine<?> machine;
    final StatorMetrics.Kind kind;
    final boolean on;
    StatorMetrics.@Nullable Entry entry;
    boolean open;
    long start;
    StatorMetrics.@Nullable HandlerMeters handler;
    long handlerStart;

    Watch(Machine<?> machine, StatorMetrics.Kind kind, boolean on) {
      this.machine = machine;
      this.kind = kind;
      this.on = on;
    }
  }

  @Override
  public void machineStarted(Machine<?> machine) {
    watch(machine);
  }

  @Override
  public void machineRestored(Machine<?> machine, Snapshot snapshot) {
    watch(machine);
  }

  @Override
  public void machineClosed(Machine<?> machine) {
    metrics.unregister(machine);
    others.remove(machine);
  }

  @Override
  public void transitionStart(Event<?> e) {
    Watch w = watch(e.machine());
    if (!w.on) return;
    if (w.open) abandoned(w);
    w.open = true;
    w.handler = null;
    if (metrics.transitionDurations) w.start = System.nanoTime();
  }

  @Override
  public void handlerStart(Event<?> e, String handler) {
    Watch w = watch(e.machine());
    if (!w.on) return;
    w.handler = w.kind.handler(handler);
    w.handlerStart = System.nanoTime();
  }

  @Override
  public void handlerEnd(Event<?> e, String handler, boolean accepted,
      @Nullable Throwable failure) {
    Watch w = watch(e.machine());
    if (!w.on) return;
    long nanos = System.nanoTime() - w.handlerStart;
    StatorMetrics.HandlerMeters h = w.handler;
    if (h == null) h = w.kind.handler(handler);
    w.handler = null;
    h.duration().record(nanos, TimeUnit.NANOSECONDS);
    if (failure != null) h.failures().increment();
  }

  @Override
  public void transitionEnd(Event<?> e, boolean executed) {
    Watch w = watch(e.machine());
    if (!w.on || !w.open) return;
    w.open = false;
    StatorMetrics.HandlerMeters open = w.handler;
    w.handler = null;
    if (open != null) open.timeouts().increment();
    StatorMetrics.Entry entry = w.entry;
    if (entry != null) entry.count(e.kind(), executed);
    io.micrometer.core.instrument.Timer timer = w.kind.transitionDuration;
    if (timer != null) timer.record(System.nanoTime() - w.start, TimeUnit.NANOSECONDS);
    Throwable error = e.error();
    if (executed && error != null) {
      w.kind.error(errorState(e), error.getClass().getName()).increment();
    }
  }

  @Override
  public void scopeClosed(Machine<?> machine, StateScope<?> scope, @Nullable Throwable failure) {
    if (failure == null) return;
    Watch w = watch(machine);
    if (w.on) w.kind.scopeFailure(scope.state()).increment();
  }

  @Override
  public void taskEnded(Machine<?> machine, StateScope<?> scope, String task,
      @Nullable Throwable failure, boolean cancelled) { // on the task's thread
    if (failure == null || cancelled) return;
    Watch w = watch(machine);
    if (w.on) w.kind.taskFailure(scope.state(), failure.getClass().getName()).increment();
  }

  /** The previous transition's handler was abandoned and its end never reported. */
  private static void abandoned(Watch w) {
    w.open = false;
    StatorMetrics.HandlerMeters open = w.handler;
    w.handler = null;
    if (open != null) open.timeouts().increment();
  }

  private Watch watch(Machine<?> machine) {
    Watch w = first.get();
    if (w != null && w.machine == machine) return w;
    w = others.get(machine);
    if (w != null) return w;
    boolean on = enabled(machine);
    Watch fresh = new Watch(machine, metrics.kind(machine), on);
    if (first.compareAndSet(null, fresh)) {
      w = fresh;
    } else {
      w = others.putIfAbsent(machine, fresh);
      if (w == null) w = fresh;
    }
    if (w == fresh && on) fresh.entry = metrics.register(machine, fresh.kind);
    return w;
  }

  private boolean enabled(Machine<?> machine) {
    try {
      return metrics.enabled.test(machine);
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static String errorState(Event<?> e) {
    for (String s : e.calledNames()) {
      if (!s.equals(Schema.EXCEPTION)) return s;
    }
    return Schema.EXCEPTION;
  }
}
