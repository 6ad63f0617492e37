package dev.stator.otel;

import static dev.stator.otel.StatorTelemetry.Attributes.MACHINE_ID;
import static dev.stator.otel.StatorTelemetry.Attributes.MACHINE_KIND;
import static dev.stator.otel.StatorTelemetry.Attributes.MUTATION_KIND;
import static dev.stator.otel.StatorTelemetry.Attributes.PHASE;
import static dev.stator.otel.StatorTelemetry.Attributes.RESULT;
import static dev.stator.otel.StatorTelemetry.Attributes.STATE;

import dev.stator.Machine;
import dev.stator.MutationKind;
import dev.stator.Schema;
import dev.stator.history.HandlerName;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The metric instruments of one {@link StatorTelemetry}, the machines its observable gauges
 * read, and per machine kind the attribute sets, built once so that recording a measurement
 * allocates nothing.
 */
final class Instruments {
  /* Design: the one measurement every transition makes, stator.transitions, is a plain
   * increment of the machine's own counts (one writer: its draining thread), summed by an
   * asynchronous counter when the SDK collects; closed (or collected) machines' counts are
   * folded into their kind so the sums never go down. Histograms and the rare counters are
   * recorded on the draining thread with precomputed Attributes (per handler name, per error).
   * Gauges (queue size, active states, open machines) cost nothing per transition either. The
   * registry holds machines weakly: an unclosed machine that is dropped is not kept alive. */

  static final List<Double> SECONDS_BUCKETS = List.of(1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3,
      5e-3, 1e-2, 5e-2, 0.1, 0.5, 1.0, 5.0);

  final boolean machineIds;
  final DoubleHistogram transitionDuration;
  final DoubleHistogram handlerDuration;
  final LongCounter handlerFailures;
  final LongCounter handlerTimeouts;
  final LongCounter errors;
  final LongCounter scopeFailures;
  final LongCounter taskFailures;
  private final List<Entry> machines = new ArrayList<>(); // guarded by itself
  private final Map<Schema<?>, Kind> kinds = new ConcurrentHashMap<>();

  Instruments(Meter meter, boolean machineIds, boolean observe) {
    this.machineIds = machineIds;
    meter.counterBuilder("stator.transitions").setUnit("{transition}")
        .setDescription("Transitions run, by mutation kind and result.")
        .buildWithCallback(this::observeTransitions);
    transitionDuration = meter.histogramBuilder("stator.transition.duration").setUnit("s")
        .setDescription("How long transitions ran, handlers included.")
        .setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS).build();
    handlerDuration = meter.histogramBuilder("stator.handler.duration").setUnit("s")
        .setDescription("How long handlers ran, by state and phase.")
        .setExplicitBucketBoundariesAdvice(SECONDS_BUCKETS).build();
    handlerFailures = meter.counterBuilder("stator.handler.failures").setUnit("{failure}")
        .setDescription("Handlers that threw, by state and phase.").build();
    handlerTimeouts = meter.counterBuilder("stator.handler.timeouts").setUnit("{timeout}")
        .setDescription("Handlers abandoned past the handler timeout, by state and phase.")
        .build();
    errors = meter.counterBuilder("stator.errors").setUnit("{error}")
        .setDescription("Error transitions (Exception activated), by error state and type.")
        .build();
    scopeFailures = meter.counterBuilder("stator.scope.failures").setUnit("{failure}")
        .setDescription("State scopes that closed with failures, by state.").build();
    taskFailures = meter.counterBuilder("stator.scope.task.failures").setUnit("{failure}")
        .setDescription("Tasks of state scopes that failed (threw; a cancellation is not a "
            + "failure), by state and error type.").build();
    if (observe) {
      meter.upDownCounterBuilder("stator.queue.size").setUnit("{mutation}")
          .setDescription("Mutations waiting in machines' queues.")
          .buildWithCallback(this::observeQueues);
      meter.upDownCounterBuilder("stator.state.active").setUnit("{machine}")
          .setDescription("Machines in which a state is active, by state.")
          .buildWithCallback(this::observeStates);
      meter.upDownCounterBuilder("stator.machines").setUnit("{machine}")
          .setDescription("Open machines.").buildWithCallback(this::observeMachines);
    }
  }

  /**
   * A machine whose transitions are counted in {@code counts} (by mutation kind and result,
   * written by its draining thread) and whose gauges are read at collection.
   */
  static final class Entry {
    final WeakReference<Machine<?>> machine;
    final String id;
    final Kind kind;
    final AtomicLongArray counts = new AtomicLongArray(MutationKind.values().length * 2);

    Entry(Machine<?> machine, Kind kind) {
      this.machine = new WeakReference<>(machine);
      this.id = machine.id();
      this.kind = kind;
    }

    /** Counts one transition; its machine's draining thread only (one writer at a time). */
    void count(MutationKind k, boolean executed) {
      int i = k.ordinal() * 2 + (executed ? 0 : 1);
      counts.lazySet(i, counts.get(i) + 1);
    }
  }

  Entry register(Machine<?> m) {
    Entry e = new Entry(m, kind(m.schema()));
    synchronized (machines) {
      machines.add(e);
    }
    return e;
  }

  /**
   * The open machines; entries of machines closed or collected are folded into their kind's
   * retired counts and dropped, so the transition counters stay monotonic.
   */
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

  private void observeTransitions(ObservableLongMeasurement out) {
    List<Entry> live;
    Map<Attributes, Long> sums = new HashMap<>();
    synchronized (machines) {
      live = live();
      if (!machineIds) {
        for (Kind k : kinds.values()) {
          for (int i = 0; i < k.transitions.length; i++) {
            long v = k.retired.get(i);
            if (v != 0) sums.merge(k.transitions[i], v, Long::sum);
          }
        }
      }
    }
    for (Entry e : live) {
      for (int i = 0; i < e.counts.length(); i++) {
        long v = e.counts.get(i);
        if (v == 0) continue;
        Attributes a = e.kind.transitions[i];
        sums.merge(machineIds ? a.toBuilder().put(MACHINE_ID, e.id).build() : a, v, Long::sum);
      }
    }
    sums.forEach((a, v) -> out.record(v, a));
  }

  Kind kind(Schema<?> schema) {
    return kinds.computeIfAbsent(schema, Kind::new);
  }

  private List<Machine<?>> machines() {
    List<Machine<?>> out = new ArrayList<>();
    for (Entry e : live()) {
      Machine<?> m = e.machine.get();
      if (m != null) out.add(m);
    }
    return out;
  }

  private Attributes base(Machine<?> m) {
    Attributes kind = kind(m.schema()).base;
    return machineIds ? kind.toBuilder().put(MACHINE_ID, m.id()).build() : kind;
  }

  /** Sums that start at 0 for every kind seen, so that a kind's series drops to 0. */
  private Map<Attributes, Long> zeros() {
    Map<Attributes, Long> sums = new HashMap<>();
    if (!machineIds) {
      for (Kind k : kinds.values()) sums.put(k.base, 0L);
    }
    return sums;
  }

  private void observeQueues(ObservableLongMeasurement out) {
    Map<Attributes, Long> sums = zeros();
    for (Machine<?> m : machines()) {
      if (!m.isClosed()) sums.merge(base(m), (long) m.queueSize(), Long::sum);
    }
    sums.forEach((a, v) -> out.record(v, a));
  }

  private void observeMachines(ObservableLongMeasurement out) {
    Map<Attributes, Long> sums = zeros();
    for (Machine<?> m : machines()) {
      if (!m.isClosed()) sums.merge(base(m), 1L, Long::sum);
    }
    sums.forEach((a, v) -> out.record(v, a));
  }

  private void observeStates(ObservableLongMeasurement out) {
    Map<Attributes, Long> sums = new HashMap<>();
    if (!machineIds) {
      for (Kind k : kinds.values()) {
        for (Attributes a : k.stateAttrs) sums.put(a, 0L);
      }
    }
    for (Machine<?> m : machines()) {
      if (m.isClosed()) continue;
      Kind k = kind(m.schema());
      List<String> active = m.activeNames();
      for (int i = 0; i < k.names.size(); i++) {
        String s = k.names.get(i);
        Attributes a = machineIds ? k.stateAttrs[i].toBuilder().put(MACHINE_ID, m.id()).build()
            : k.stateAttrs[i];
        sums.merge(a, active.contains(s) ? 1L : 0L, Long::sum);
      }
    }
    sums.forEach((a, v) -> out.record(v, a));
  }

  /** What is shared by the machines of one schema. */
  static final class Kind {
    final String name;
    final List<String> names;
    final Attributes base;
    final Attributes[] stateAttrs;
    final HandlerName.Resolver resolver;
    final Attributes[] transitions = new Attributes[MutationKind.values().length * 2];
    final AtomicLongArray retired = new AtomicLongArray(transitions.length); // closed machines
    private final Map<String, Attributes> handlers = new ConcurrentHashMap<>();
    private final Map<String, Attributes> errorStates = new ConcurrentHashMap<>();

    Kind(Schema<?> schema) {
      this.name = schema.name();
      this.names = schema.names();
      this.base = Attributes.of(MACHINE_KIND, name);
      this.stateAttrs = new Attributes[names.size()];
      for (int i = 0; i < stateAttrs.length; i++) {
        stateAttrs[i] = Attributes.of(MACHINE_KIND, name, STATE, names.get(i));
      }
      this.resolver = HandlerName.resolver(names);
      for (MutationKind k : MutationKind.values()) {
        String label = k.name().toLowerCase(Locale.ROOT);
        transitions[k.ordinal() * 2] = Attributes.of(MACHINE_KIND, name, MUTATION_KIND, label,
            RESULT, "executed");
        transitions[k.ordinal() * 2 + 1] = Attributes.of(MACHINE_KIND, name, MUTATION_KIND,
            label, RESULT, "canceled");
      }
    }

    /** kind, state (if any) and phase of a handler. */
    Attributes handler(String handler) {
      Attributes a = handlers.get(handler);
      if (a == null) {
        HandlerName n = resolver.of(handler);
        a = n.state() == null
            ? Attributes.of(MACHINE_KIND, name, PHASE, n.phase().label())
            : Attributes.of(MACHINE_KIND, name, STATE, n.state(), PHASE, n.phase().label());
        if (handlers.size() < 4096) handlers.put(handler, a);
      }
      return a;
    }

    Attributes error(String state, String type) {
      String key = state + ' ' + type;
      Attributes a = errorStates.get(key);
      if (a == null) {
        a = Attributes.of(MACHINE_KIND, name, STATE, state,
            StatorTelemetry.Attributes.ERROR_TYPE, type);
        if (errorStates.size() < 1024) errorStates.put(key, a);
      }
      return a;
    }

    Attributes state(String state) {
      int i = names.indexOf(state);
      return i >= 0 ? stateAttrs[i] : Attributes.of(MACHINE_KIND, name, STATE, state);
    }
  }
}
