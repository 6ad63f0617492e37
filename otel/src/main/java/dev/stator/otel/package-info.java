/**
 * OpenTelemetry for Stator machines: {@link dev.stator.otel.StatorTelemetry} makes the tracer
 * and the context carrier to add to a machine; {@link dev.stator.otel.Dashboards} writes a
 * Grafana dashboard for a schema. Names, attributes and units are listed in
 * {@code docs/telemetry.md}.
 */
@NullMarked
package dev.stator.otel;

import org.jspecify.annotations.NullMarked;
