package dev.stator.otel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.rpc.Connection;
import dev.stator.rpc.Grant;
import dev.stator.rpc.RemoteMachine;
import dev.stator.rpc.RpcClient;
import dev.stator.rpc.RpcServer;
import dev.stator.rpc.RpcTrace;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A remote mutation's transition span is a child of the client span that made it. */
class RemoteTraceTest {
  @RegisterExtension
  static final OpenTelemetryExtension OTEL = OpenTelemetryExtension.create();

  enum Door { Open, Closed, Exception }

  static final Schema<Door> SCHEMA = Schema.of(Door.class)
      .state(Door.Open, s -> s.remove(Door.Closed))
      .state(Door.Closed, s -> s.remove(Door.Open))
      .build();
  static final String TOKEN = "operator-token-0123456789";
  static final Duration PATIENCE = Duration.ofSeconds(10);

  @Test
  void aRemoteMutationsTransitionJoinsTheTraceOfTheClientSpanThatMadeIt() throws Exception {
    StatorTelemetry server = StatorTelemetry.builder(OTEL.getOpenTelemetry())
        .remoteParent(RpcTrace::current).build();
    StatorTelemetry client = StatorTelemetry.create(OTEL.getOpenTelemetry());
    Span call = OTEL.getOpenTelemetry().getTracer("test").spanBuilder("open the door")
        .startSpan();
    try (Machine<Door> door = server.instrument(Machine.of(SCHEMA).id("door-1")).build();
        RpcServer rpc = RpcServer.builder().port(0).plaintext().expose(door)
            .client("operator", TOKEN, Grant.mutate("door-1")).start();
        RpcClient c = RpcClient.builder().target("localhost", rpc.port()).plaintext()
            .token(TOKEN).traceparent(client.traceparent()).build()) {
      RemoteMachine<Door> remote = c.attach("door-1", SCHEMA);
      remote.connection().when(Connection.Connected).await(PATIENCE);
      try (Scope ignored = call.makeCurrent()) {
        remote.machine().add(Door.Open).await(PATIENCE);
      } finally {
        call.end();
      }
      remote.machine().add(Door.Closed).await(PATIENCE); // no span current: a root
    }
    List<SpanData> transitions = OTEL.getSpans().stream()
        .filter(s -> s.getName().equals("stator.transition Door")).toList();
    assertThat(transitions).as("spans: %s", OTEL.getSpans()).hasSize(3); // and close
    SpanData open = transitions.stream().filter(s -> s.getAttributes()
        .get(StatorTelemetry.Attributes.STATES_CALLED).equals(List.of("Open"))).findFirst()
        .orElseThrow();
    SpanData closed = transitions.stream().filter(s -> s.getAttributes()
        .get(StatorTelemetry.Attributes.STATES_CALLED).equals(List.of("Closed"))).findFirst()
        .orElseThrow();
    assertThat(open.getTraceId()).isEqualTo(call.getSpanContext().getTraceId());
    assertThat(open.getParentSpanId()).isEqualTo(call.getSpanContext().getSpanId());
    assertThat(open.getParentSpanContext().isRemote()).isTrue();
    assertThat(closed.getParentSpanContext().isValid()).isFalse();
    assertThat(closed.getTraceId()).isNotEqualTo(open.getTraceId());
  }

  @Test
  void aMalformedRemoteParentIsIgnored() {
    StatorTelemetry t = StatorTelemetry.builder(OTEL.getOpenTelemetry())
        .remoteParent(() -> "not-a-traceparent").build();
    try (Machine<Door> m = t.instrument(Machine.of(SCHEMA)).build()) {
      m.add(Door.Open);
    }
    assertThat(OTEL.getSpans()).filteredOn(s -> s.getName().startsWith("stator.transition"))
        .as("spans: %s", OTEL.getSpans()).isNotEmpty().allSatisfy(s -> assertThat(s.getParentSpanContext().isValid()).isFalse());
  }

  @Test
  void theTraceparentOfNoCurrentSpanIsNull() {
    assertThat(StatorTelemetry.create(OTEL.getOpenTelemetry()).traceparent().get()).isNull();
  }
}
