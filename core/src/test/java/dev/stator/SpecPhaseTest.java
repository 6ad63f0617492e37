package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden tests for docs/spec.md §3 (clocks) and §4 (phases); named after the rules. */
class SpecPhaseTest {

  enum Conn { Session, Connecting, Connected, Ready, Disconnected }

  static final Schema<Conn> CONN = Schema.of(Conn.class)
      .state(Conn.Connecting, s -> s.add(Conn.Session).remove(Conn.Connected, Conn.Disconnected))
      .state(Conn.Connected, s -> s.require(Conn.Session).remove(Conn.Connecting,
          Conn.Disconnected))
      .state(Conn.Ready, s -> s.require(Conn.Connected).auto())
      .state(Conn.Disconnected, s -> s.remove(Conn.Session, Conn.Connecting, Conn.Connected))
      .build();

  @Test
  void P1_P4_connectionLifecycleGoldenOrder() {
    Recorder<Conn> rec = new Recorder<>();
    try (Machine<Conn> m = rec.machine(CONN)) {
      assertThat(m.add(Conn.Connecting).status()).isEqualTo(Status.EXECUTED);
      assertThat(rec.take()).containsExactly(
          "anyEnter", "sessionEnter", "connectingEnter",
          "sessionState", "connectingState", "anyState");
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.EXECUTED);
      assertThat(rec.take()).containsExactly(
          // the transition to Connected
          "anyEnter", "connectingExit", "connectedEnter",
          "sessionConnected", "connectingConnected",
          "connectingEnd", "connectedState", "anyState",
          // then the auto mutation adds Ready
          "anyEnter", "readyEnter", "sessionReady", "connectedReady",
          "readyState", "anyState");
      assertThat(m.active()).containsExactly(Conn.Session, Conn.Connected, Conn.Ready);
      assertThat(m.add(Conn.Disconnected).status()).isEqualTo(Status.EXECUTED);
      // exits and ends in reverse handler order: Ready before Connected before Session
      assertThat(rec.take()).containsExactly(
          "anyEnter", "readyExit", "connectedExit", "sessionExit", "disconnectedEnter",
          "sessionDisconnected", "connectedDisconnected", "readyDisconnected",
          "readyEnd", "connectedEnd", "sessionEnd", "disconnectedState", "anyState");
    }
  }

  @Test
  void P1_selfHandlersComeLast() {
    Schema<Conn> s = Schema.of(Conn.class).build();
    Recorder<Conn> rec = new Recorder<>();
    try (Machine<Conn> m = rec.machine(s)) {
      m.add(Conn.Session);
      rec.take();
      m.add(List.of(Conn.Session, Conn.Ready), Args.NONE);
      assertThat(rec.take()).containsExactly(
          "anyEnter", "readyEnter", "sessionReady", "sessionSession", "readyState", "anyState");
    }
  }

  @Test
  void P2_vetoCancelsAndNothingChanges() {
    Recorder<Conn> rec = new Recorder<>();
    rec.veto.add("connectingConnected");
    try (Machine<Conn> m = rec.machine(CONN)) {
      m.add(Conn.Connecting);
      rec.take();
      long time = m.snapshot().time();
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.CANCELED);
      assertThat(rec.take()).containsExactly("anyEnter", "connectingExit", "connectedEnter",
          "sessionConnected", "connectingConnected");
      assertThat(m.active()).containsExactly(Conn.Session, Conn.Connecting);
      assertThat(m.snapshot().time()).isEqualTo(time);
      assertThat(m.hasError()).isFalse();
    }
  }

  @Test
  void P2_negotiationThrowCancelsAndAddsExceptionAfterwards() {
    Recorder<Conn> rec = new Recorder<>();
    rec.fail.add("connectingEnter");
    try (Machine<Conn> m = rec.builder(CONN, false).build()) {
      assertThat(m.add(Conn.Connecting).status()).isEqualTo(Status.CANCELED);
      assertThat(m.is(Conn.Connecting)).isFalse();
      assertThat(m.hasError()).isTrue();
      assertThat(m.lastError()).hasMessage("boom in connectingEnter");
      assertThat(rec.take()).containsExactly("anyEnter", "sessionEnter", "connectingEnter",
          "anyEnter", "anyState");
    }
  }

  @Test
  void P3_negotiationSeesTheOldStateFinalSeesTheNew() {
    List<String> seen = new ArrayList<>();
    Machine<Conn> m = Machine.of(CONN)
        .onEnter(Conn.Session, e -> {
          seen.add("enter:" + e.machine().is(Conn.Session));
          return true;
        })
        .onState(Conn.Session, e -> seen.add("state:" + e.machine().is(Conn.Session)))
        .build();
    m.add(Conn.Session);
    assertThat(seen).containsExactly("enter:false", "state:true");
    m.close();
  }

  @Test
  void P5_finalThrowDoesNotRollBackAndOthersRun() {
    Recorder<Conn> rec = new Recorder<>();
    rec.fail.add("sessionState");
    try (Machine<Conn> m = rec.builder(CONN, false).build()) {
      assertThat(m.add(Conn.Connecting).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(Conn.Session, Conn.Connecting);
      assertThat(m.hasError()).isTrue();
      assertThat(rec.take()).containsExactly("anyEnter", "sessionEnter", "connectingEnter",
          "sessionState", "connectingState", "anyState",
          "anyEnter", "anyState"); // the error transition
    }
  }

  @Test
  void P6_anyHandlersRunOnlyWhenSomethingChanges() {
    Recorder<Conn> rec = new Recorder<>();
    try (Machine<Conn> m = rec.builder(CONN, false).build()) {
      m.add(Conn.Session);
      rec.take();
      m.add(Conn.Session);
      m.remove(Conn.Ready);
      assertThat(rec.take()).containsExactly("sessionSession");
    }
  }

  static final class First {
    final List<String> log;

    First(List<String> log) {
      this.log = log;
    }

    void sessionState(Event<Conn> e) {
      log.add("first");
    }
  }

  static final class Second {
    final List<String> log;

    Second(List<String> log) {
      this.log = log;
    }

    void sessionState(Event<Conn> e) {
      log.add("second");
    }
  }

  @Test
  void P7_severalHandlerObjectsRunInBindOrder() {
    List<String> log = new ArrayList<>();
    try (Machine<Conn> m = Machine.of(CONN).handlers(new Second(log))
        .onState(Conn.Session, e -> log.add("lambda"))
        .handlers(new First(log)).build()) {
      m.add(Conn.Session);
      assertThat(log).containsExactly("second", "lambda", "first");
    }
  }

  static final class Typo {
    void sesionState(Event<Conn> e) {}
  }

  static final class WrongReturn {
    boolean sessionState(Event<Conn> e) {
      return true;
    }
  }

  static final class NotAHandler {
    int helper = 0;

    void sessionState() {} // no Event parameter: not a handler, ignored

    String describe(String x) {
      return x;
    }
  }

  enum Shout { NOT_READY, READY }

  static final class Shouting {
    final List<String> log = new ArrayList<>();

    void notReadyState(Event<Shout> e) {
      log.add("notReadyState");
    }

    void notReadyReady(Event<Shout> e) {
      log.add("notReadyReady");
    }
  }

  @Test
  void P8_bindValidatesHandlerNames() {
    assertThatThrownBy(() -> Machine.of(CONN).handlers(new Typo()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Typo.sesionState(Event) names no state of schema Conn");
    assertThatThrownBy(() -> Machine.of(CONN).handlers(new WrongReturn()))
        .hasMessageContaining("returns boolean; a final handler returns void");
    Machine.of(CONN).handlers(new NotAHandler()).build().close();
    Shouting h = new Shouting();
    try (Machine<Shout> m = Machine.of(Schema.of(Shout.class).build()).handlers(h).build()) {
      m.add(Shout.NOT_READY);
      m.add(Shout.READY);
      assertThat(h.log).containsExactly("notReadyState", "notReadyReady");
    }
  }

  enum Clash { Foo, Enter, FooEnter }

  static final class Ambiguous {
    void fooEnter(Event<Clash> e) {}
  }

  @Test
  void P8_ambiguousHandlerNameIsRefused() {
    assertThatThrownBy(() -> Machine.of(Schema.of(Clash.class).build()).handlers(new Ambiguous()))
        .hasMessageContaining("fooEnter(Event) is ambiguous");
  }

  @Test
  void C1_ticksAreOddExactlyWhileActive() {
    try (Machine<Conn> m = Machine.of(CONN).build()) {
      m.add(Conn.Connecting);
      m.add(Conn.Connected);
      m.add(Conn.Disconnected);
      Snapshot s = m.snapshot();
      assertThat(s.tick("Session")).isEqualTo(2);
      assertThat(s.tick("Connecting")).isEqualTo(2);
      assertThat(s.tick("Connected")).isEqualTo(2);
      assertThat(s.tick("Ready")).isEqualTo(2);
      assertThat(s.tick("Disconnected")).isEqualTo(1);
      assertThat(s.activeNames()).containsExactly("Disconnected");
      assertThat(s.queueTick()).isEqualTo(3); // auto mutations are not counted
    }
  }

  @Test
  void C3_restoreRunsNoHandlersAndRefusesAnotherSchema() {
    Snapshot snap;
    try (Machine<Conn> m = Machine.of(CONN).build()) {
      m.add(Conn.Connecting);
      m.add(Conn.Connected);
      snap = m.snapshot();
    }
    Recorder<Conn> rec = new Recorder<>();
    List<String> restored = new ArrayList<>();
    try (Machine<Conn> copy = rec.builder(CONN, false).restore(snap)
        .tracer(new Tracer() {
          @Override
          public void machineRestored(Machine<?> machine, Snapshot s) {
            restored.add(s.toString());
          }
        }).build()) {
      assertThat(copy.snapshot()).isEqualTo(snap);
      assertThat(copy.active()).containsExactly(Conn.Session, Conn.Connected, Conn.Ready);
      assertThat(rec.take()).isEmpty();
      assertThat(restored).hasSize(1);
    }
    Schema<Conn> withoutRelations = Schema.of(Conn.class).build();
    assertThatThrownBy(() -> Machine.of(withoutRelations).restore(snap))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot restore a machine of schema Conn");
  }

  /** Public handlers on a public class: bound through generated classes, not method handles. */
  public static final class PublicHandlers {
    public final List<String> log = new ArrayList<>();
    public boolean refuse;

    public boolean connectedEnter(Event<Conn> e) {
      log.add("connectedEnter");
      return !refuse;
    }

    public void connectedState(Event<Conn> e) {
      log.add("connectedState");
    }
  }

  @Test
  void P8_publicHandlerMethodsBehaveTheSameThroughGeneratedCalls() {
    PublicHandlers h = new PublicHandlers();
    Binder.Source src = Binder.bind(CONN, h, java.lang.invoke.MethodHandles.lookup());
    int connected = Conn.Connected.ordinal();
    assertThat(src.plan.byPhase[Binder.ENTER][connected].getClass().getName())
        .doesNotContain("MethodInvoker");
    try (Machine<Conn> m = Machine.of(CONN).handlers(h).build()) {
      m.add(Conn.Session);
      h.refuse = true;
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.CANCELED);
      h.refuse = false;
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.EXECUTED);
      assertThat(h.log).containsExactly("connectedEnter", "connectedEnter", "connectedState");
    }
  }
}
