package dev.stator.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.Machine;
import dev.stator.Schema;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

class StatorAssertionsTest {
  enum S { A, B, C }

  static final Schema<S> SCHEMA = Schema.of(S.class)
      .state(S.C, s -> s.require(S.A))
      .build();

  @Test
  void assertActivePassesOnTheExactSet() {
    try (Machine<S> m = Machine.of(SCHEMA).build()) {
      m.add(S.A);
      m.add(S.B);
      StatorAssertions.assertActive(m, S.A, S.B);
      StatorAssertions.assertIs(m, S.B);
      StatorAssertions.assertNot(m, S.C);
    }
  }

  @Test
  void aFailureShowsTheActiveStatesAndTheRecentTransitions() {
    try (Machine<S> m = Machine.of(SCHEMA).id("door").tracer(new TransitionLog()).build()) {
      m.add(S.B);
      m.add(S.C); // refused: C requires A
      assertThatThrownBy(() -> StatorAssertions.assertActive(m, S.A, S.C))
          .isInstanceOf(AssertionFailedError.class)
          .hasMessage("""
              machine door: expected active [A, C] but was [B] (active names [B])
              recent transitions:
                #1 add[B] +B
                #2 add[C] CANCELED: C requires A""");
      assertThatThrownBy(() -> StatorAssertions.assertIs(m, S.A))
          .hasMessageStartingWith("machine door: expected [A] to be active but was [B]");
      assertThatThrownBy(() -> StatorAssertions.assertNot(m, S.B))
          .hasMessageStartingWith("machine door: expected [B] to be inactive but was [B]");
    }
  }

  @Test
  void withoutALogTheMessageSaysHowToGetOne() {
    try (Machine<S> m = Machine.of(SCHEMA).id("plain").build()) {
      assertThatThrownBy(() -> StatorAssertions.assertIs(m, S.A))
          .hasMessageContaining("(no transition log: build the machine with "
              + ".tracer(new TransitionLog()))");
    }
  }

  @Test
  void theLogKeepsTheLastTransitionsOnly() {
    TransitionLog log = new TransitionLog(2);
    try (Machine<S> m = Machine.of(SCHEMA).tracer(log).build()) {
      m.add(S.A);
      m.add(S.B);
      m.remove(S.A);
    }
    assertThat(log.lines()).containsExactly("#4 close -B", "closed");
    assertThatThrownBy(() -> new TransitionLog(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void awaitQuiescentWaitsForTheQueueToDrain() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<S> m = Machine.of(SCHEMA).noHandlerTimeout()
        .onState(S.A, e -> {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        }).build()) {
      Thread.ofVirtual().start(() -> m.add(S.A));
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      m.add(S.B); // queued behind the running handler
      assertThatThrownBy(() -> StatorAssertions.awaitQuiescent(m, Duration.ofMillis(1)))
          .hasMessageContaining("not quiescent within PT0.001S (real time): 1 queued");
      release.countDown();
      StatorAssertions.awaitQuiescent(m);
      StatorAssertions.assertActive(m, S.A, S.B);
      m.close();
      StatorAssertions.awaitQuiescent(m); // a closed machine is quiescent
    } finally {
      release.countDown();
    }
  }
}
