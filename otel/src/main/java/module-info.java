/**
 * Stator for OpenTelemetry: a span per transition, metrics with OpenTelemetry-style names and
 * units, handler errors (and optionally every transition) as log records with trace context,
 * and Grafana dashboards generated from a schema.
 *
 * <p>Depends on the OpenTelemetry API only; the application brings the SDK and exporters.
 */
module dev.stator.otel {
  requires transitive dev.stator.core;
  requires dev.stator.history;
  requires transitive io.opentelemetry.api;
  requires transitive io.opentelemetry.context;
  requires static org.jspecify;

  exports dev.stator.otel;
}
