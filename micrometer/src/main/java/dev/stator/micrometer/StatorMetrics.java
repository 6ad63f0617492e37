package dev.stator.micrometer;

import dev.stator.Machine;
import dev.stator.MutationKind;
import dev.stator.Schema;
import dev.stator.Tracer;
import dev.stator.history.HandlerName;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Stator's metrics for Micrometer: a {@link MeterBinder} (Spring Boot binds every such bean to
 * its registry) and the {@link #tracer()} that feeds it.
 *
 * {@snippet :
 * StatorMetrics metrics = StatorMetrics.create();
 * metrics.bindTo(registry);                       // or expose it as a Spring bean
 * Machine<Conn> m = Machine.of(SCHEMA).tracer(metrics.tracer()).build();
 * }
 *
 * <h2>Meters</h2>
 * Named as {@code stator-otel}'s instruments (a Prometheus registry renders both the same way,
 * {@code stator_transitions_total}), tagged by machine kind (the schema name), not by machine
 * id unless {@link Builder#machineIds(boolean)}:
 * <ul>
 *   <li>counter {@code stator.transitions}: {@code stator.machine.kind},
 *       {@code stator.mutation.kind}, {@code stator.transition.result};
 *   <li>timers {@code stator.transition.duration} (by kind, opt-in) and {@code stator.handler.duration}
 *       (by kind, {@code stator.state}, {@code stator.handler.phase}), with a percentile
 *       histogram unless {@link Builder#histograms(boolean)} is off;
 *   <li>counters {@code stator.handler.failures}, {@code stator.handler.timeouts} (by kind,
 *       state, phase), {@code stator.errors} (by kind, error state, {@code error.type}),
 *       {@code stator.scope.failures} (by kind, state),
 *       {@code stator.scope.task.failures} (by kind, state, error type);
 *   <li>gauges {@code stator.queue.size}, {@code stator.machines} (by kind) and
 *       {@code stator.state.active} (by kind and state: the number of machines in which the
 *       state is active).
 * </ul>
 *
 * <p>Gauges have no base unit, so that Prometheus names them as the OpenTelemetry exporter
 * does ({@code stator_state_active}, not {@code stator_state_active_machines}).
 *
 * <p>Meters are created on an internal composite registry, so machines may start before
 * {@link #bindTo} and one instance may be bound to several registries. Thread-safe.
 */
public final class StatorMetrics implements MeterBinder {
  /* Design: as in stator-otel, a transition only increments its machine's own counts (one
   * writer, its draining thread); FunctionCounters sum them when the registry polls, and a
   * closed machine's counts are folded into its kind so the counters never go down. Handler
   * meters are looked up once per handler name. Gauges read machines registered here weakly,
   * only when the registry polls. */

  final CompositeMeterRegistry registry = new CompositeMeterRegistry();
  final boolean machineIds;
  final boolean histograms;
  final Predicate<? super Machine<?>> enabled;
  private final Map<Object, Kind> kinds = new ConcurrentHashMap<>(); // by schema, or machine
  private final List<Entry> machines = new ArrayList<>(); // guarded by itself
  final boolean transitionDurations;

  private StatorMetrics(Builder b) {
    this.machineIds = b.machineIds;
    this.histograms = b.histograms;
    this.transitionDurations = b.transitionDurations;
    this.enabled = b.enabled;
  }

  /** Metrics with the defaults. */
  public static StatorMetrics create() {
    return builder().build();
  }

  /** Starts configuring. */
  public static Builder builder() {
    return new Builder();
  }

  /** Adds {@code target} to the registries that receive the meters. */
  @Override
  public void bindTo(MeterRegistry target) {
    registry.add(Objects.requireNonNull(target, "registry"));
  }

  /** A new tracer for a machine ({@code Machine.Builder.tracer}); one per machine is cheapest. */
  public Tracer tracer() {
    return new MetricsTracer(this);
  }

  /** A measured machine and its transition counts (written by its draining thread). */
  static final class Entry {
    final WeakReference<Machine<?>> machine;
    final Kind kind;
    final AtomicLongArray counts = new AtomicLongArray(MutationKind.values().length * 2);

    Entry(Machine<?> machine, Kind kind) {
      this.machine = new WeakReference<>(machine);
      this.kind = kind;
    }

    void count(MutationKind k, boolean executed) {
      int i = k.ordinal() * 2 + (executed ? 0 : 1);
      counts.lazySet(i, counts.get(i) + 1);
    }
  }

  Entry register(Machine<?> m, Kind kind) {
    Entry e = new Entry(m, kind);
    synchronized (machines) {
      machines.add(e);
    }
    return e;
  }

  void unregister(Machine<?> m) {
    if (machineIds) kinds.remove(m);
  }

  /** Open machines' entries; closed or collected ones are folded into their kind's counts. */
  private List<Entry> live() {
    synchronized (machines) {
      List<Entry> out = new ArrayList<>(machines.size());
      for (Iterator<Entry> it = machines.iterator(); it.hasNext(); ) {
        Entry e = it.next();
        Machine<?> m = e.machine.get();
        if (m == null || m.isClosed()) {
          for (int i = 0; i < e.counts.length(); i++) {
            e.kind.retired.addAndGet(i, e.counts.get(i));
          }
          it.remove();
        } else {
          out.add(e);
        }
      }
      return out;
    }
  }

  /** The count of transitions of slot {@code i} of {@code kind}: closed machines and open. */
  private double transitions(Kind kind, int i) {
    synchronized (machines) {
      long n = 0;
      for (Entry e : live()) {
        if (e.kind == kind) n += e.counts.get(i);
      }
      return n + kind.retired.get(i);
    }
  }

  /** The meters of a machine: shared by its kind, or its own with machine ids. */
  Kind kind(Machine<?> m) {
    return machineIds ? kinds.computeIfAbsent(m, k -> new Kind(m.schema(), m))
        : kinds.computeIfAbsent(m.schema(), k -> new Kind(m.schema(), null));
  }

  private List<Machine<?>> machines() {
    List<Machine<?>> out = new ArrayList<>();
    for (Entry e : live()) {
      Machine<?> m = e.machine.get();
      if (m != null) out.add(m);
    }
    return out;
  }

  /** The meters of one machine kind. */
  final class Kind {
    final String name;
    final HandlerName.Resolver resolver;
    final Tags base;
    final AtomicLongArray retired = new AtomicLongArray(MutationKind.values().length * 2);
    final @Nullable Timer transitionDuration;
    private final Map<String, HandlerMeters> handlers = new ConcurrentHashMap<>();
    private final Map<String, Counter> errors = new ConcurrentHashMap<>();
    private final Map<String, Counter> scopeFailures = new ConcurrentHashMap<>();
    private final Map<String, Counter> taskFailures = new ConcurrentHashMap<>();

    Kind(Schema<?> schema, @Nullable Machine<?> machine) {
      this.name = schema.name();
      this.resolver = HandlerName.resolver(schema.names());
      this.base = machine == null ? Tags.of("stator.machine.kind", name)
          : Tags.of("stator.machine.kind", name, "stator.machine.id", machine.id());
      for (MutationKind k : MutationKind.values()) {
        String label = k.name().toLowerCase(Locale.ROOT);
        for (int r = 0; r < 2; r++) {
          int slot = k.ordinal() * 2 + r;
          FunctionCounter.builder("stator.transitions", this, kind -> transitions(kind, slot))
              .tags(base).tags("stator.mutation.kind", label, "stator.transition.result",
                  r == 0 ? "executed" : "canceled")
              .description("Transitions run, by mutation kind and result.").register(registry);
        }
      }
      transitionDuration = transitionDurations ? timer("stator.transition.duration", base,
          "How long transitions ran, handlers included.") : null;
      if (machine != null) { // the machine is held weakly by its gauges
        Gauge.builder("stator.queue.size", machine, x -> x.isClosed() ? 0 : x.queueSize())
            .tags(base).strongReference(false).register(registry);
        for (String s : schema.names()) {
          Gauge.builder("stator.state.active", machine, x -> !x.isClosed()
              && x.activeNames().contains(s) ? 1 : 0).tags(base.and("stator.state", s))
              .strongReference(false).register(registry);
        }
      } else {
        Gauge.builder("stator.queue.size", this, k -> k.sum(true)).tags(base)
            .description("Mutations waiting in machines' queues.").register(registry);
        Gauge.builder("stator.machines", this, k -> k.sum(false)).tags(base)
            .description("Open machines.").register(registry);
        for (String s : schema.names()) {
          Gauge.builder("stator.state.active", this, k -> k.active(s))
              .tags(base.and("stator.state", s))
              .description("Machines in which a state is active.").register(registry);
        }
      }
    }

    HandlerMeters handler(String handler) {
      HandlerMeters h = handlers.get(handler);
      if (h == null) {
        HandlerName n = resolver.of(handler);
        Tags tags = base.and("stator.handler.phase", n.phase().label());
        if (n.state() != null) tags = tags.and("stator.state", n.state());
        h = new HandlerMeters(timer("stator.handler.duration", tags,
            "How long handlers ran, by state and phase."),
            Counter.builder("stator.handler.failures").tags(tags)
                .description("Handlers that threw.").register(registry),
            Counter.builder("stator.handler.timeouts").tags(tags)
                .description("Handlers abandoned past the handler timeout.").register(registry));
        if (handlers.size() < 4096) handlers.put(handler, h);
      }
      return h;
    }

    Counter error(String state, String type) {
      return errors.computeIfAbsent(state + ' ' + type, k -> Counter.builder("stator.errors")
          .tags(base).tags("stator.state", state, "error.type", type)
          .description("Error transitions (Exception activated).").register(registry));
    }

    Counter scopeFailure(String state) {
      return scopeFailures.computeIfAbsent(state, k -> Counter.builder("stator.scope.failures")
          .tags(base).tags("stator.state", state)
          .description("State scopes that closed with failures.").register(registry));
    }

    Counter taskFailure(String state, String type) {
      return taskFailures.computeIfAbsent(state + ' ' + type, k -> Counter
          .builder("stator.scope.task.failures").tags(base).tags("stator.state", state,
              "error.type", type)
          .description("Tasks of state scopes that failed (a cancellation is not a failure).")
          .register(registry));
    }

    private Timer timer(String meter, Tags tags, String description) {
      Timer.Builder b = Timer.builder(meter).tags(tags).description(description);
      if (histograms) {
        b.publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(1_000))
            .maximumExpectedValue(Duration.ofSeconds(5));
      }
      return b.register(registry);
    }

    private double sum(boolean queue) {
      long n = 0;
      for (Machine<?> m : machines()) {
        if (!m.isClosed() && m.schema().name().equals(name)) n += queue ? m.queueSize() : 1;
      }
      return n;
    }

    private double active(String state) {
      long n = 0;
      for (Machine<?> m : machines()) {
        if (!m.isClosed() && m.schema().name().equals(name) && m.activeNames().contains(state)) {
          n++;
        }
      }
      return n;
    }
  }

  /** The meters of one handler. */
  record HandlerMeters(Timer duration, Counter failures, Counter timeouts) {}

  /** Configuration of {@link StatorMetrics}. Not thread-safe. */
  public static final class Builder {
    private boolean machineIds;
    private boolean histograms = true;
    private boolean transitionDurations;
    private Predicate<? super Machine<?>> enabled = m -> true;

    Builder() {}

    /**
     * Whether meters carry {@code stator.machine.id} (default {@code false}: one series per
     * machine kind). Gauges are then per machine.
     */
    public Builder machineIds(boolean on) {
      this.machineIds = on;
      return this;
    }

    /**
     * Whether timers publish a percentile histogram (default {@code true}; the generated Grafana
     * dashboard's latency panel reads its buckets).
     */
    public Builder histograms(boolean on) {
      this.histograms = on;
      return this;
    }

    /**
     * Whether to time transitions ({@code stator.transition.duration}; default {@code false}:
     * two clock reads per transition cost as much as a fast transition).
     */
    public Builder transitionDurations(boolean on) {
      this.transitionDurations = on;
      return this;
    }

    /** Which machines are measured (default all); decided once per machine. */
    public Builder enabled(Predicate<? super Machine<?>> filter) {
      this.enabled = Objects.requireNonNull(filter, "filter");
      return this;
    }

    /** Builds the binder. */
    public StatorMetrics build() {
      return new StatorMetrics(this);
    }
  }
}
