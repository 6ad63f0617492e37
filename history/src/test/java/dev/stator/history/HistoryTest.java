package dev.stator.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.Machine;
import dev.stator.MutationKind;
import dev.stator.Schema;
import dev.stator.Snapshot;
import dev.stator.Status;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HistoryTest {
  enum Conn { Session, Connecting, Connected, Ready, Disconnected, Exception }

  static final Schema<Conn> SCHEMA = Schema.of(Conn.class)
      .state(Conn.Connecting, s -> s.add(Conn.Session).remove(Conn.Connected, Conn.Disconnected))
      .state(Conn.Connected, s -> s.require(Conn.Session).remove(Conn.Connecting,
          Conn.Disconnected))
      .state(Conn.Ready, s -> s.require(Conn.Connected).auto())
      .state(Conn.Disconnected, s -> s.remove(Conn.Session, Conn.Connecting, Conn.Connected))
      .build();

  /** A wall clock that moves one second on every reading, starting at 1000 s. */
  static InstantSource ticking() {
    AtomicLong seconds = new AtomicLong(999);
    return () -> Instant.ofEpochSecond(seconds.incrementAndGet());
  }

  static void assertRecordsMatchClocks(Timeline t) {
    // every record's clocks before equal the clocks after its predecessor, and agree with masks
    long[] prev = t.start().ticks();
    for (TransitionRecord r : t.records()) {
      assertThat(r.ticksBefore()).as("clocks before %s", r).containsExactly(prev);
      for (int i = 0; i < prev.length; i++) {
        assertThat((r.ticksAfter()[i] & 1) == 1).isEqualTo((r.afterMask() >>> i & 1) == 1);
      }
      prev = r.ticksAfter();
    }
  }

  @Test
  void recordsEachTransitionWithChangesClocksHandlersAndSource() {
    History history = History.builder().clock(ticking()).build();
    try (Machine<Conn> m = Machine.of(SCHEMA).id("c1").tracer(history.tracer())
        .onEntering(Conn.Connected, e -> { })
        .onState(Conn.Ready, e -> e.machine().add(Conn.Disconnected))
        .build()) {
      m.add(Conn.Connecting);
      m.add(Conn.Connected); // then the auto Ready, whose handler queues Disconnected

      Timeline t = history.recording().timeline("c1");
      assertThat(t.records()).extracting(TransitionRecord::kind).containsExactly(
          MutationKind.ADD, MutationKind.ADD, MutationKind.AUTO, MutationKind.ADD);
      TransitionRecord first = t.records().get(0);
      assertThat(first.transitionId()).isEqualTo(1);
      assertThat(first.called()).containsExactly("Connecting");
      assertThat(first.added()).containsExactly("Session", "Connecting");
      assertThat(first.status()).isEqualTo(Status.EXECUTED);
      assertThat(first.wallTime()).isEqualTo(Instant.ofEpochSecond(1000));

      TransitionRecord connected = t.records().get(1);
      assertThat(connected.added()).containsExactly("Connected");
      assertThat(connected.removed()).containsExactly("Connecting");
      assertThat(connected.handlers()).extracting(HandlerCall::name)
          .containsExactly("connectedEnter");
      assertThat(connected.handlers().get(0).handler())
          .isEqualTo(new HandlerName("connectedEnter", "Connected", HandlerPhase.ENTER));

      TransitionRecord ready = t.records().get(2);
      assertThat(ready.added()).containsExactly("Ready");
      assertThat(ready.called()).containsExactly("Ready");
      assertThat(ready.source()).isNull();
      assertThat(ready.handlers()).singleElement().satisfies(c -> assertThat(c.handler())
          .isEqualTo(new HandlerName("readyState", "Ready", HandlerPhase.STATE)));

      TransitionRecord last = t.records().get(3); // queued by readyState
      assertThat(last.source()).isEqualTo("c1/3");
      assertThat(last.sourceMachine()).isEqualTo("c1");
      assertThat(last.sourceTransition()).isEqualTo(3);
      assertThat(last.removed()).containsExactly("Session", "Connected", "Ready");
      assertThat(last.snapshot()).isEqualTo(m.snapshot());
      assertThat(last.tick("Session")).isEqualTo(m.tick(Conn.Session));
      assertRecordsMatchClocks(t);
    }
  }

  @Test
  void aCanceledTransitionKeepsItsReasonAndChangesNoClock() {
    History history = History.builder().build();
    try (Machine<Conn> m = Machine.of(SCHEMA).tracer(history.tracer())
        .onEnter(Conn.Connecting, e -> false).build()) {
      assertThat(m.add(Conn.Connected).canceled()).isTrue();
      assertThat(m.add(Conn.Connecting).canceled()).isTrue();
      List<TransitionRecord> rs = history.recording().timeline(m.id()).records();
      assertThat(rs).extracting(TransitionRecord::status)
          .containsExactly(Status.CANCELED, Status.CANCELED);
      assertThat(rs.get(0).reason()).isEqualTo("Connected requires Session");
      assertThat(rs.get(1).reason()).isEqualTo("handler connectingEnter refused");
      assertThat(rs.get(1).handlers()).singleElement()
          .satisfies(c -> assertThat(c.accepted()).isFalse());
      assertThat(rs.get(1).after()).isEmpty();
      assertThat(rs.get(1).ticksAfter()).containsOnly(0L);
    }
  }

  @Test
  void anErrorReentersTheMultiStateWithTwoTicks() {
    History history = History.builder().build();
    try (Machine<Conn> m = Machine.of(SCHEMA).tracer(history.tracer()).build()) {
      m.addError(new IllegalStateException("first"));
      m.addError(new IllegalStateException("second"));
      Timeline t = history.recording().timeline(m.id());
      TransitionRecord again = t.records().get(1);
      assertThat(again.entered()).containsExactly("Exception");
      assertThat(again.added()).isEmpty();
      assertThat(again.tick("Exception")).isEqualTo(3).isEqualTo(m.tick(Conn.Exception));
      assertThat(again.error()).isEqualTo("java.lang.IllegalStateException: second");
      assertThat(again.timeBefore()).isEqualTo(1);
      assertRecordsMatchClocks(t);
    }
  }

  @Test
  void anErrorsTextIsCutSoThatARecordStaysBounded() {
    History history = History.builder().build();
    try (Machine<Conn> m = Machine.of(SCHEMA).tracer(history.tracer()).build()) {
      m.addError(new IllegalStateException("x".repeat(100_000)));
      String error = history.recording().timeline(m.id()).records().get(0).error();
      assertThat(error).hasSize(1024).startsWith("java.lang.IllegalStateException: xxx")
          .endsWith("x\u2026");
    }
  }

  @Test
  void theRingKeepsTheLatestRecordsAndCountsTheDropped() {
    History history = History.builder().capacity(3).build();
    try (Machine<Conn> m = Machine.of(SCHEMA).tracer(history.tracer()).build()) {
      for (int i = 0; i < 5; i++) {
        m.add(Conn.Connecting);
        m.add(Conn.Disconnected);
      }
      Recording r = history.recording();
      assertThat(history.appended()).isEqualTo(10);
      assertThat(history.dropped()).isEqualTo(7);
      assertThat(r.firstSequence()).isEqualTo(7);
      assertThat(r.records()).extracting(TransitionRecord::transitionId).containsExactly(8L, 9L,
          10L);
      Timeline t = r.timeline(m.id());
      assertThat(t.start().activeNames()).containsExactly("Session", "Connecting"); // after #7
      assertThat(t.end()).isEqualTo(m.snapshot());
      assertRecordsMatchClocks(t);
    }
  }

  @Test
  void queriesByWallTimeAndMachineTime() {
    History history = History.builder().clock(ticking()).build();
    try (Machine<Conn> m = Machine.of(SCHEMA).tracer(history.tracer()).build()) {
      m.add(Conn.Connecting);    // #1 at 1000 s
      m.add(Conn.Connected);     // #2 at 1001 s (Ready is auto: #3 at 1002 s)
      m.add(Conn.Disconnected);  // #4 at 1003 s
      m.add(Conn.Connecting);    // #5 at 1004 s
      Timeline t = history.recording().timeline(m.id());
      assertThat(t.records()).hasSize(5);
      Instant s1000 = Instant.ofEpochSecond(1000);
      assertThat(t.activeAt("Connected", Instant.ofEpochSecond(999))).isFalse();
      assertThat(t.activeAt("Connecting", s1000)).isTrue();
      assertThat(t.activeAt("Connected", Instant.ofEpochSecond(1001))).isTrue();
      assertThat(t.activeAt("Connected", Instant.ofEpochSecond(1003))).isFalse();
      assertThat(t.activatedBetween("Connecting", s1000, Instant.ofEpochSecond(1004)))
          .extracting(TransitionRecord::transitionId).containsExactly(1L, 5L);
      assertThat(t.activeBetween("Ready", Instant.ofEpochSecond(1003),
          Instant.ofEpochSecond(1010))).isFalse();
      assertThat(t.activeBetween("Ready", Instant.ofEpochSecond(1000),
          Instant.ofEpochSecond(1002))).isTrue();
      assertThat(t.latest("Connecting")).get().extracting(TransitionRecord::transitionId)
          .isEqualTo(5L);
      assertThat(t.latest("Exception")).isEmpty();
      assertThat(t.find(r -> r.removed("Session"))).extracting(TransitionRecord::transitionId)
          .containsExactly(4L);

      // by machine time: after #2 the time is 2 (Session, Connecting) + 2 (Connecting off,
      // Connected on) = 4; Ready makes 5
      TransitionRecord second = t.records().get(1);
      assertThat(second.time()).isEqualTo(4);
      assertThat(t.activeAt("Connected", 3L)).isFalse();
      assertThat(t.activeAt("Connected", 4L)).isTrue();
      assertThat(t.activatedBetween("Ready", 0L, 5L)).hasSize(1);
      assertThat(t.activeBetween("Ready", 6L, 100L)).isTrue();    // until #4 at time 9
      assertThat(t.activeBetween("Ready", 9L, 100L)).isFalse();
      assertThatThrownBy(() -> t.activeAt("Nope", 1L))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'Nope'");
    }
  }

  @Test
  void snapshotAtRebuildsAnyRecordedPointAndRestoresAMachine() {
    History history = History.builder().build();
    List<Snapshot> seen = new ArrayList<>();
    try (Machine<Conn> m = Machine.of(SCHEMA).tracer(history.tracer()).build()) {
      m.add(Conn.Connecting);
      seen.add(m.snapshot());
      m.add(Conn.Connected);
      seen.add(m.snapshot()); // after #2 and the auto #3
      m.addError(new RuntimeException("x"));
      seen.add(m.snapshot());
      m.add(Conn.Disconnected);
      seen.add(m.snapshot());
      Timeline t = history.recording().timeline(m.id());
      assertThat(t.snapshotAt(1)).isEqualTo(seen.get(0));
      assertThat(t.snapshotAt(3)).isEqualTo(seen.get(1));
      assertThat(t.snapshotAt(4)).isEqualTo(seen.get(2));
      assertThat(t.snapshotAt(5)).isEqualTo(seen.get(3));
      assertThatThrownBy(() -> t.snapshotAt(99)).hasMessageContaining("1 to 5");

      try (Machine<Conn> replay = Machine.of(SCHEMA).restore(t.snapshotAt(3)).build()) {
        assertThat(replay.active()).containsExactly(Conn.Session, Conn.Connected, Conn.Ready);
        assertThat(replay.tick(Conn.Session)).isEqualTo(1);
      }
    }
  }

  @Test
  void aRestoredMachineIsRecordedFromItsSnapshot() {
    History history = History.builder().build();
    Snapshot saved;
    try (Machine<Conn> m = Machine.of(SCHEMA).build()) {
      m.add(Conn.Connecting);
      saved = m.snapshot();
    }
    try (Machine<Conn> m = Machine.of(SCHEMA).restore(saved).tracer(history.tracer()).build()) {
      m.add(Conn.Connected);
      Timeline t = history.recording().timeline(m.id());
      assertThat(t.start().active()).isEqualTo(saved.active());
      assertThat(t.start().ticks()).containsExactly(saved.ticks());
      assertRecordsMatchClocks(t);
      assertThat(t.snapshotAt(t.records().get(t.records().size() - 1).transitionId()).ticks())
          .containsExactly(m.snapshot().ticks());
    }
  }

  @Test
  void theCloseTransitionIsRecorded() {
    History history = History.builder().build();
    Machine<Conn> m = Machine.of(SCHEMA).tracer(history.tracer()).build();
    m.add(Conn.Connecting);
    m.close();
    TransitionRecord last = history.recording().records().get(1);
    assertThat(last.kind()).isEqualTo(MutationKind.CLOSE);
    assertThat(last.removed()).containsExactly("Session", "Connecting");
    assertThat(last.after()).isEmpty();
    assertThat(last.ticksAfter()).containsExactly(m.snapshot().ticks());
  }

  @Test
  void machinesOnManyThreadsRecordEveryTransitionOnce() throws Exception {
    History history = History.builder().capacity(100_000).build();
    int threads = 4;
    int rounds = 500;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> ids = new ArrayList<>();
      for (int k = 0; k < threads; k++) {
        ids.add(pool.submit(() -> {
          try (Machine<Conn> m = Machine.of(SCHEMA).tracer(history.tracer()).build()) {
            go.await();
            for (int i = 0; i < rounds; i++) {
              m.add(Conn.Connecting);
              m.add(Conn.Disconnected);
            }
            return m.id();
          }
        }));
      }
      go.countDown();
      Set<String> machines = new HashSet<>();
      for (Future<String> f : ids) machines.add(f.get(30, TimeUnit.SECONDS));
      Recording r = history.recording();
      // 2 transitions per round and one close transition per machine
      assertThat(r.records()).hasSize(threads * (2 * rounds + 1));
      assertThat(r.records()).extracting(TransitionRecord::sequence).doesNotHaveDuplicates()
          .isSorted();
      for (String id : machines) {
        Timeline t = r.timeline(id);
        assertThat(t.records()).extracting(TransitionRecord::transitionId)
            .isSorted().doesNotHaveDuplicates().hasSize(2 * rounds + 1);
        assertRecordsMatchClocks(t);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTransitionAbandonedPastTheHandlerTimeoutIsRecordedAsTimedOut() throws Exception {
    History history = History.builder().build();
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<Conn> m = Machine.of(SCHEMA).handlerTimeout(java.time.Duration.ofMillis(100))
        .tracer(history.tracer()).onEntering(Conn.Connecting, e -> {
          try {
            release.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt(); // the machine interrupts the abandoned handler
          }
        }).build()) {
      try {
        m.add(Conn.Connecting);
        m.whenError().await(java.time.Duration.ofSeconds(10));
      } finally {
        release.countDown();
      }
      // a later transition (queued if the new drainer is still busy with the error): the
      // recorder is in step again
      m.add(Conn.Disconnected).await(java.time.Duration.ofSeconds(10));
      Timeline t = history.recording().timeline(m.id());
      TransitionRecord abandoned = t.records().get(0);
      assertThat(abandoned.status()).isEqualTo(Status.CANCELED);
      assertThat(abandoned.reason()).isEqualTo("handler connectingEnter timed out");
      assertThat(abandoned.handlers()).singleElement().satisfies(c -> {
        assertThat(c.name()).isEqualTo("connectingEnter");
        assertThat(c.failure()).isEqualTo("timed out");
      });
      TransitionRecord error = t.records().get(1);
      assertThat(error.entered()).containsExactly("Exception");
      assertThat(error.error()).startsWith("dev.stator.HandlerTimeoutException: handler "
          + "connectingEnter");
      assertThat(t.end().ticks()).containsExactly(m.snapshot().ticks());
      assertRecordsMatchClocks(t);
    }
  }

  @Test
  void copiesTakenWhileMachinesWriteAndLapTheRingAreConsistent() throws Exception {
    History history = History.builder().capacity(64).build();
    int writers = 2;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int k = 0; k < writers; k++) {
        done.add(pool.submit(() -> {
          try (Machine<Conn> m = Machine.of(SCHEMA).tracer(history.tracer()).build()) {
            go.await();
            for (int i = 0; i < 5_000; i++) {
              m.add(Conn.Connecting);
              m.add(Conn.Disconnected);
            }
          }
          return null;
        }));
      }
      go.countDown();
      int copies = 0;
      while (!done.stream().allMatch(Future::isDone) || copies == 0) {
        Recording r = history.recording();
        copies++;
        assertThat(r.records().size()).isLessThanOrEqualTo(64);
        assertThat(r.records()).extracting(TransitionRecord::sequence).isSorted()
            .doesNotHaveDuplicates();
        for (MachineInfo mi : r.machines()) {
          Timeline t = r.timeline(mi.id());
          assertThat(t.records()).extracting(TransitionRecord::transitionId).isSorted();
          for (TransitionRecord rec : t.records()) {
            // each record is whole: its masks agree with its clocks
            rec.snapshot();
            rec.snapshotBefore();
          }
        }
      }
      for (Future<?> f : done) f.get(30, TimeUnit.SECONDS);
      assertThat(history.appended()).isEqualTo(writers * (2 * 5_000 + 1));
      assertThat(history.recording().records()).hasSize(64);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void configurationIsValidated() {
    assertThatThrownBy(() -> History.builder().capacity(0))
        .hasMessage("history capacity must be positive: 0");
  }

  @Test
  void handlerNamesResolveToStateAndPhase() {
    HandlerName.Resolver r = HandlerName.resolver(List.of("Connected", "Ready", "NOT_READY"));
    assertThat(r.of("readyExit")).isEqualTo(new HandlerName("readyExit", "Ready",
        HandlerPhase.EXIT));
    assertThat(r.of("connectedReady")).isEqualTo(new HandlerName("connectedReady", "Ready",
        HandlerPhase.PAIR));
    assertThat(r.of("readyReady").phase()).isEqualTo(HandlerPhase.SELF);
    assertThat(r.of("notReadyEnd")).isEqualTo(new HandlerName("notReadyEnd", "NOT_READY",
        HandlerPhase.END));
    assertThat(r.of("anyState").state()).isNull();
    assertThat(r.of("bogus").phase()).isEqualTo(HandlerPhase.UNKNOWN);
  }

  static final dev.stator.Key<String> HOST = dev.stator.Key.of("host", String.class,
      dev.stator.Key.Codec.of(v -> v, v -> v));
  static final dev.stator.Key<Object> SECRET = dev.stator.Key.of("secret", Object.class);

  @Test
  void recordsArgumentsThroughTheirCodecsStackTracesAndScopeEvents() throws Exception {
    History history = History.builder().clock(ticking()).build();
    java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(1);
    try (Machine<Conn> m = Machine.of(SCHEMA).id("c1").tracer(history.tracer())
        .onState(Conn.Session, e -> {
          e.scope().open(() -> () -> { });
          try {
            e.scope().hold("lease", () -> () -> { });
          } catch (Exception x) {
            throw new IllegalStateException(x);
          }
          e.scope().fork("dial", ran::countDown);
        })
        .build()) {
      m.add(java.util.List.of(Conn.Connecting), dev.stator.Args.of(HOST, "db:5432", SECRET,
          new Object()));
      ran.await();
      m.addError(new IllegalStateException("boom"));
      m.add(Conn.Disconnected); // ends Session's scope: the resource is closed
      Recording rec = history.recording();
      TransitionRecord first = rec.records().get(0);
      assertThat(first.args()).containsExactly(java.util.Map.entry("host", "db:5432"),
          java.util.Map.entry("secret", "<Object>"));
      TransitionRecord error = rec.timeline("c1").find(r -> r.error() != null).get(0);
      assertThat(error.errorTrace()).startsWith("java.lang.IllegalStateException: boom")
          .contains("at dev.stator.history.HistoryTest.");
      long activation = first.ticksAfter()[Conn.Session.ordinal()];
      assertThat(rec.scopeEvents("c1")).allSatisfy(e -> {
        assertThat(e.state()).isEqualTo("Session");
        assertThat(e.activation()).isEqualTo(activation);
      });
      assertThat(rec.scopeEvents("c1")).extracting(ScopeEvent::kind).contains(
          ScopeEvent.Kind.RESOURCE_OPENED, ScopeEvent.Kind.TASK_STARTED,
          ScopeEvent.Kind.RESOURCE_CLOSED);
      assertThat(rec.scopeEvents("c1")).filteredOn(e -> e.name().equals("lease"))
          .extracting(ScopeEvent::kind).containsExactly(ScopeEvent.Kind.CONTEXT_HELD,
              ScopeEvent.Kind.CONTEXT_RELEASED);
      Recording back = Recording.parse(rec.toJsonLines());
      assertThat(back).isEqualTo(rec);
      assertThat(back.scopeEvents()).isEqualTo(rec.scopeEvents());
      assertThat(history.recording(2).records()).allSatisfy(r ->
          assertThat(r.sequence()).isGreaterThanOrEqualTo(2));
    }
  }
}
