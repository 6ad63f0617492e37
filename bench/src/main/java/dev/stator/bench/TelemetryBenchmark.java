package dev.stator.bench;

import dev.stator.Args;
import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.history.History;
import dev.stator.micrometer.StatorMetrics;
import dev.stator.otel.StatorTelemetry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 11: what do the history recorder, OpenTelemetry and Micrometer add to one uncontended
 * mutation?
 *
 * <p>Workload: {@link MutationBenchmark}'s cycle (one thread, one machine of {@link Ten#SCHEMA}
 * from {Started, Connected, Idle}, {@code add(Running)} then {@code remove(Running)}, no
 * handlers; a reported op is one mutation), with one tracer per {@code telemetry} parameter:
 * <ul>
 *   <li>{@code none}: the bare engine;
 *   <li>{@code noop-tracer}: a tracer that does nothing: what the engine's tracer hook costs;
 *   <li>{@code history}: a {@link History} recorder (ring of 10,000, handlers and timing on);
 *   <li>{@code history-lean}: the same without durations and handler calls (wall time only);
 *   <li>{@code otel}: {@link StatorTelemetry} on an OpenTelemetry SDK with an always-on
 *       sampler, a batch span processor and a periodic metric reader whose exporters drop
 *       everything (the context carrier is installed too);
 *   <li>{@code otel-sampled}: the same with a parent-based 1% trace-id ratio sampler;
 *   <li>{@code otel-metrics}: the same SDK with traces off ({@code traces(false)});
 *   <li>{@code micrometer}: {@link StatorMetrics} bound to a {@link SimpleMeterRegistry}.
 * </ul>
 * Goals (issue 11): history &le; 1.5&times; {@code none}, otel &le; 3&times;, metrics only
 * &le; 1.3&times;. Run (JDK 25):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar 'dev.stator.bench.TelemetryBenchmark' -prof gc
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
public class TelemetryBenchmark {
  @Param({"none", "noop-tracer", "history", "history-lean", "otel", "otel-sampled", "otel-metrics",
      "micrometer"})
  public String telemetry;

  Machine<Ten> machine;
  @Nullable OpenTelemetrySdk sdk;

  @Setup(Level.Trial)
  public void setUp() {
    Machine.Builder<Ten> b = Machine.of(Ten.SCHEMA);
    switch (telemetry) {
      case "none" -> { }
      case "noop-tracer" -> b.tracer(new dev.stator.Tracer() {});
      case "history" -> b.tracer(History.builder().capacity(10_000).build().tracer());
      case "history-lean" -> b.tracer(History.builder().capacity(10_000).timing(false)
          .handlers(false).build().tracer());
      case "otel", "otel-sampled", "otel-metrics" -> {
        sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder()
                .setSampler(telemetry.equals("otel-sampled")
                    ? Sampler.parentBased(Sampler.traceIdRatioBased(0.01)) : Sampler.alwaysOn())
                .addSpanProcessor(BatchSpanProcessor.builder(new DropSpans()).build()).build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(
                PeriodicMetricReader.builder(new DropMetrics()).setInterval(Duration.ofSeconds(10))
                    .build()).build())
            .build();
        StatorTelemetry t = StatorTelemetry.builder(sdk)
            .traces(!telemetry.equals("otel-metrics")).build();
        t.instrument(b);
      }
      case "micrometer" -> {
        StatorMetrics m = StatorMetrics.create();
        m.bindTo(new SimpleMeterRegistry());
        b.tracer(m.tracer());
      }
      default -> throw new IllegalArgumentException("unknown telemetry: " + telemetry);
    }
    machine = b.build();
    machine.add(Ten.BASE, Args.NONE);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (!machine.is(Ten.BASE) || machine.is(Ten.Running) || machine.is(Ten.Healthy)) {
      throw new IllegalStateException("cycle left " + machine.activeNames());
    }
    machine.close();
    if (sdk != null) sdk.close();
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public Result mutation() {
    machine.add(Ten.Running);
    return machine.remove(Ten.Running);
  }

  /** An exporter that drops spans. */
  static final class DropSpans implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /** An exporter that drops metrics. */
  static final class DropMetrics implements MetricExporter {
    @Override
    public AggregationTemporality getAggregationTemporality(InstrumentType type) {
      return AggregationTemporality.CUMULATIVE;
    }

    @Override
    public CompletableResultCode export(Collection<MetricData> metrics) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
