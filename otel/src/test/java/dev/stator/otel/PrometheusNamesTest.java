package dev.stator.otel;

import static dev.stator.otel.Fixtures.SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import io.opentelemetry.exporter.prometheus.PrometheusHttpServer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The instruments as the OpenTelemetry Prometheus exporter names them: the series and labels
 * the generated Grafana dashboard ({@link Dashboards}) queries.
 */
class PrometheusNamesTest {
  @Test
  void theInstrumentsHaveTheNamesTheDashboardQueries() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort(); // the exporter has no accessor for an ephemeral port
    }
    PrometheusHttpServer prometheus = PrometheusHttpServer.builder().setHost("127.0.0.1")
        .setPort(port).build();
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setMeterProvider(
        SdkMeterProvider.builder().registerMetricReader(prometheus).build()).build()) {
      StatorTelemetry t = StatorTelemetry.create(sdk);
      try (Machine<Fixtures.Conn> m = t.instrument(Machine.of(SCHEMA))
          .onState(Fixtures.Conn.Session, e -> { })
          .onState(Fixtures.Conn.Connected, e -> { throw new IllegalStateException("x"); })
          .build()) {
        m.add(Fixtures.Conn.Connecting);
        m.add(Fixtures.Conn.Connected); // a handler failure and an error transition
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port
            + "/metrics").toURL().openConnection();
        c.setConnectTimeout(10_000);
        c.setReadTimeout(10_000);
        assertThat(c.getResponseCode()).isEqualTo(200);
        String text;
        try (InputStream in = c.getInputStream()) {
          text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(text)
            .containsPattern("stator_transitions_total\\{[^}]*stator_machine_kind=\"Conn\""
                + "[^}]*stator_mutation_kind=\"add\"[^}]*stator_transition_result=\"executed\""
                + "[^}]*} 3")
            .containsPattern("stator_handler_duration_seconds_bucket\\{[^}]*"
                + "stator_handler_phase=\"state\"[^}]*stator_state=\"Session\"")
            .containsPattern("stator_state_active\\{[^}]*stator_state=\"Session\"[^}]*} 1")
            .containsPattern("stator_queue_size\\{[^}]*stator_machine_kind=\"Conn\"[^}]*} 0")
            .containsPattern("stator_machines\\{[^}]*stator_machine_kind=\"Conn\"[^}]*} 1");
        // every series the generated dashboard queries is there (timeouts and scope failures
        // appear once they happen)
        java.util.regex.Matcher series = java.util.regex.Pattern.compile("stator_[a-z_]+")
            .matcher(Dashboards.grafana(SCHEMA));
        java.util.Set<String> queried = new java.util.TreeSet<>();
        while (series.find()) queried.add(series.group());
        queried.removeIf(n -> n.equals("stator_machine_kind") || n.equals("stator_state")
            || n.equals("stator_mutation_kind") || n.equals("stator_transition_result")
            || n.equals("stator_handler_phase") || n.equals("stator_handler_timeouts_total")
            || n.equals("stator_scope_failures_total"));
        assertThat(queried).contains("stator_transitions_total",
            "stator_handler_duration_seconds_bucket", "stator_errors_total",
            "stator_handler_failures_total", "stator_state_active", "stator_queue_size",
            "stator_machines");
        for (String name : queried) {
          assertThat(text).as("series %s", name).containsPattern("(?m)^" + name + "\\{");
        }
      }
    } finally {
      prometheus.close();
    }
  }
}
