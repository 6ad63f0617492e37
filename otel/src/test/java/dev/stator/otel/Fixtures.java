package dev.stator.otel;

import dev.stator.Schema;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/** The schema the OpenTelemetry tests use and helpers to read metric points. */
final class Fixtures {
  private Fixtures() {}

  enum Conn { Session, Connecting, Connected, Ready, Disconnected, Exception }

  static final Schema<Conn> SCHEMA = Schema.of(Conn.class)
      .state(Conn.Connecting, s -> s.add(Conn.Session).remove(Conn.Connected, Conn.Disconnected))
      .state(Conn.Connected, s -> s.require(Conn.Session).remove(Conn.Connecting,
          Conn.Disconnected))
      .state(Conn.Ready, s -> s.require(Conn.Connected).auto())
      .state(Conn.Disconnected, s -> s.remove(Conn.Session, Conn.Connecting, Conn.Connected))
      .build();

  static MetricData metric(Collection<MetricData> all, String name) {
    return all.stream().filter(m -> m.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name + " in "
            + all.stream().map(MetricData::getName).toList()));
  }

  /** The points of a long sum (counter or up-down counter), by attributes. */
  static Map<Attributes, Long> longs(Collection<MetricData> all, String name) {
    return metric(all, name).getLongSumData().getPoints().stream()
        .collect(Collectors.toMap(LongPointData::getAttributes, LongPointData::getValue));
  }

  /** The counts of a histogram, by attributes. */
  static Map<Attributes, Long> counts(Collection<MetricData> all, String name) {
    return metric(all, name).getHistogramData().getPoints().stream()
        .collect(Collectors.toMap(HistogramPointData::getAttributes, HistogramPointData::getCount));
  }
}
