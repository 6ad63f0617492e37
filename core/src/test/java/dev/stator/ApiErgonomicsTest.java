package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * What a new user writes first: several states in one call, and negotiation lambdas that only
 * look. Each of these calls did not compile before.
 */
class ApiErgonomicsTest {

  enum S { A, B, C, D }

  private static final Duration WAIT = Duration.ofSeconds(10);

  static final Schema<S> SCHEMA = Schema.of(S.class)
      .state(S.C, r -> r.require(S.A))
      .build();

  @Test
  void severalStatesInOneCallRunAsOneTransition() {
    List<String> log = new ArrayList<>();
    try (Machine<S> m = Machine.of(SCHEMA)
        .onAnyEnter(e -> log.add(e.kind() + " " + e.calledNames()))
        .build()) {
      assertThat(m.add(S.B, S.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(S.A, S.B);
      assertThat(m.add(S.C, S.D, S.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(S.A, S.B, S.C, S.D);
      assertThat(m.remove(S.D, S.B).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(S.A, S.C);
      assertThat(m.set(S.D, S.B).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(S.B, S.D);
      // One transition per call (calledNames() lists the called states in schema order).
      assertThat(log).containsExactly("ADD [A, B]", "ADD [A, C, D]", "REMOVE [B, D]",
          "SET [B, D]");
    }
  }

  @Test
  void severalStatesInOneCallAreAcceptedOrRefusedTogether() {
    try (Machine<S> m = Machine.of(SCHEMA).build()) {
      assertThat(m.add(S.B, S.C).status()).isEqualTo(Status.CANCELED); // C requires A
      assertThat(m.active()).isEmpty();
      assertThatThrownBy(() -> m.add(S.A, S.B, (S) null))
          .isInstanceOf(NullPointerException.class);
      assertThat(m.active()).isEmpty();
    }
  }

  @Test
  void severalStatesThroughAnEndedScopeAreCanceled() throws Exception {
    AtomicReference<Machine<S>> viaScope = new AtomicReference<>();
    try (Machine<S> m = Machine.of(SCHEMA)
        .onState(S.A, e -> viaScope.set(e.scope().machine()))
        .build()) {
      m.add(S.A);
      Machine<S> scoped = viaScope.get();
      // From a thread other than the drainer, a scope's mutation is queued (spec SC2).
      assertThat(scoped.add(S.B, S.D).await(WAIT)).isEqualTo(Status.EXECUTED);
      m.remove(S.A);
      assertThat(scoped.add(S.B, S.D).await(WAIT)).isEqualTo(Status.CANCELED);
      assertThat(scoped.remove(S.B, S.D).await(WAIT)).isEqualTo(Status.CANCELED);
      assertThat(scoped.set(S.A, S.C).await(WAIT)).isEqualTo(Status.CANCELED);
      assertThat(m.active()).containsExactly(S.B, S.D);
    }
  }

  private final List<String> seen = new ArrayList<>();

  private void log(Event<S> e) {
    seen.add(e.handler());
  }

  @Test
  void voidNegotiationLambdasCompileNextToRefusingOnes() {
    try (Machine<S> m = Machine.of(SCHEMA)
        .onAnyEntering(e -> log(e))
        .onEnter(S.A, e -> true)
        .onEntering(S.B, e -> log(e))
        .onEnter(S.C, e -> false)
        .onExiting(S.A, e -> log(e))
        .onExit(S.B, e -> seen.add("bExit"))
        .build()) {
      assertThat(m.add(S.A, S.B).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.add(S.C).status()).isEqualTo(Status.CANCELED);
      assertThat(m.remove(S.A, S.B).status()).isEqualTo(Status.EXECUTED);
      assertThat(seen).containsExactly(
          "anyEnter", "bEnter",          // add(A, B); aEnter is a gate that logs nothing
          "anyEnter",                    // add(C), refused by cEnter
          "anyEnter", "bExit", "aExit"); // exits in reverse handler order
    }
  }

  @Test
  void aVoidNegotiationLambdaThatThrowsStillRefuses() {
    try (Machine<S> m = Machine.of(SCHEMA)
        .onEntering(S.B, e -> {
          throw new IllegalStateException("no");
        })
        .build()) {
      assertThat(m.add(S.B).status()).isEqualTo(Status.CANCELED);
      assertThat(m.is(S.B)).isFalse();
    }
  }

  // ------------------------------------------------------------------ README, multi-state add

  enum Door { Open, Closed, Locked }

  /** README.md's example with its last line, several states in one call (ManualTest: the rest). */
  @Test
  void readmeExampleAddsSeveralStatesInOneTransition() {
    List<String> lines = new ArrayList<>();
    System.Logger logger = new System.Logger() {
      @Override
      public String getName() {
        return "capture";
      }

      @Override
      public boolean isLoggable(Level level) {
        return true;
      }

      @Override
      public void log(Level level, java.util.ResourceBundle bundle, String msg, Throwable t) {
        lines.add(msg);
      }

      @Override
      public void log(Level level, java.util.ResourceBundle bundle, String format,
          Object... params) {
        lines.add(format);
      }
    };
    Schema<Door> schema = Schema.of(Door.class)
        .state(Door.Open,   s -> s.remove(Door.Closed, Door.Locked))
        .state(Door.Closed, s -> s.remove(Door.Open))
        .state(Door.Locked, s -> s.require(Door.Closed))
        .build();
    try (Machine<Door> door = Machine.of(schema).id("door")
        .tracer(Tracer.log(logger, System.Logger.Level.INFO)).build()) {
      door.add(Door.Closed);
      door.add(Door.Locked);
      door.add(Door.Open);
      assertThat(door.is(Door.Locked)).isFalse();
      assertThat(door.add(Door.Closed, Door.Locked).status()).isEqualTo(Status.EXECUTED);
      assertThat(door.active()).containsExactly(Door.Closed, Door.Locked);
    }
    assertThat(lines).element(3)
        .isEqualTo("[door] #4 add[Closed, Locked] +Closed +Locked -Open (Closed=3 Locked=3 Open=2)");
  }

  @Test
  void argsListTheirKeysAndValuesInOrder() {
    Key<String> host = Key.of("host", String.class);
    Key<Integer> port = Key.of("port", Integer.class);
    Args args = Args.of(host, "example.org", port, 443).with(host, "localhost");
    List<String> seen = new ArrayList<>();
    args.forEach((k, v) -> seen.add(k.name() + "=" + v));
    assertThat(seen).containsExactly("host=localhost", "port=443");
    assertThat(args.size()).isEqualTo(2);
    assertThat(Args.NONE.size()).isZero();
  }

  @Test
  void anEventCarriesTheQueueTickAndTheMachinesTimeForTracers() {
    ManualTime time = new ManualTime();
    List<String> seen = new ArrayList<>();
    Tracer tracer = new Tracer() {
      @Override
      public void transitionStart(Event<?> e) {
        seen.add(e.calledNames() + " q=" + e.queueTick() + " t=" + e.nanoTime() + " called="
            + Long.toBinaryString(e.calledMask()));
      }
    };
    try (Machine<S> m = Machine.of(SCHEMA).time(time).tracer(tracer).build()) {
      long t0 = time.nanoTime();
      m.add(S.A);
      m.add(S.B);
      assertThat(seen).containsExactly("[A] q=0 t=" + t0 + " called=1",
          "[B] q=1 t=" + t0 + " called=10");
    }
  }
}
