/**
 * Stator for Micrometer: a {@code MeterBinder} with Stator's metrics, named as in
 * {@code stator-otel}, so that an application on Micrometer (Spring Boot) sees them without
 * OpenTelemetry.
 */
module dev.stator.micrometer {
  requires transitive dev.stator.core;
  requires dev.stator.history;
  requires transitive micrometer.core;
  requires static org.jspecify;

  exports dev.stator.micrometer;
}
