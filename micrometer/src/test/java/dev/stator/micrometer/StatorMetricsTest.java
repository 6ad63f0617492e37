package dev.stator.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.Schema;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StatorMetricsTest {
  enum Conn { Session, Connecting, Connected, Ready, Disconnected, Exception }

  static final Schema<Conn> SCHEMA = Schema.of(Conn.class)
      .state(Conn.Connecting, s -> s.add(Conn.Session).remove(Conn.Connected, Conn.Disconnected))
      .state(Conn.Connected, s -> s.require(Conn.Session).remove(Conn.Connecting,
          Conn.Disconnected))
      .state(Conn.Ready, s -> s.require(Conn.Connected).auto())
      .state(Conn.Disconnected, s -> s.remove(Conn.Session, Conn.Connecting, Conn.Connected))
      .build();

  static double count(MeterRegistry r, String name, String... tags) {
    var counter = r.find(name).tags(tags).counter();
    if (counter != null) return counter.count();
    return r.get(name).tags(tags).functionCounter().count();
  }

  static double gauge(MeterRegistry r, String name, String... tags) {
    return r.get(name).tags(tags).gauge().value();
  }

  @Test
  void countsTransitionsTimesHandlersAndGaugesStatesByKind() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StatorMetrics metrics = StatorMetrics.builder().transitionDurations(true).build();
    metrics.bindTo(registry);
    Machine<Conn> a = Machine.of(SCHEMA).id("a").tracer(metrics.tracer())
        .onState(Conn.Session, e -> { }).build();
    Machine<Conn> b = Machine.of(SCHEMA).id("b").tracer(metrics.tracer()).build();
    try (a; b) {
      a.add(Conn.Connecting);
      a.add(Conn.Connected); // and the auto Ready
      b.add(Conn.Connecting);
      b.add(Conn.Ready); // canceled
      assertThat(count(registry, "stator.transitions", "stator.machine.kind", "Conn",
          "stator.mutation.kind", "add", "stator.transition.result", "executed")).isEqualTo(3);
      assertThat(count(registry, "stator.transitions", "stator.mutation.kind", "auto",
          "stator.transition.result", "executed")).isEqualTo(1);
      assertThat(count(registry, "stator.transitions", "stator.mutation.kind", "add",
          "stator.transition.result", "canceled")).isEqualTo(1);
      assertThat(registry.get("stator.handler.duration").tags("stator.state", "Session",
          "stator.handler.phase", "state").timer().count()).isEqualTo(1);
      assertThat(registry.get("stator.transition.duration").timer().count()).isEqualTo(5);
      assertThat(gauge(registry, "stator.state.active", "stator.state", "Session")).isEqualTo(2);
      assertThat(gauge(registry, "stator.state.active", "stator.state", "Ready")).isEqualTo(1);
      assertThat(gauge(registry, "stator.state.active", "stator.state", "Disconnected"))
          .isEqualTo(0);
      assertThat(gauge(registry, "stator.machines", "stator.machine.kind", "Conn")).isEqualTo(2);
      assertThat(gauge(registry, "stator.queue.size", "stator.machine.kind", "Conn"))
          .isEqualTo(0);
      for (Meter m : registry.getMeters()) {
        assertThat(m.getId().getTag("stator.machine.id")).as(m.getId().toString()).isNull();
      }
    }
    assertThat(gauge(registry, "stator.machines", "stator.machine.kind", "Conn")).isEqualTo(0);
    assertThat(gauge(registry, "stator.state.active", "stator.state", "Session")).isEqualTo(0);
    // closed machines' transitions stay counted
    assertThat(count(registry, "stator.transitions", "stator.mutation.kind", "add",
        "stator.transition.result", "executed")).isEqualTo(3);
    assertThat(count(registry, "stator.transitions", "stator.mutation.kind", "close",
        "stator.transition.result", "executed")).isEqualTo(2);
  }

  @Test
  void errorsFailuresAndTimeoutsAreCountedByState() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StatorMetrics metrics = StatorMetrics.create();
    metrics.bindTo(registry);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<Conn> m = Machine.of(SCHEMA).tracer(metrics.tracer())
        .handlerTimeout(Duration.ofMillis(100))
        .onState(Conn.Connecting, e -> { throw new IllegalStateException("no route"); })
        .onEntering(Conn.Disconnected, e -> {
          try {
            release.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        }).build()) {
      m.add(Conn.Connecting);
      assertThat(count(registry, "stator.handler.failures", "stator.state", "Connecting",
          "stator.handler.phase", "state")).isEqualTo(1);
      assertThat(count(registry, "stator.errors", "stator.state", "Exception", "error.type",
          "java.lang.IllegalStateException")).isEqualTo(1);
      CompletableFuture<Result> stuck = CompletableFuture.supplyAsync(
          () -> m.add(Conn.Disconnected));
      try {
        m.whenTicks(Conn.Exception, 2).await(Duration.ofSeconds(10));
      } finally {
        release.countDown();
      }
      stuck.get(10, TimeUnit.SECONDS);
      assertThat(count(registry, "stator.handler.timeouts", "stator.state", "Disconnected",
          "stator.handler.phase", "enter")).isEqualTo(1);
      assertThat(count(registry, "stator.errors", "error.type",
          "dev.stator.HandlerTimeoutException")).isEqualTo(1);
    }
  }

  @Test
  void machineIdsAndTheFilterAreHonoured() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StatorMetrics metrics = StatorMetrics.builder().machineIds(true)
        .enabled(m -> !m.id().startsWith("quiet")).build();
    try (Machine<Conn> loud = Machine.of(SCHEMA).id("loud").tracer(metrics.tracer()).build();
        Machine<Conn> quiet = Machine.of(SCHEMA).id("quiet").tracer(metrics.tracer()).build()) {
      metrics.bindTo(registry); // after the machines started: meters still arrive
      loud.add(Conn.Connecting);
      quiet.add(Conn.Connecting);
      assertThat(count(registry, "stator.transitions", "stator.machine.id", "loud",
          "stator.mutation.kind", "add", "stator.transition.result", "executed")).isEqualTo(1);
      assertThat(registry.find("stator.transitions").tags("stator.machine.id", "quiet")
          .functionCounters()).allSatisfy(c -> assertThat(c.count()).isZero());
      assertThat(gauge(registry, "stator.state.active", "stator.machine.id", "loud",
          "stator.state", "Session")).isEqualTo(1);
    }
  }

  @Test
  void aScopeTaskThatFailsIsCountedByStateAndTypeAndACancelledOneIsNot() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StatorMetrics metrics = StatorMetrics.builder().build();
    metrics.bindTo(registry);
    CountDownLatch idleStarted = new CountDownLatch(1);
    try (Machine<Conn> m = Machine.of(SCHEMA).tracer(metrics.tracer())
        .onState(Conn.Connecting, e -> {
          e.scope().fork("idle", () -> { // cancelled when Connecting ends: not a failure
            idleStarted.countDown();
            new CountDownLatch(1).await();
          });
          e.scope().fork("dial", () -> {
            throw new IllegalStateException("no route");
          });
        }).build()) {
      m.add(Conn.Connecting);
      m.whenError().await(Duration.ofSeconds(10)); // after the failed task was counted
      assertThat(idleStarted.await(10, TimeUnit.SECONDS)).isTrue();
      m.add(Conn.Disconnected); // ends Connecting: "idle" is cancelled, its scope closes
      m.whenIdle().await(Duration.ofSeconds(10));
      assertThat(registry.find("stator.scope.task.failures").counters()).singleElement()
          .satisfies(c -> {
            assertThat(c.count()).isEqualTo(1);
            assertThat(c.getId().getTag("stator.state")).isEqualTo("Connecting");
            assertThat(c.getId().getTag("error.type")).isEqualTo("java.lang.IllegalStateException");
          });
    }
  }
}
