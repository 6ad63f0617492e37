package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/spec.md P8 (binding handler objects): handler methods without an {@code Event} parameter,
 * and misspelled handler names that fail the bind with a suggestion.
 */
class BinderTest {

  enum Conn { Session, Connected }

  static final Schema<Conn> CONN = Schema.of(Conn.class)
      .state(Conn.Connected, s -> s.require(Conn.Session))
      .build();

  /** Package-private: bound through method handles. */
  static final class Eventless {
    final List<String> log = new ArrayList<>();
    boolean refuse;

    boolean connectedEnter() {
      log.add("connectedEnter");
      return !refuse;
    }

    void connectedState() {
      log.add("connectedState");
    }

    void sessionEnd(Event<Conn> e) {
      log.add("sessionEnd " + e.isExiting(Conn.Session));
    }

    void connectedEnd() {
      log.add("connectedEnd");
    }
  }

  /** Public: bound through generated classes. */
  public static final class PublicEventless {
    public final List<String> log = new ArrayList<>();
    public boolean refuse;

    public boolean connectedEnter() {
      log.add("connectedEnter");
      return !refuse;
    }

    public void connectedState() {
      log.add("connectedState");
    }
  }

  @Test
  void P8_handlerWithoutEventParameterIsBound() {
    Eventless h = new Eventless();
    try (Machine<Conn> m = Machine.of(CONN).handlers(h).build()) {
      m.add(Conn.Session);
      h.refuse = true;
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.CANCELED);
      h.refuse = false;
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.EXECUTED);
      m.remove(Conn.Session);
      assertThat(h.log).containsExactly("connectedEnter", "connectedEnter", "connectedState",
          "connectedEnd", "sessionEnd true");
    }
  }

  @Test
  void P8_publicHandlerWithoutEventParameterIsBoundThroughAGeneratedCall() {
    PublicEventless h = new PublicEventless();
    Binder.Source src = Binder.bind(CONN, h, java.lang.invoke.MethodHandles.lookup());
    int connected = Conn.Connected.ordinal();
    assertThat(src.plan.byPhase[Binder.ENTER][connected].getClass().getName())
        .contains("EventlessGateCall");
    assertThat(src.plan.byPhase[Binder.STATE][connected].getClass().getName())
        .contains("EventlessActionCall");
    try (Machine<Conn> m = Machine.of(CONN).handlers(h).build()) {
      m.add(Conn.Session);
      h.refuse = true;
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.CANCELED);
      h.refuse = false;
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.EXECUTED);
      assertThat(h.log).containsExactly("connectedEnter", "connectedEnter", "connectedState");
    }
  }

  static final class MisspelledWithoutEvent {
    void conectedState() {}
  }

  static final class MisspelledWithEvent {
    void sesionState(Event<Conn> e) {}
  }

  static final class Transposed {
    boolean connetcedEnter() {
      return true;
    }
  }

  static final class FarOffWithEvent {
    void somethingElse(Event<Conn> e) {}
  }

  @Test
  void P8_misspelledHandlerWithoutEventFailsTheBindWithASuggestion() {
    assertThatThrownBy(() -> Machine.of(CONN).handlers(new MisspelledWithoutEvent()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MisspelledWithoutEvent.conectedState() names no state of schema "
            + "Conn; did you mean connectedState?");
    assertThatThrownBy(() -> Machine.of(CONN).handlers(new Transposed()))
        .hasMessageContaining("Transposed.connetcedEnter() names no state of schema Conn; "
            + "did you mean connectedEnter?");
  }

  @Test
  void P8_misspelledHandlerWithEventSuggestsTheNearestName() {
    assertThatThrownBy(() -> Machine.of(CONN).handlers(new MisspelledWithEvent()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MisspelledWithEvent.sesionState(Event) names no state of schema "
            + "Conn; did you mean sessionState?");
    assertThatThrownBy(() -> Machine.of(CONN).handlers(new FarOffWithEvent()))
        .hasMessageContaining("FarOffWithEvent.somethingElse(Event) names no state of schema "
            + "Conn; states: [Session, Connected, Exception]")
        .message().doesNotContain("did you mean");
  }

  /** No-argument methods that are not near a handler name stay the object's own business. */
  static final class Helpers {
    int calls;

    void run() {
      calls++;
    }

    void go() {}

    void reset() {}

    boolean isConnected() {
      return false;
    }

    void connect() {}

    String sessionName() {
      return "s";
    }

    int connectedCount() {
      return calls;
    }

    String connectedStat() { // near a handler name, but not a handler's return type
      return "";
    }

    @Override
    public String toString() {
      return "Helpers";
    }
  }

  @Test
  void P8_helperMethodsWithoutEventAreNotTakenForHandlers() {
    Helpers h = new Helpers();
    try (Machine<Conn> m = Machine.of(CONN).handlers(h).build()) {
      m.add(Conn.Session);
      m.add(Conn.Connected);
      assertThat(m.active()).containsExactly(Conn.Session, Conn.Connected);
      assertThat(h.calls).isZero();
    }
  }

  static final class Twice {
    void connectedState() {}

    void connectedState(Event<Conn> e) {}
  }

  static final class WrongEventlessReturn {
    String connectedState() {
      return "";
    }
  }

  @Test
  void P8_handlerBoundTwiceOrWithAWrongReturnTypeIsRefused() {
    assertThatThrownBy(() -> Machine.of(CONN).handlers(new Twice()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("are the same handler of schema Conn; keep one")
        .hasMessageContaining("Twice.connectedState()")
        .hasMessageContaining("Twice.connectedState(Event)");
    assertThatThrownBy(() -> Machine.of(CONN).handlers(new WrongEventlessReturn()))
        .hasMessageContaining("WrongEventlessReturn.connectedState() returns java.lang.String; "
            + "a final handler returns void");
  }

  @Test
  void P8_editDistanceCountsEditsAndTranspositions() {
    assertThat(Binder.distance("conectedState", "connectedState", 9)).isEqualTo(1);
    assertThat(Binder.distance("connetcedState", "connectedState", 9)).isEqualTo(1);
    assertThat(Binder.distance("sesionStat", "sessionState", 9)).isEqualTo(2);
    assertThat(Binder.distance("connectedState", "connectedState", 9)).isZero();
    assertThat(Binder.distance("run", "sessionEnd", 3)).isEqualTo(3); // capped
  }
}
