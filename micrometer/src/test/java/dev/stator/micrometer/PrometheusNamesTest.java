package dev.stator.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * The meters as a Prometheus registry renders them: the series and labels the generated Grafana
 * dashboard ({@code dev.stator.otel.Dashboards}) queries.
 */
class PrometheusNamesTest {
  @Test
  void theMetersHaveTheNamesTheDashboardQueries() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    StatorMetrics metrics = StatorMetrics.create();
    metrics.bindTo(registry);
    try (Machine<StatorMetricsTest.Conn> m = Machine.of(StatorMetricsTest.SCHEMA)
        .tracer(metrics.tracer()).onState(StatorMetricsTest.Conn.Session, e -> { }).build()) {
      m.add(StatorMetricsTest.Conn.Connecting);
      m.addError(new IllegalStateException("x"));
      String text = registry.scrape();
      assertThat(text)
          .contains("stator_transitions_total{stator_machine_kind=\"Conn\","
              + "stator_mutation_kind=\"add\",stator_transition_result=\"executed\"} 2.0")
          .contains("stator_handler_duration_seconds_bucket{stator_handler_phase=\"state\","
              + "stator_machine_kind=\"Conn\",stator_state=\"Session\",le=")
          .contains("stator_errors_total{error_type=\"java.lang.IllegalStateException\","
              + "stator_machine_kind=\"Conn\",stator_state=\"Exception\"} 1.0")
          .contains("stator_state_active{stator_machine_kind=\"Conn\","
              + "stator_state=\"Session\"} 1.0")
          .contains("stator_queue_size{stator_machine_kind=\"Conn\"} 0.0")
          .contains("stator_machines{stator_machine_kind=\"Conn\"} 1.0");
    }
  }
}
