package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for the wait bugs of issue 8 (13, 19's wait half, and the bare timeout):
 * each failed on the engine before its fix (see notes/scope-wait.md).
 */
class WaitBugsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  enum S { A, B, C }

  enum Conn { Session, Connecting, Connected, Ready }

  private static MachineImpl<S> machine(String id) {
    return (MachineImpl<S>) Machine.of(Schema.of(S.class).build()).id(id).build();
  }

  // ---------------------------------------------------------------- bug 13: combinators

  @Test
  void bug13_allFailsWhenAPartFails() throws Exception {
    try (MachineImpl<S> m = machine("m");
        MachineImpl<S> other = machine("other")) {
      Wait all = Wait.all(m.when(S.A), other.when(S.A), m.when(S.B));
      assertThat(m.waitCount()).isEqualTo(2);
      other.close(); // one part fails with MachineClosedException
      assertThat(all.isDone()).as("all is decided by its failed part").isTrue();
      assertThatThrownBy(() -> all.await(WAIT)).isInstanceOf(MachineClosedException.class);
      assertThatThrownBy(() -> all.future().join()).hasCauseInstanceOf(MachineClosedException.class);
      assertThat(m.waitCount()).as("the remaining parts are cancelled").isZero();
    }
  }

  @Test
  void bug13_allIsCancelledWhenAPartIsCancelled() throws Exception {
    try (MachineImpl<S> m = machine("m")) {
      Wait a = m.when(S.A);
      Wait b = m.when(S.B);
      Wait all = Wait.all(a, b);
      a.cancel();
      assertThat(all.isDone()).isTrue();
      assertThatThrownBy(() -> all.await(WAIT)).isInstanceOf(CancellationException.class);
      assertThat(b.isDone()).isTrue();
      assertThat(m.waitCount()).isZero();
    }
  }

  @Test
  void bug13_allFailsWhenAPartHasAlreadyFailed() throws Exception {
    try (MachineImpl<S> m = machine("m")) {
      Wait cancelled = m.when(S.A);
      cancelled.cancel();
      Wait all = Wait.all(m.when(S.B), cancelled);
      assertThat(all.isDone()).isTrue();
      assertThatThrownBy(() -> all.await(WAIT)).isInstanceOf(CancellationException.class);
      assertThat(m.waitCount()).isZero();
    }
  }

  @Test
  void bug13_anyFailsOnlyWhenEveryPartFailed() throws Exception {
    try (MachineImpl<S> m = machine("m");
        MachineImpl<S> other = machine("other")) {
      Wait any = Wait.any(other.when(S.A), m.when(S.B));
      other.close(); // one part fails: any still waits for the other
      assertThat(any.isDone()).as("any is not decided by one failed part").isFalse();
      assertThat(m.waitCount()).isEqualTo(1);
      m.add(S.B);
      any.await(WAIT);
      assertThat(m.waitCount()).isZero();

      Wait a = m.when(S.A);
      Wait c = m.when(S.C);
      Wait none = Wait.any(a, c);
      a.cancel();
      assertThat(none.isDone()).isFalse();
      c.cancel(); // every part failed: any fails
      assertThat(none.isDone()).isTrue();
      assertThatThrownBy(() -> none.await(WAIT)).isInstanceOf(CancellationException.class);
      assertThat(m.waitCount()).isZero();
    }
  }

  @Test
  void W5_anyCancelsTheOtherPartsOnceOneCompletes() throws Exception {
    try (MachineImpl<S> m = machine("m")) {
      Wait b = m.when(S.B);
      Wait c = m.when(S.C);
      Wait any = Wait.any(m.when(S.A), b, c);
      m.add(S.A);
      any.await(WAIT);
      assertThat(b.isDone()).isTrue();
      assertThat(c.isDone()).isTrue();
      assertThat(m.waitCount()).isZero();
    }
  }

  @Test
  void bug13_nestedCombinatorsLeaveNothingRegistered() throws Exception {
    try (MachineImpl<S> m = machine("m");
        MachineImpl<S> other = machine("other")) {
      Wait w = Wait.all(Wait.any(m.when(S.A), m.when(S.B)), other.when(S.C), m.when(S.C));
      other.close();
      assertThatThrownBy(() -> w.await(WAIT)).isInstanceOf(MachineClosedException.class);
      assertThat(m.waitCount()).isZero();
    }
  }

  // ---------------------------------------------------------------- bug 19: huge timeouts

  @Test
  void bug19_hugeAwaitTimeoutDoesNotOverflow() throws Exception {
    Duration huge = Duration.ofDays(365L * 1000);
    try (MachineImpl<S> m = machine("m")) {
      m.add(S.A);
      m.when(S.A).await(huge); // already complete
      Wait b = m.when(S.B);
      Thread t = Thread.ofVirtual().start(() -> m.add(S.B));
      b.await(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
      t.join();
    }
  }

  // ---------------------------------------------------------------- the bare TimeoutException

  @Test
  void surprise_awaitTimeoutNamesTheMachineAndTheCondition() throws Exception {
    try (Machine<Conn> m = Machine.of(Schema.of(Conn.class).build()).id("Conn#3").build()) {
      m.add(Conn.Session);
      m.add(Conn.Connecting);
      Duration t = Duration.ofMillis(20);
      assertThatThrownBy(() -> m.when(Conn.Ready).await(t))
          .isExactlyInstanceOf(TimeoutException.class)
          .hasMessage("machine Conn#3: when [Ready] did not hold within PT0.02S; "
              + "active [Session, Connecting]");
      assertThatThrownBy(() -> m.whenNot(List.of(Conn.Session, Conn.Connecting)).await(t))
          .hasMessage("machine Conn#3: whenNot [Session, Connecting] did not hold within "
              + "PT0.02S; active [Session, Connecting]");
      assertThatThrownBy(() -> m.whenTicks(Conn.Connected, 2).await(t))
          .hasMessage("machine Conn#3: whenTicks/whenTime: clocks [Connected >= 2 (now 0)] did "
              + "not hold within PT0.02S; active [Session, Connecting]");
      assertThatThrownBy(() -> m.whenError().await(t))
          .hasMessage("machine Conn#3: whenError did not hold within PT0.02S; "
              + "active [Session, Connecting]");
      assertThatThrownBy(() -> Wait.all(m.when(Conn.Session), m.when(Conn.Ready)).await(t))
          .isExactlyInstanceOf(TimeoutException.class)
          .hasMessage("Wait.all of [machine Conn#3: when [Session] (complete); machine Conn#3: "
              + "when [Ready] (pending)] did not complete within PT0.02S");
    }
  }
}
