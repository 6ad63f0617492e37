package dev.stator.otel;

import static dev.stator.otel.Fixtures.SCHEMA;
import static dev.stator.otel.Fixtures.counts;
import static dev.stator.otel.Fixtures.longs;
import static dev.stator.otel.Fixtures.metric;
import static dev.stator.otel.StatorTelemetry.Attributes.ACCEPTED;
import static dev.stator.otel.StatorTelemetry.Attributes.HANDLER;
import static dev.stator.otel.StatorTelemetry.Attributes.MACHINE_ID;
import static dev.stator.otel.StatorTelemetry.Attributes.MACHINE_KIND;
import static dev.stator.otel.StatorTelemetry.Attributes.MUTATION_KIND;
import static dev.stator.otel.StatorTelemetry.Attributes.MUTATION_SOURCE;
import static dev.stator.otel.StatorTelemetry.Attributes.PHASE;
import static dev.stator.otel.StatorTelemetry.Attributes.REASON;
import static dev.stator.otel.StatorTelemetry.Attributes.RESULT;
import static dev.stator.otel.StatorTelemetry.Attributes.STATE;
import static dev.stator.otel.StatorTelemetry.Attributes.STATES_ADDED;
import static dev.stator.otel.StatorTelemetry.Attributes.STATES_CALLED;
import static dev.stator.otel.StatorTelemetry.Attributes.STATES_REMOVED;
import static dev.stator.otel.StatorTelemetry.Attributes.TRANSITION_ID;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.Status;
import dev.stator.otel.Fixtures.Conn;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class StatorTelemetryTest {
  @RegisterExtension
  static final OpenTelemetryExtension OTEL = OpenTelemetryExtension.create();

  static StatorTelemetry telemetry() {
    return StatorTelemetry.builder(OTEL.getOpenTelemetry()).transitionLogs(true).build();
  }

  static SpanData only(List<SpanData> spans, long transitionId) {
    return spans.stream().filter(s -> Long.valueOf(transitionId)
        .equals(s.getAttributes().get(TRANSITION_ID))).findFirst()
        .orElseThrow(() -> new AssertionError("no span of transition " + transitionId));
  }

  @Test
  void aSpanPerTransitionNamedAfterTheSchemaWithItsChanges() {
    StatorTelemetry t = telemetry();
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA).id("c1")).build()) {
      m.add(Conn.Connecting);
      m.add(Conn.Connected); // then the auto Ready
      m.add(Conn.Ready, dev.stator.Args.NONE); // no change: no transition, no span
      m.remove(Conn.Session);
    }
    List<SpanData> spans = OTEL.getSpans();
    assertThat(spans).extracting(SpanData::getName).containsOnly("stator.transition Conn");
    SpanData first = only(spans, 1);
    assertThat(first.getParentSpanContext().isValid()).isFalse();
    assertThat(first.getAttributes().get(MACHINE_KIND)).isEqualTo("Conn");
    assertThat(first.getAttributes().get(MACHINE_ID)).isEqualTo("c1");
    assertThat(first.getAttributes().get(MUTATION_KIND)).isEqualTo("add");
    assertThat(first.getAttributes().get(STATES_CALLED)).containsExactly("Connecting");
    assertThat(first.getAttributes().get(STATES_ADDED)).containsExactly("Session", "Connecting");
    assertThat(first.getAttributes().get(RESULT)).isEqualTo("executed");
    SpanData auto = only(spans, 3);
    assertThat(auto.getAttributes().get(MUTATION_KIND)).isEqualTo("auto");
    SpanData removed = only(spans, 4);
    assertThat(removed.getAttributes().get(STATES_REMOVED))
        .containsExactly("Session", "Connected", "Ready");
    assertThat(spans).hasSize(4); // closing with nothing active runs no close transition
  }

  @Test
  void aCanceledTransitionCarriesItsReason() {
    StatorTelemetry t = telemetry();
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA)).build()) {
      assertThat(m.add(Conn.Connected).canceled()).isTrue();
    }
    SpanData s = only(OTEL.getSpans(), 1);
    assertThat(s.getAttributes().get(RESULT)).isEqualTo("canceled");
    assertThat(s.getAttributes().get(REASON)).isEqualTo("Connected requires Session");
    assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
  }

  @Test
  void theCallersSpanIsTheParentOnTheSameThread() {
    StatorTelemetry t = telemetry();
    Span parent = OTEL.getOpenTelemetry().getTracer("test").spanBuilder("request").startSpan();
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA)).build()) {
      try (Scope ignored = parent.makeCurrent()) {
        m.add(Conn.Connecting);
      }
      m.add(Conn.Disconnected);
    } finally {
      parent.end();
    }
    List<SpanData> spans = OTEL.getSpans();
    assertThat(only(spans, 1).getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
    assertThat(only(spans, 1).getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
    assertThat(only(spans, 2).getParentSpanContext().isValid()).isFalse();
  }

  @Test
  void aQueuedMutationRunOnAnotherThreadIsAChildOfItsCallersSpan() throws Exception {
    StatorTelemetry t = telemetry();
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA).noHandlerTimeout())
        .onState(Conn.Connecting, e -> {
          inHandler.countDown();
          await(release);
        }).build()) {
      // thread A: runs Connecting and blocks in its handler, so that it drains what B queues
      CompletableFuture<Result> a = CompletableFuture.supplyAsync(() -> m.add(Conn.Connecting));
      assertThat(inHandler.await(10, TimeUnit.SECONDS)).isTrue();
      Span parent = OTEL.getOpenTelemetry().getTracer("test").spanBuilder("caller on B")
          .startSpan();
      Result queued;
      try (Scope ignored = parent.makeCurrent()) {
        queued = m.add(Conn.Connected);
      } finally {
        parent.end();
      }
      assertThat(queued.status()).isEqualTo(Status.QUEUED);
      release.countDown();
      assertThat(a.get(10, TimeUnit.SECONDS).executed()).isTrue();
      assertThat(queued.await(Duration.ofSeconds(10))).isEqualTo(Status.EXECUTED);
      List<SpanData> spans = OTEL.getSpans();
      SpanData connecting = only(spans, 1);
      SpanData connected = only(spans, 2);
      assertThat(connecting.getParentSpanContext().isValid()).isFalse();
      assertThat(connected.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
      assertThat(connected.getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
      // the auto transition Connected caused runs in the same context
      SpanData ready = only(spans, 3);
      assertThat(ready.getAttributes().get(MUTATION_KIND)).isEqualTo("auto");
      assertThat(ready.getParentSpanId()).isEqualTo(connected.getSpanId());
    }
  }

  @Test
  void handlerCallsAreSpanEventsAndSpansTheyStartAreChildren() {
    StatorTelemetry t = telemetry();
    io.opentelemetry.api.trace.Tracer app = OTEL.getOpenTelemetry().getTracer("app");
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA))
        .onEnter(Conn.Connecting, e -> true)
        .onState(Conn.Connecting, e -> app.spanBuilder("dial").startSpan().end())
        .build()) {
      m.add(Conn.Connecting);
    }
    List<SpanData> spans = OTEL.getSpans();
    SpanData transition = only(spans, 1);
    List<EventData> events = transition.getEvents();
    assertThat(events).extracting(EventData::getName)
        .containsExactly("stator.handler", "stator.handler");
    Attributes enter = events.get(0).getAttributes();
    assertThat(enter.get(HANDLER)).isEqualTo("connectingEnter");
    assertThat(enter.get(STATE)).isEqualTo("Connecting");
    assertThat(enter.get(PHASE)).isEqualTo("enter");
    assertThat(enter.get(ACCEPTED)).isTrue();
    assertThat(events.get(1).getAttributes().get(PHASE)).isEqualTo("state");
    SpanData dial = spans.stream().filter(s -> s.getName().equals("dial")).findFirst()
        .orElseThrow();
    assertThat(dial.getParentSpanId()).isEqualTo(transition.getSpanId());
  }

  @Test
  void handlerSpansModeMakesAChildSpanPerHandler() {
    StatorTelemetry t = StatorTelemetry.builder(OTEL.getOpenTelemetry()).handlerSpans(true)
        .build();
    io.opentelemetry.api.trace.Tracer app = OTEL.getOpenTelemetry().getTracer("app");
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA))
        .onState(Conn.Connecting, e -> app.spanBuilder("dial").startSpan().end())
        .build()) {
      m.add(Conn.Connecting);
    }
    List<SpanData> spans = OTEL.getSpans();
    SpanData transition = only(spans, 1);
    SpanData handler = spans.stream().filter(s -> s.getName().equals(
        "stator.handler connectingState")).findFirst().orElseThrow();
    SpanData dial = spans.stream().filter(s -> s.getName().equals("dial")).findFirst()
        .orElseThrow();
    assertThat(handler.getParentSpanId()).isEqualTo(transition.getSpanId());
    assertThat(dial.getParentSpanId()).isEqualTo(handler.getSpanId());
    assertThat(transition.getEvents()).isEmpty();
  }

  @Test
  void stateSpansLastFromActivationToDeactivationLinkedToBothTransitions() {
    StatorTelemetry t = StatorTelemetry.builder(OTEL.getOpenTelemetry()).stateSpans(true)
        .build();
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA)).build()) {
      m.add(Conn.Connecting);      // #1: Session, Connecting begin
      m.add(Conn.Connected);       // #2: Connecting ends, Connected begins; #3 auto Ready
      m.addError(new RuntimeException("a"));   // #4: Exception begins
      m.addError(new RuntimeException("b"));   // #5: Exception entered again
      m.add(Conn.Disconnected);    // #6: Session, Connected, Ready end; Disconnected begins
    } // #7 close: Disconnected and Exception end
    List<SpanData> spans = OTEL.getSpans();
    SpanData connecting = spans.stream().filter(s -> s.getName().equals(
        "stator.state Connecting")).findFirst().orElseThrow();
    assertThat(connecting.getParentSpanId()).isEqualTo(only(spans, 1).getSpanId());
    assertThat(connecting.getAttributes().get(StatorTelemetry.Attributes.BEGUN_BY))
        .isEqualTo(1L);
    assertThat(connecting.getAttributes().get(StatorTelemetry.Attributes.ENDED_BY))
        .isEqualTo(2L);
    assertThat(connecting.getLinks()).extracting(l -> l.getSpanContext().getSpanId())
        .containsExactly(only(spans, 1).getSpanId(), only(spans, 2).getSpanId());
    assertThat(connecting.getEndEpochNanos()).isLessThanOrEqualTo(only(spans, 2)
        .getEndEpochNanos());
    assertThat(spans).filteredOn(s -> s.getName().equals("stator.state Exception"))
        .extracting(s -> s.getAttributes().get(StatorTelemetry.Attributes.ENDED_BY))
        .containsExactlyInAnyOrder(5L, 7L);
    assertThat(spans).filteredOn(s -> s.getName().startsWith("stator.state "))
        .extracting(SpanData::getName).containsExactlyInAnyOrder("stator.state Session",
            "stator.state Connecting", "stator.state Connected", "stator.state Ready",
            "stator.state Exception", "stator.state Exception", "stator.state Disconnected");
    assertThat(spans).filteredOn(s -> s.getName().startsWith("stator.state "))
        .allSatisfy(s -> assertThat(s.hasEnded()).isTrue());
  }

  @Test
  void aFailingHandlerMarksTheSpanAndIsLoggedWithTraceContext() {
    StatorTelemetry t = telemetry();
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA).id("c9"))
        .onState(Conn.Connecting, e -> { throw new IllegalStateException("no route"); })
        .build()) {
      m.add(Conn.Connecting);
      assertThat(m.hasError()).isTrue();
    }
    List<SpanData> spans = OTEL.getSpans();
    SpanData failed = only(spans, 1);
    assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(failed.getEvents()).extracting(EventData::getName).contains("exception");
    SpanData error = only(spans, 2); // the error transition, caused by transition 1
    assertThat(error.getAttributes().get(MUTATION_SOURCE)).isEqualTo("c9/1");
    assertThat(error.getAttributes().get(STATES_ADDED)).containsExactly("Exception");
    assertThat(error.getParentSpanId()).isEqualTo(failed.getSpanId());

    List<LogRecordData> logs = OTEL.getLogRecords();
    LogRecordData failure = logs.stream().filter(l -> l.getSeverity() == Severity.ERROR)
        .findFirst().orElseThrow();
    assertThat(failure.getBodyValue().asString())
        .isEqualTo("machine c9: handler connectingState threw java.lang.IllegalStateException: "
            + "no route");
    assertThat(failure.getAttributes().get(
        io.opentelemetry.api.common.AttributeKey.stringKey("exception.type")))
        .isEqualTo("java.lang.IllegalStateException");
    SpanContext ctx = failure.getSpanContext();
    assertThat(ctx.getSpanId()).isEqualTo(failed.getSpanId());
    assertThat(logs).filteredOn(l -> l.getSeverity() == Severity.INFO)
        .extracting(l -> l.getBodyValue().asString())
        .contains("[c9] #1 add[Connecting] +Session +Connecting",
            "[c9] #2 add[Exception] from c9/1 +Exception");
    LogRecordData line = logs.stream().filter(l -> l.getBodyValue().asString()
        .startsWith("[c9] #2")).findFirst().orElseThrow();
    assertThat(line.getSpanContext().getSpanId()).isEqualTo(error.getSpanId());

    Collection<MetricData> metrics = OTEL.getMetrics();
    assertThat(longs(metrics, "stator.handler.failures")).containsEntry(Attributes.of(
        MACHINE_KIND, "Conn", STATE, "Connecting", PHASE, "state"), 1L);
    assertThat(longs(metrics, "stator.errors")).containsEntry(Attributes.of(MACHINE_KIND, "Conn",
        STATE, "Exception", StatorTelemetry.Attributes.ERROR_TYPE,
        "java.lang.IllegalStateException"), 1L);
  }

  @Test
  void metricsCountTransitionsAndTimeHandlersByKindNotById() {
    StatorTelemetry t = StatorTelemetry.builder(OTEL.getOpenTelemetry())
        .transitionDurations(true).build();
    Machine<Conn> a = t.instrument(Machine.of(SCHEMA).id("a")).onState(Conn.Session, e -> { })
        .build();
    Machine<Conn> b = t.instrument(Machine.of(SCHEMA).id("b")).build();
    try (a; b) {
      a.add(Conn.Connecting);
      a.add(Conn.Connected);
      b.add(Conn.Connecting);
      b.add(Conn.Ready); // canceled: requires Connected
      Collection<MetricData> metrics = OTEL.getMetrics();
      assertThat(longs(metrics, "stator.transitions"))
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn", MUTATION_KIND, "add", RESULT,
              "executed"), 3L)
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn", MUTATION_KIND, "auto", RESULT,
              "executed"), 1L)
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn", MUTATION_KIND, "add", RESULT,
              "canceled"), 1L);
      assertThat(metric(metrics, "stator.transitions").getUnit()).isEqualTo("{transition}");
      assertThat(counts(metrics, "stator.handler.duration")).containsExactly(
          java.util.Map.entry(Attributes.of(MACHINE_KIND, "Conn", STATE, "Session", PHASE,
              "state"), 1L));
      assertThat(metric(metrics, "stator.handler.duration").getUnit()).isEqualTo("s");
      assertThat(counts(metrics, "stator.transition.duration"))
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn"), 5L);
      assertThat(longs(metrics, "stator.state.active"))
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn", STATE, "Session"), 2L)
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn", STATE, "Connected"), 1L)
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn", STATE, "Connecting"), 1L)
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn", STATE, "Disconnected"), 0L);
      assertThat(longs(metrics, "stator.machines"))
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn"), 2L);
      assertThat(longs(metrics, "stator.queue.size"))
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn"), 0L);
      for (MetricData md : metrics) {
        md.getData().getPoints().forEach(p -> assertThat(p.getAttributes().get(MACHINE_ID))
            .as("%s has no machine id", md.getName()).isNull());
      }
    }
    Collection<MetricData> after = OTEL.getMetrics();
    assertThat(longs(after, "stator.machines"))
        .containsExactly(java.util.Map.entry(Attributes.of(MACHINE_KIND, "Conn"), 0L));
    // closed machines' counts stay in the (monotonic) counter: 3 + 1 close transitions each
    assertThat(longs(after, "stator.transitions"))
        .containsEntry(Attributes.of(MACHINE_KIND, "Conn", MUTATION_KIND, "add", RESULT,
            "executed"), 3L)
        .containsEntry(Attributes.of(MACHINE_KIND, "Conn", MUTATION_KIND, "close", RESULT,
            "executed"), 2L);
  }

  @Test
  void theQueueSizeGaugeSeesQueuedMutations() throws Exception {
    StatorTelemetry t = StatorTelemetry.create(OTEL.getOpenTelemetry());
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA).noHandlerTimeout())
        .onState(Conn.Connecting, e -> {
          inHandler.countDown();
          await(release);
        }).build()) {
      CompletableFuture<Result> a = CompletableFuture.supplyAsync(() -> m.add(Conn.Connecting));
      assertThat(inHandler.await(10, TimeUnit.SECONDS)).isTrue();
      Result r1 = m.add(Conn.Connected);
      Result r2 = m.add(Conn.Disconnected);
      assertThat(longs(OTEL.getMetrics(), "stator.queue.size"))
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn"), 2L);
      release.countDown();
      a.get(10, TimeUnit.SECONDS);
      r1.await(Duration.ofSeconds(10));
      r2.await(Duration.ofSeconds(10));
      assertThat(longs(OTEL.getMetrics(), "stator.queue.size"))
          .containsEntry(Attributes.of(MACHINE_KIND, "Conn"), 0L);
    }
  }

  @Test
  void aHandlerPastTheTimeoutIsCountedAndEndsItsSpanInError() throws Exception {
    StatorTelemetry t = StatorTelemetry.create(OTEL.getOpenTelemetry());
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA).handlerTimeout(
        Duration.ofMillis(100))).onEntering(Conn.Connecting, e -> await(release)).build()) {
      // on its own thread: the abandoned thread keeps the span current (see OtelTracer)
      CompletableFuture<Result> stuck = CompletableFuture.supplyAsync(
          () -> m.add(Conn.Connecting));
      try {
        m.whenError().await(Duration.ofSeconds(10));
      } finally {
        release.countDown();
      }
      stuck.get(10, TimeUnit.SECONDS);
      Collection<MetricData> metrics = OTEL.getMetrics();
      assertThat(longs(metrics, "stator.handler.timeouts")).containsEntry(Attributes.of(
          MACHINE_KIND, "Conn", STATE, "Connecting", PHASE, "enter"), 1L);
      assertThat(longs(metrics, "stator.errors")).containsEntry(Attributes.of(MACHINE_KIND,
          "Conn", STATE, "Exception", StatorTelemetry.Attributes.ERROR_TYPE,
          "dev.stator.HandlerTimeoutException"), 1L);
      SpanData abandoned = only(OTEL.getSpans(), 1);
      assertThat(abandoned.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(abandoned.getStatus().getDescription())
          .isEqualTo("handler connectingEnter timed out");
      assertThat(abandoned.getAttributes().get(RESULT)).isEqualTo("abandoned");
    }
  }

  @Test
  void aScopeThatClosesWithAFailureIsCountedByState() throws Exception {
    StatorTelemetry t = StatorTelemetry.create(OTEL.getOpenTelemetry());
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA))
        .onState(Conn.Connecting, e -> {
          try {
            e.scope().open(() -> (AutoCloseable) () -> {
              throw new java.io.IOException("socket stuck");
            });
          } catch (Exception ex) {
            throw new AssertionError(ex);
          }
        }).build()) {
      m.add(Conn.Connecting);
      m.add(Conn.Disconnected); // ends Connecting's scope: its resource's close throws
      m.whenError().await(Duration.ofSeconds(10));
      assertThat(longs(OTEL.getMetrics(), "stator.scope.failures")).containsExactly(
          java.util.Map.entry(Attributes.of(MACHINE_KIND, "Conn", STATE, "Connecting"), 1L));
    }
  }

  @Test
  void aScopeTaskThatFailsIsCountedByStateAndTypeAndACancelledOneIsNot() throws Exception {
    StatorTelemetry t = StatorTelemetry.create(OTEL.getOpenTelemetry());
    java.util.concurrent.CountDownLatch idleStarted = new java.util.concurrent.CountDownLatch(1);
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA))
        .onState(Conn.Connecting, e -> {
          e.scope().fork("idle", () -> { // cancelled when Connecting ends: not a failure
            idleStarted.countDown();
            new java.util.concurrent.CountDownLatch(1).await();
          });
          e.scope().fork("dial", () -> {
            throw new IllegalStateException("no route");
          });
        }).build()) {
      m.add(Conn.Connecting);
      m.whenError().await(Duration.ofSeconds(10)); // after the failed task was counted
      assertThat(idleStarted.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      m.add(Conn.Disconnected); // ends Connecting: "idle" is cancelled, its scope closes
      m.whenIdle().await(Duration.ofSeconds(10));
      assertThat(longs(OTEL.getMetrics(), "stator.scope.task.failures")).containsExactly(
          java.util.Map.entry(Attributes.of(MACHINE_KIND, "Conn", STATE, "Connecting",
              StatorTelemetry.Attributes.ERROR_TYPE, "java.lang.IllegalStateException"), 1L));
    }
  }

  @Test
  void machineIdsAreAttributesOnlyWhenAsked() {
    StatorTelemetry t = StatorTelemetry.builder(OTEL.getOpenTelemetry()).machineIds(true)
        .build();
    try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA).id("x1")).build()) {
      m.add(Conn.Connecting);
      assertThat(longs(OTEL.getMetrics(), "stator.transitions")).containsEntry(Attributes.of(
          MACHINE_KIND, "Conn", MUTATION_KIND, "add", RESULT, "executed", MACHINE_ID, "x1"), 1L);
    }
  }

  @Test
  void aMachineTheFilterRejectsEmitsNothing() {
    StatorTelemetry t = StatorTelemetry.builder(OTEL.getOpenTelemetry())
        .enabled(m -> !m.id().startsWith("quiet")).build();
    try (Machine<Conn> quiet = t.instrument(Machine.of(SCHEMA).id("quiet-1")).build();
        Machine<Conn> loud = t.instrument(Machine.of(SCHEMA).id("loud-1")).build()) {
      quiet.add(Conn.Connecting);
      loud.add(Conn.Connecting);
    }
    assertThat(OTEL.getSpans()).extracting(s -> s.getAttributes().get(MACHINE_ID))
        .containsOnly("loud-1");
    assertThat(longs(OTEL.getMetrics(), "stator.transitions")).containsOnlyKeys(
        Attributes.of(MACHINE_KIND, "Conn", MUTATION_KIND, "add", RESULT, "executed"),
        Attributes.of(MACHINE_KIND, "Conn", MUTATION_KIND, "close", RESULT, "executed"))
        .containsValues(1L, 1L);
  }

  @Test
  void anUnsampledTransitionRecordsMetricsButNoSpan() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(
        SdkTracerProvider.builder().setSampler(Sampler.alwaysOff())
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build()) {
      StatorTelemetry t = StatorTelemetry.create(sdk);
      try (Machine<Conn> m = t.instrument(Machine.of(SCHEMA)).build()) {
        assertThat(m.add(Conn.Connecting).executed()).isTrue();
      }
      assertThat(spans.getFinishedSpanItems()).isEmpty();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(20, TimeUnit.SECONDS)) throw new AssertionError("latch not released");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
