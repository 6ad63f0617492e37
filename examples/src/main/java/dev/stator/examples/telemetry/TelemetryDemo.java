package dev.stator.examples.telemetry;

import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.Snapshot;
import dev.stator.StateScope;
import dev.stator.examples.DemoPart;
import dev.stator.history.History;
import dev.stator.history.Recording;
import dev.stator.history.Timeline;
import dev.stator.history.TransitionRecord;
import dev.stator.otel.Dashboards;
import dev.stator.otel.StatorTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The telemetry section of the demo: a connection machine recorded by a {@link History} and
 * traced with {@link StatorTelemetry}; prints the span tree, answers "when was Connected
 * active", travels back to a recorded point, and writes the recording and a dashboard.
 */
public final class TelemetryDemo implements DemoPart {
  enum Conn { Session, Connecting, Connected, Ready, Disconnected }

  static final Schema<Conn> SCHEMA = Schema.of(Conn.class)
      .state(Conn.Connecting, s -> s.add(Conn.Session).remove(Conn.Connected, Conn.Disconnected))
      .state(Conn.Connected, s -> s.require(Conn.Session).remove(Conn.Connecting,
          Conn.Disconnected))
      .state(Conn.Ready, s -> s.require(Conn.Connected).auto())
      .state(Conn.Disconnected, s -> s.remove(Conn.Session, Conn.Connecting, Conn.Connected))
      .build();

  @Override
  public String title() {
    return "telemetry and history";
  }

  @Override
  public Map<String, Long> run(PrintStream out) throws Exception {
    List<SpanData> spans = new CopyOnWriteArrayList<>();
    History history = History.builder().capacity(1_000).build();
    long travelled;
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider
        .builder().addSpanProcessor(SimpleSpanProcessor.create(new Collect(spans))).build())
        .build()) {
      StatorTelemetry telemetry = StatorTelemetry.create(sdk);
      io.opentelemetry.api.trace.Tracer app = sdk.getTracer("demo");
      try (Machine<Conn> m = telemetry.instrument(Machine.of(SCHEMA).id("conn-1").confined())
          .tracer(history.tracer())
          .onState(Conn.Connecting, e -> {
            StateScope<Conn> scope = e.scope();
            scope.fork("dial", () -> scope.machine().add(Conn.Connected));
          }).build()) {
        Span connect = app.spanBuilder("client.connect").startSpan();
        try (Scope ignored = connect.makeCurrent()) {
          m.add(Conn.Connecting);
          m.when(Conn.Ready).await(Duration.ofSeconds(5));
        } finally {
          connect.end();
        }
        m.add(Conn.Disconnected).await(Duration.ofSeconds(5));

        Recording recording = history.recording();
        Timeline t = recording.timeline(m.id());
        out.println("recorded:");
        for (TransitionRecord r : t.records()) out.println("  " + r);
        TransitionRecord ready = t.latest("Ready").orElseThrow();
        out.println("Ready last activated by transition " + ready.transitionId() + " at "
            + ready.wallTime());
        Snapshot then = t.snapshotAt(ready.transitionId());
        try (Machine<Conn> replay = Machine.of(SCHEMA).restore(then).build()) {
          out.println("time travel to #" + ready.transitionId() + ": " + replay.activeNames());
          travelled = replay.is(Conn.Ready) ? 1 : 0;
        }
        String jsonl = recording.toJsonLines();
        out.println("recording: " + jsonl.lines().count() + " JSON lines, "
            + jsonl.length() + " characters; dashboard: "
            + Dashboards.grafana(SCHEMA).length() + " characters");
      }
    }
    out.println("trace:");
    spans.stream().filter(s -> !s.getParentSpanContext().isValid())
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
        .forEach(root -> print(out, spans, root, "  "));
    Map<String, Long> figures = new LinkedHashMap<>();
    figures.put("transitions recorded", (long) history.recording().records().size());
    figures.put("spans", (long) spans.size());
    figures.put("time travel ok", travelled);
    figures.put("leaks", 0L);
    return figures;
  }

  private static void print(PrintStream out, List<SpanData> all, SpanData span, String indent) {
    out.println(indent + span.getName() + " " + span.getAttributes().asMap().entrySet().stream()
        .filter(e -> e.getKey().getKey().startsWith("stator.states.")
            || e.getKey().getKey().equals("stator.transition.id"))
        .map(e -> e.getKey().getKey().substring(7) + "=" + e.getValue()).toList());
    all.stream().filter(c -> c.getParentSpanId().equals(span.getSpanId()))
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
        .forEach(c -> print(out, all, c, indent + "  "));
  }

  /** Keeps finished spans in memory. */
  private record Collect(List<SpanData> spans) implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
      spans.addAll(batch);
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
