package dev.stator.otel;

import static dev.stator.otel.Fixtures.SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.StateScope;
import dev.stator.otel.Fixtures.Conn;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The trace of a session client in the shape of {@code examples/session}: a confined machine
 * (every transition runs on its owner thread, never on the caller's), a dial task forked by
 * {@code connectingState} that adds {@code Connected}, the auto {@code Ready}, then a
 * disconnect. Rendered as a span tree, the picture in {@code docs/telemetry.md}. The dial task
 * runs in the context of the caller of the transition that forked it (spec Q10), so it and the
 * mutation it makes are children of {@code client.connect}; the auto transition is a child of
 * the transition that caused it.
 */
class SpanTreeTest {
  @RegisterExtension
  static final OpenTelemetryExtension OTEL = OpenTelemetryExtension.create();

  /** Renders spans as an indented tree, children in start order, with events. */
  static String render(List<SpanData> spans) {
    StringBuilder sb = new StringBuilder();
    spans.stream().filter(s -> !s.getParentSpanContext().isValid())
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
        .forEach(root -> render(sb, spans, root, ""));
    return sb.toString();
  }

  private static void render(StringBuilder sb, List<SpanData> all, SpanData span, String indent) {
    sb.append(indent).append(span.getName());
    Long id = span.getAttributes().get(StatorTelemetry.Attributes.TRANSITION_ID);
    if (id != null) {
      sb.append("  #").append(id).append(' ')
          .append(span.getAttributes().get(StatorTelemetry.Attributes.MUTATION_KIND))
          .append(Objects.requireNonNullElse(span.getAttributes().get(
              StatorTelemetry.Attributes.STATES_CALLED), List.of()));
      List<String> added = span.getAttributes().get(StatorTelemetry.Attributes.STATES_ADDED);
      List<String> removed = span.getAttributes().get(StatorTelemetry.Attributes.STATES_REMOVED);
      if (added != null) added.forEach(s -> sb.append(" +").append(s));
      if (removed != null) removed.forEach(s -> sb.append(" -").append(s));
    }
    sb.append('\n');
    for (EventData e : span.getEvents()) {
      sb.append(indent).append("  · ").append(e.getName()).append(' ')
          .append(e.getAttributes().get(StatorTelemetry.Attributes.HANDLER)).append('\n');
    }
    all.stream().filter(c -> c.getParentSpanId().equals(span.getSpanId())
            && c.getTraceId().equals(span.getTraceId()))
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
        .forEach(c -> render(sb, all, c, indent + "  "));
  }

  @Test
  void aSessionClientsTrace() throws Exception {
    StatorTelemetry telemetry = StatorTelemetry.create(OTEL.getOpenTelemetry());
    Tracer app = OTEL.getOpenTelemetry().getTracer("client");
    try (Machine<Conn> m = telemetry.instrument(Machine.of(SCHEMA).id("client-1").confined())
        .onState(Conn.Connecting, e -> {
          StateScope<Conn> scope = e.scope(); // the event is valid only during the handler
          scope.fork("dial", () -> {
            app.spanBuilder("dial").startSpan().end();
            scope.machine().add(Conn.Connected);
          });
        })
        .build()) {
      Span connect = app.spanBuilder("client.connect").startSpan();
      try (Scope ignored = connect.makeCurrent()) {
        Result r = m.add(Conn.Connecting);
        assertThat(r.queued()).isTrue(); // confined: the owner thread runs it
        m.when(Conn.Ready).await(Duration.ofSeconds(10));
      } finally {
        connect.end();
      }
      Span disconnect = app.spanBuilder("client.disconnect").startSpan();
      try (Scope ignored = disconnect.makeCurrent()) {
        m.add(Conn.Disconnected).await(Duration.ofSeconds(10));
      } finally {
        disconnect.end();
      }
    }
    String tree = render(OTEL.getSpans());
    System.out.println(tree);
    assertThat(tree).isEqualTo("""
        client.connect
          stator.transition Conn  #1 add[Connecting] +Session +Connecting
            · stator.handler connectingState
          dial
          stator.transition Conn  #2 add[Connected] +Connected -Connecting
            stator.transition Conn  #3 auto[Ready] +Ready
        client.disconnect
          stator.transition Conn  #4 add[Disconnected] +Disconnected -Session -Connected -Ready
        stator.transition Conn  #5 close[] -Disconnected
        """);
  }
}
