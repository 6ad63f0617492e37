package dev.stator;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import org.jspecify.annotations.Nullable;

/** Immutable options; machines built with all defaults share one instance. */
final class MachineConfig {
  static final int DRAIN_BATCH = 1024;
  private static final MachineConfig DEFAULT = new MachineConfig(List.of(), false, null,
      Duration.ofSeconds(1), 100_000, Duration.ofSeconds(1), List.of(), Time.system());

  final Tracer tracer;
  final boolean tracing;
  final boolean confined;
  final ThreadFactory drainFactory;
  final ThreadFactory ownerFactory;
  final long timeoutNanos;
  final Duration scopeCloseNanos;
  final ThreadFactory taskFactory;
  final ThreadFactory holderFactory;
  final int queueLimit;
  final CallerContext contexts;
  final int drainBatch = DRAIN_BATCH;
  final boolean customFactory;
  /** The machine's time (spec TM1). */
  final Time time;
  /** The same time if it is not the system's, else null: the engine's one test for "fake". */
  final @Nullable Time fakeTime;
  private final Set<String> tracerFailures = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private MachineConfig(List<Tracer> tracers, boolean confined, @Nullable ThreadFactory factory,
      @Nullable Duration timeout, int queueLimit, Duration scopeClose,
      List<java.util.function.UnaryOperator<Runnable>> carriers, Time time) {
    this.time = time;
    this.fakeTime = time == Time.system() ? null : time;
    this.contexts = new CallerContext(carriers);
    this.tracer = tracers.isEmpty() ? Tracer.NOOP
        : tracers.size() == 1 ? tracers.get(0) : new Tracers(tracers);
    this.tracing = !tracers.isEmpty();
    this.confined = confined;
    this.customFactory = factory != null;
    this.drainFactory = factory != null ? factory
        : Thread.ofVirtual().name("stator-drain-", 0).factory();
    this.ownerFactory = factory != null ? factory
        : Thread.ofPlatform().daemon().name("stator-owner-", 0).factory();
    this.timeoutNanos = timeout == null ? 0 : Scope.saturatedNanos(timeout);
    this.scopeCloseNanos = scopeClose;
    this.taskFactory = factory != null ? factory
        : Thread.ofVirtual().name("stator-task-", 0).factory();
    this.holderFactory = factory != null ? factory
        : Thread.ofVirtual().name("stator-hold-", 0).factory();
    this.queueLimit = queueLimit;
  }

  static MachineConfig of(Machine.Builder<?> b) {
    if (b.tracers.isEmpty() && !b.confined && b.threadFactory == null
        && Duration.ofSeconds(1).equals(b.handlerTimeout) && b.queueLimit == 100_000
        && Duration.ofSeconds(1).equals(b.scopeCloseTimeout) && b.carriers.isEmpty()
        && b.time == Time.system()) {
      return DEFAULT;
    }
    return new MachineConfig(List.copyOf(b.tracers), b.confined, b.threadFactory, b.handlerTimeout,
        b.queueLimit, b.scopeCloseTimeout, List.copyOf(b.carriers), b.time);
  }

  void tracerFailed(String machine, Throwable t) {
    if (tracerFailures.add(t.getClass().getName())) {
      System.getLogger("dev.stator.Machine").log(System.Logger.Level.ERROR,
          "tracer of machine " + machine + " threw; "
          + "ignored (logged once per exception type)", t);
    }
  }
}
