package dev.stator.otel;

import dev.stator.Machine;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * OpenTelemetry instrumentation for Stator machines, in the style of the OpenTelemetry
 * library instrumentations ({@code GrpcTelemetry}, {@code KafkaTelemetry}): built once from an
 * {@link OpenTelemetry}, it makes a {@link dev.stator.Tracer} per machine.
 *
 * {@snippet :
 * StatorTelemetry telemetry = StatorTelemetry.builder(openTelemetry).build();
 * Machine<Conn> m = telemetry.instrument(Machine.of(SCHEMA)).build();
 * // same as .tracer(telemetry.tracer()).context(telemetry.contextCarrier())
 * }
 *
 * <h2>What it emits</h2>
 * <ul>
 *   <li><b>Traces</b>: a span {@code stator.transition <schema>} per transition (span kind
 *       {@code INTERNAL}), a child of the span that was current where the mutation was made,
 *       also when the mutation is queued and another thread runs it (through the
 *       {@link #contextCarrier()}, spec Q10). The span is current while the handlers run, so
 *       spans a handler starts are its children. Handler calls are span events
 *       {@code stator.handler} by default, or child spans {@code stator.handler <name>} with
 *       {@link Builder#handlerSpans(boolean)}. A handler that throws records an
 *       {@code exception} event and sets the status to {@code ERROR}. With
 *       {@link Builder#stateSpans(boolean)}, a span per state activation.
 *   <li><b>Metrics</b> (meter {@code dev.stator}): {@code stator.transitions},
 *       {@code stator.transition.duration} (opt-in), {@code stator.handler.duration},
 *       {@code stator.handler.failures}, {@code stator.handler.timeouts}, {@code stator.errors},
 *       {@code stator.scope.failures}, {@code stator.scope.task.failures},
 *       {@code stator.queue.size}, {@code stator.state.active},
 *       {@code stator.machines}; attributed by machine kind (the schema name), not by machine
 *       id unless {@link Builder#machineIds(boolean)}.
 *   <li><b>Logs</b> (logger {@code dev.stator}): handler failures at {@code ERROR} with the
 *       exception, and with {@link Builder#transitionLogs(boolean)} the one-line transition log
 *       at {@code INFO}; both carry the transition's trace context.
 * </ul>
 * The exact names, attributes and units are in {@code docs/telemetry.md}.
 *
 * <h2>Across processes</h2>
 * With {@code stator-rpc}, a remote mutation's transition joins the trace of the client span
 * that made it: the client sends {@link #traceparent()} with each mutation
 * ({@code RpcClient.Builder.traceparent}), the server binds it to {@code RpcTrace.TRACEPARENT},
 * and {@link Builder#remoteParent} reads it where no span is current:
 * {@snippet :
 * RpcClient client = RpcClient.builder().traceparent(clientTelemetry.traceparent()) // ...
 * StatorTelemetry server = StatorTelemetry.builder(otel)
 *     .remoteParent(RpcTrace::current).build();
 * }
 *
 * <h2>Cost and sampling</h2>
 * Spans follow the SDK's sampler: for a transition that is not sampled no attributes are
 * computed and no events recorded. {@link Builder#enabled(Predicate)} turns everything off
 * for the machines it rejects (their tracer is {@link dev.stator.Tracer#NOOP}-cheap).
 *
 * <p>Thread safety: immutable; {@link #tracer()} may be called from any thread.
 */
public final class StatorTelemetry {
  /** The instrumentation scope name of the tracer, meter and logger. */
  public static final String SCOPE = "dev.stator";

  final Tracer tracer;
  final Meter meter;
  final Logger logger;
  final boolean traces;
  final boolean metrics;
  final boolean logs;
  final boolean transitionLogs;
  final boolean handlerSpans;
  final boolean stateSpans;
  final boolean machineIds;
  final boolean transitionDurations;
  final Predicate<? super Machine<?>> enabled;
  final Instruments instruments;
  private final @Nullable Supplier<@Nullable String> remoteParent;

  private static final TextMapGetter<String> TRACEPARENT = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(String carrier) {
      return List.of("traceparent");
    }

    @Override
    public @Nullable String get(@Nullable String carrier, String key) {
      return "traceparent".equals(key) ? carrier : null;
    }
  };

  private StatorTelemetry(Builder b) {
    this.tracer = b.otel.getTracer(SCOPE);
    this.meter = b.otel.getMeter(SCOPE);
    this.logger = b.otel.getLogsBridge().get(SCOPE);
    this.traces = b.traces;
    this.metrics = b.metrics;
    this.logs = b.logs;
    this.transitionLogs = b.transitionLogs;
    this.handlerSpans = b.handlerSpans;
    this.stateSpans = b.stateSpans;
    this.machineIds = b.machineIds;
    this.transitionDurations = b.transitionDurations;
    this.enabled = b.enabled;
    this.instruments = new Instruments(meter, machineIds, metrics);
    this.remoteParent = b.remoteParent;
  }

  /** Starts configuring instrumentation that reports to {@code openTelemetry}. */
  public static Builder builder(OpenTelemetry openTelemetry) {
    return new Builder(Objects.requireNonNull(openTelemetry, "openTelemetry"));
  }

  /** Instrumentation with the defaults. */
  public static StatorTelemetry create(OpenTelemetry openTelemetry) {
    return builder(openTelemetry).build();
  }

  /**
   * A new tracer for one machine ({@code Machine.Builder.tracer}). One tracer can serve several
   * machines, but one per machine is cheaper (its state needs no lookup).
   */
  public dev.stator.Tracer tracer() {
    return new OtelTracer(this);
  }

  /**
   * The context carrier ({@code Machine.Builder.context}, spec Q10) that makes the caller's
   * OpenTelemetry context current while a queued mutation's transition runs on another thread:
   * {@code r -> Context.current().wrap(r)}.
   */
  public UnaryOperator<Runnable> contextCarrier() {
    return r -> parentContext().wrap(r);
  }

  /**
   * The W3C {@code traceparent} of the span current on the calling thread, or null if none is
   * (for {@code RpcClient.Builder.traceparent}, so that a remote mutation carries it).
   */
  public Supplier<@Nullable String> traceparent() {
    return () -> {
      String[] out = new String[1];
      W3CTraceContextPropagator.getInstance().inject(Context.current(), out,
          (carrier, key, value) -> {
            if (carrier != null && "traceparent".equals(key)) carrier[0] = value;
          });
      return out[0];
    };
  }

  /**
   * The context a transition's span descends from: the current one, or, if no span is current
   * and a {@link Builder#remoteParent} gives a valid traceparent, the remote span it names.
   */
  Context parentContext() {
    Context c = Context.current();
    Supplier<@Nullable String> remote = remoteParent;
    if (remote == null || Span.fromContext(c).getSpanContext().isValid()) return c;
    String traceparent = remote.get();
    return traceparent == null ? c
        : W3CTraceContextPropagator.getInstance().extract(c, traceparent, TRACEPARENT);
  }

  /** Adds {@link #tracer()} and {@link #contextCarrier()} to a machine builder. */
  public <S> Machine.Builder<S> instrument(Machine.Builder<S> builder) {
    return builder.tracer(tracer()).context(contextCarrier());
  }

  /** Attribute keys used on spans, events, metrics and logs. */
  public static final class Attributes {
    private Attributes() {}

    /** The machine's kind: its schema's name. */
    public static final AttributeKey<String> MACHINE_KIND = AttributeKey.stringKey(
        "stator.machine.kind");
    /** The machine's id (metrics only with {@link Builder#machineIds(boolean)}). */
    public static final AttributeKey<String> MACHINE_ID = AttributeKey.stringKey(
        "stator.machine.id");
    /** The transition's number within its machine. */
    public static final AttributeKey<Long> TRANSITION_ID = AttributeKey.longKey(
        "stator.transition.id");
    /** {@code add}, {@code remove}, {@code set}, {@code auto} or {@code close}. */
    public static final AttributeKey<String> MUTATION_KIND = AttributeKey.stringKey(
        "stator.mutation.kind");
    /** Where a queued mutation came from: {@code <machine id>/<transition id>}. */
    public static final AttributeKey<String> MUTATION_SOURCE = AttributeKey.stringKey(
        "stator.mutation.source");
    /** The called states. */
    public static final AttributeKey<List<String>> STATES_CALLED = AttributeKey.stringArrayKey(
        "stator.states.called");
    /** The states activated. */
    public static final AttributeKey<List<String>> STATES_ADDED = AttributeKey.stringArrayKey(
        "stator.states.added");
    /** The states deactivated. */
    public static final AttributeKey<List<String>> STATES_REMOVED = AttributeKey.stringArrayKey(
        "stator.states.removed");
    /** {@code executed} or {@code canceled}. */
    public static final AttributeKey<String> RESULT = AttributeKey.stringKey(
        "stator.transition.result");
    /** Why a canceled transition was refused. */
    public static final AttributeKey<String> REASON = AttributeKey.stringKey(
        "stator.transition.reason");
    /** A state (of a handler, an error, a scope, an activation). */
    public static final AttributeKey<String> STATE = AttributeKey.stringKey("stator.state");
    /** A handler's name. */
    public static final AttributeKey<String> HANDLER = AttributeKey.stringKey(
        "stator.handler.name");
    /** A handler's phase: {@code enter}, {@code exit}, {@code state}, {@code end}, ... */
    public static final AttributeKey<String> PHASE = AttributeKey.stringKey(
        "stator.handler.phase");
    /** Whether a negotiation handler accepted the transition. */
    public static final AttributeKey<Boolean> ACCEPTED = AttributeKey.booleanKey(
        "stator.handler.accepted");
    /** A handler's duration in seconds (on handler events). */
    public static final AttributeKey<Double> DURATION = AttributeKey.doubleKey(
        "stator.handler.duration");
    /** On a state activation span: the transition that activated the state. */
    public static final AttributeKey<Long> BEGUN_BY = AttributeKey.longKey(
        "stator.state.begun_by");
    /** On a state activation span: the transition that deactivated the state. */
    public static final AttributeKey<Long> ENDED_BY = AttributeKey.longKey(
        "stator.state.ended_by");
    /** The class of an error (semantic convention {@code error.type}). */
    public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  }

  /** Configuration of {@link StatorTelemetry}. Not thread-safe. */
  public static final class Builder {
    private final OpenTelemetry otel;
    private boolean traces = true;
    private boolean metrics = true;
    private boolean logs = true;
    private boolean transitionLogs;
    private boolean handlerSpans;
    private boolean stateSpans;
    private boolean machineIds;
    private boolean transitionDurations;
    private Predicate<? super Machine<?>> enabled = m -> true;
    private @Nullable Supplier<@Nullable String> remoteParent;

    Builder(OpenTelemetry otel) {
      this.otel = otel;
    }

    /** Whether to emit spans (default {@code true}). */
    public Builder traces(boolean on) {
      this.traces = on;
      return this;
    }

    /** Whether to record metrics (default {@code true}). */
    public Builder metrics(boolean on) {
      this.metrics = on;
      return this;
    }

    /** Whether to emit handler failures as log records (default {@code true}). */
    public Builder logs(boolean on) {
      this.logs = on;
      return this;
    }

    /**
     * Whether to emit the one-line transition log ({@code [Conn#1] #2 add[Connecting] +Session
     * +Connecting}) as an {@code INFO} log record per transition (default {@code false}).
     */
    public Builder transitionLogs(boolean on) {
      this.transitionLogs = on;
      return this;
    }

    /**
     * Whether handler calls become child spans {@code stator.handler <name>} instead of span
     * events (default {@code false}: events). Child spans suit handlers that do I/O and start
     * spans of their own; events keep one span per transition.
     */
    public Builder handlerSpans(boolean on) {
      this.handlerSpans = on;
      return this;
    }

    /**
     * Whether each activation of a state becomes a span {@code stator.state <State>} from the
     * transition that activated it to the one that deactivated it (default {@code false}):
     * a child of the first, linked to both ({@code stator.state.begun_by},
     * {@code stator.state.ended_by}), so a trace shows how long {@code Connected} lasted. A
     * multi state entered again ends one activation span and begins another.
     */
    public Builder stateSpans(boolean on) {
      this.stateSpans = on;
      return this;
    }

    /**
     * Whether metrics carry {@code stator.machine.id} (default {@code false}: one series per
     * machine kind, so that a million machines make a handful of series).
     */
    public Builder machineIds(boolean on) {
      this.machineIds = on;
      return this;
    }

    /**
     * Whether to record the histogram {@code stator.transition.duration} (default
     * {@code false}: it takes two clock reads per transition, which on a fast engine cost as
     * much as the transition; handler durations are always recorded).
     */
    public Builder transitionDurations(boolean on) {
      this.transitionDurations = on;
      return this;
    }

    /**
     * Which machines are instrumented (default all); decided once per machine when it starts.
     * A rejected machine's tracer does nothing.
     */
    public Builder enabled(Predicate<? super Machine<?>> filter) {
      this.enabled = Objects.requireNonNull(filter, "filter");
      return this;
    }

    /**
     * Where a remote caller's W3C {@code traceparent} comes from when no span is current where
     * a mutation is made (default none): for a machine served by {@code stator-rpc},
     * {@code RpcTrace::current}. Read on the submitting thread (by the
     * {@link #contextCarrier()} for a queued mutation) and when a transition starts; a
     * malformed value is ignored (the span becomes a root).
     */
    public Builder remoteParent(Supplier<@Nullable String> traceparent) {
      this.remoteParent = Objects.requireNonNull(traceparent, "traceparent");
      return this;
    }

    /** Builds the instrumentation. */
    public StatorTelemetry build() {
      return new StatorTelemetry(this);
    }
  }
}
