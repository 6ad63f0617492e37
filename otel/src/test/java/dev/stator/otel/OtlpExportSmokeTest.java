package dev.stator.otel;

import static dev.stator.otel.Fixtures.SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.stator.Machine;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The SDK's own OTLP/HTTP exporters send Stator's spans, metrics and logs to a receiver the
 * test starts on loopback; the receiver checks the protocol's paths and content type and keeps
 * the protobuf bodies, whose strings (span names, metric names, log bodies) are plain UTF-8.
 */
class OtlpExportSmokeTest {
  record Request(String path, String contentType, String body) {}

  @Test
  void spansMetricsAndLogsReachAnOtlpReceiver() throws Exception {
    BlockingQueue<Request> received = new LinkedBlockingQueue<>();
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(),
        0), 0);
    server.createContext("/v1/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      received.add(new Request(exchange.getRequestURI().getPath(),
          exchange.getRequestHeaders().getFirst("Content-Type"),
          new String(body, StandardCharsets.ISO_8859_1)));
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1); // an empty Export*ServiceResponse
      exchange.close();
    });
    server.start();
    String base = "http://127.0.0.1:" + server.getAddress().getPort();
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor
            .create(OtlpHttpSpanExporter.builder().setEndpoint(base + "/v1/traces").build()))
            .build())
        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(PeriodicMetricReader
            .builder(OtlpHttpMetricExporter.builder().setEndpoint(base + "/v1/metrics").build())
            .setInterval(Duration.ofHours(1)).build()).build())
        .setLoggerProvider(SdkLoggerProvider.builder().addLogRecordProcessor(
            SimpleLogRecordProcessor.create(OtlpHttpLogRecordExporter.builder()
                .setEndpoint(base + "/v1/logs").build())).build())
        .build()) {
      StatorTelemetry telemetry = StatorTelemetry.builder(sdk).transitionLogs(true).build();
      try (Machine<Fixtures.Conn> m = telemetry.instrument(Machine.of(SCHEMA).id("otlp-1"))
          .build()) {
        m.add(Fixtures.Conn.Connecting);
      }
      assertThat(sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS)
          .isSuccess()).isTrue();
      assertThat(sdk.getSdkMeterProvider().forceFlush().join(10, TimeUnit.SECONDS)
          .isSuccess()).isTrue();
      assertThat(sdk.getSdkLoggerProvider().forceFlush().join(10, TimeUnit.SECONDS)
          .isSuccess()).isTrue();
    } finally {
      server.stop(0);
    }
    Map<String, StringBuilder> byPath = new ConcurrentHashMap<>();
    for (Request r : received) {
      assertThat(r.contentType()).isEqualTo("application/x-protobuf");
      byPath.computeIfAbsent(r.path(), p -> new StringBuilder()).append(r.body());
    }
    assertThat(byPath).containsKeys("/v1/traces", "/v1/metrics", "/v1/logs");
    assertThat(byPath.get("/v1/traces").toString()).contains("stator.transition Conn",
        "stator.machine.kind", "otlp-1");
    assertThat(byPath.get("/v1/metrics").toString()).contains("stator.transitions",
        "stator.machines", "stator.state.active", "{transition}");
    assertThat(byPath.get("/v1/logs").toString())
        .contains("[otlp-1] #1 add[Connecting] +Session +Connecting");
  }
}
