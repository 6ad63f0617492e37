package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Golden tests for docs/spec.md §8 (waits). */
class SpecWaitTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  enum S { A, B, C }

  private static MachineImpl<S> machine() {
    return (MachineImpl<S>) Machine.of(Schema.of(S.class)
        .state(S.B, r -> r.require(S.A)).build()).build();
  }

  @Test
  void W1_alreadyTrueWaitsCompleteAtOnce() throws Exception {
    try (MachineImpl<S> m = machine()) {
      m.add(S.A);
      assertThat(m.when(S.A).isDone()).isTrue();
      assertThat(m.whenNot(S.C).isDone()).isTrue();
      assertThat(m.when(List.of(S.A, S.C)).isDone()).isFalse();
      assertThat(m.whenError().isDone()).isFalse();
      assertThat(m.whenQueue(Result.EXECUTED).isDone()).isTrue();
      m.when(S.A).await(Duration.ZERO);
      assertThat(m.waitCount()).isEqualTo(2); // the two pending ones above
    }
  }

  @Test
  void W2_waitsCompleteAfterTheTransitionThatSatisfiesThem() throws Exception {
    try (MachineImpl<S> m = machine()) {
      Wait both = m.when(List.of(S.A, S.B));
      Wait notA = m.whenNot(S.A);
      Wait ticks = m.whenTicks(S.A, 2);
      Wait error = m.whenError();
      assertThat(m.waitCount()).isEqualTo(3); // whenNot(A) is true at once
      Thread t = Thread.ofVirtual().start(() -> {
        m.add(S.A);
        m.add(S.B);
        m.remove(S.A);
        m.addError(new IllegalStateException("x"));
      });
      both.await(WAIT);
      ticks.await(WAIT);
      error.await(WAIT);
      notA.await(WAIT);
      t.join();
      assertThat(m.waitCount()).isZero();
    }
  }

  @Test
  void W2_aSingleStateWaitSeesAnActivationEvenIfItEndedBeforeTheCheck() throws Exception {
    try (MachineImpl<S> m = machine()) {
      // A is added and removed before the waits are checked: the clock still shows it.
      Wait whenA = m.when(S.A);
      Machine<S> inner = m;
      try (Machine<S> driver = Machine.of(Schema.of(S.class).build())
          .onState(S.A, e -> {
            inner.add(S.A);
            inner.remove(S.A);
          }).build()) {
        driver.add(S.A);
      }
      whenA.await(WAIT);
      assertThat(m.is(S.A)).isFalse();
    }
  }

  @Test
  void W3_whenTimeAndWhenQueue() throws Exception {
    try (MachineImpl<S> m = machine()) {
      Snapshot before = m.snapshot();
      m.add(S.A);
      Snapshot target = m.snapshot();
      m.remove(S.A);
      assertThat(m.whenTime(before).isDone()).isTrue();
      Wait later = m.whenTime(new Snapshot(target.schemaHash(), target.names(), 1,
          new long[] {3, 0, 0, 0}, 0));
      assertThat(later.isDone()).isFalse();
      m.add(S.A);
      later.await(WAIT);
      assertThatThrownBy(() -> m.whenTime(Machine.of(Schema.named("x").state("Q").build())
          .build().snapshot())).hasMessageContaining("cannot be compared with machine");
    }
  }

  @Test
  void W4_timeoutAndCancelLeaveNothingRegistered() throws Exception {
    try (MachineImpl<S> m = machine()) {
      Wait w = m.when(S.C);
      assertThat(m.waitCount()).isEqualTo(1);
      assertThatThrownBy(() -> w.await(Duration.ofMillis(1))).isInstanceOf(TimeoutException.class);
      assertThat(m.waitCount()).isZero();
      assertThatThrownBy(() -> w.await(WAIT)).isInstanceOf(CancellationException.class);
      Wait d = m.when(S.B);
      assertThat(d.cancel()).isTrue();
      assertThat(d.cancel()).isFalse();
      assertThat(m.waitCount()).isZero();
      Wait e = m.when(S.B);
      Thread.currentThread().interrupt(); // the waiter is interrupted: await throws at once
      assertThatThrownBy(() -> e.await(WAIT)).isInstanceOf(InterruptedException.class);
      assertThat(m.waitCount()).isZero();
      assertThatThrownBy(() -> e.await(Duration.ofSeconds(-1)))
          .hasMessage("timeout must not be negative: PT-1S");
    }
  }

  /**
   * Many pending waits on one machine: half cancelled out of order, the rest completed by one
   * transition; none is left registered, none completes twice or is lost.
   */
  @Test
  void W9_manyWaitsRegisterCancelAndCompleteWithNothingLeft() throws Exception {
    int n = 50_000;
    try (MachineImpl<S> m = machine()) {
      Wait[] waits = new Wait[n];
      for (int k = 0; k < n; k++) waits[k] = m.when(S.C);
      assertThat(m.waitCount()).isEqualTo(n);
      for (int k = 0; k < n; k += 2) assertThat(waits[k].cancel()).isTrue(); // every other one
      assertThat(m.waitCount()).isEqualTo(n / 2);
      assertThat(m.add(S.C).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.waitCount()).isZero();
      for (int k = 1; k < n; k += 2) waits[k].await(Duration.ZERO); // complete, not failed
      for (int k = 0; k < n; k += 2) {
        Wait cancelled = waits[k];
        assertThatThrownBy(() -> cancelled.await(Duration.ZERO))
            .isInstanceOf(CancellationException.class);
      }
    }
  }

  @Test
  void W5_allAndAnyWithOneTimeout() throws Exception {
    try (MachineImpl<S> m = machine()) {
      Wait all = Wait.all(m.when(S.A), m.when(S.C));
      Wait any = Wait.any(m.when(S.B), m.when(S.C));
      m.add(S.A);
      assertThat(all.isDone()).isFalse();
      m.add(S.C);
      all.await(WAIT);
      any.await(WAIT);
      assertThat(m.waitCount()).isZero(); // any cancelled its other part
      Wait never = Wait.all(m.when(S.B), m.whenNot(S.A));
      assertThatThrownBy(() -> never.await(Duration.ofMillis(1)))
          .isInstanceOf(TimeoutException.class);
      assertThat(m.waitCount()).isZero();
    }
  }

  @Test
  void W6_closeEndsPendingWaits() throws Exception {
    MachineImpl<S> m = machine();
    Wait w = m.when(S.C);
    Wait closedWait = m.whenClosed();
    assertThat(closedWait.isDone()).isFalse();
    m.close();
    closedWait.await(WAIT);
    assertThat(m.whenClosed().isDone()).isTrue();
    assertThatThrownBy(() -> w.await(WAIT)).isInstanceOf(MachineClosedException.class)
        .hasMessageContaining("is closed; wait ended");
    assertThatThrownBy(() -> m.when(S.A).await(WAIT)).isInstanceOf(MachineClosedException.class);
    assertThat(m.waitCount()).isZero();
  }

  @Test
  void W7_futureDependentsDoNotRunOnTheMachineThread() throws Exception {
    try (MachineImpl<S> m = machine()) {
      AtomicReference<Thread> ran = new AtomicReference<>();
      CountDownLatch done = new CountDownLatch(1);
      m.when(S.A).future().thenRun(() -> {
        ran.set(Thread.currentThread());
        done.countDown();
      });
      m.add(S.A);
      done.await();
      assertThat(ran.get()).isNotEqualTo(Thread.currentThread());
      assertThat(ran.get().getName()).isEqualTo("stator-wait");
      Wait failing = m.when(S.C);
      var f = failing.future();
      failing.cancel();
      assertThatThrownBy(f::join).isInstanceOf(CancellationException.class);
    }
  }

  @Test
  void W1_aWaitReflectsTheCommittedStateAndAQueuedMutationIsABarrier() throws Exception {
    CountDownLatch inFinal = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<String> persisted = new AtomicReference<>("nothing");
    try (Machine<S> m = Machine.of(Schema.of(S.class).build()).noHandlerTimeout()
        .onState(S.A, e -> {
          inFinal.countDown();
          try {
            release.await();
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
          persisted.set("A's effects");
        }).build()) {
      Thread t = Thread.ofVirtual().start(() -> m.add(S.A));
      inFinal.await();
      assertThat(m.is(S.A)).isTrue(); // committed
      Wait w = m.when(S.A);
      assertThat(w.isDone()).isTrue(); // the committed state, before the final handler ends
      assertThat(persisted.get()).isEqualTo("nothing");
      Result fence = m.remove(S.C); // a barrier: queued behind the running transition
      release.countDown();
      fence.await(WAIT);
      assertThat(persisted.get()).isEqualTo("A's effects");
      t.join();
    }
  }

  static final Key<String> WHO = Key.of("who", String.class);
  static final Key<Integer> TRY = Key.of("try", Integer.class);

  enum T { Idle, Job, Log, Auto, Again }

  private static MachineImpl<T> jobs() {
    return (MachineImpl<T>) Machine.of(Schema.of(T.class)
        .state(T.Job, r -> r.add(T.Log).remove(T.Idle))
        .state(T.Idle, r -> r.remove(T.Job))
        .state(T.Auto, r -> r.require(T.Log).auto())
        .state(T.Again, r -> r.multi())
        .build()).build();
  }

  @Test
  void W10_whenArgsCompletesAtTheNextActivationWithMatchingArguments() throws Exception {
    try (MachineImpl<T> m = jobs()) {
      Wait ann = m.whenArgs(T.Job, Args.of(WHO, "ann"));
      Wait annSecond = m.whenArgs(T.Job, Args.of(WHO, "ann", TRY, 2));
      Wait any = m.whenArgs(T.Job, Args.NONE);
      Wait pulled = m.whenArgs(T.Log, Args.of(WHO, "bob"));
      m.add(T.Job, Args.of(WHO, "bob", TRY, 1)); // Job and Log enter with bob's arguments
      assertThat(any.isDone()).isTrue();
      assertThat(pulled.isDone()).isTrue(); // pulled in by Job's add, with its arguments
      assertThat(ann.isDone()).isFalse();
      m.add(T.Idle); // Job ends
      m.add(T.Job, Args.of(WHO, "ann", TRY, 1));
      ann.await(WAIT);
      assertThat(annSecond.isDone()).isFalse(); // try 1, not 2
      Wait again = m.whenArgs(T.Again, Args.of(TRY, 7));
      m.add(T.Again, Args.of(TRY, 6));
      assertThat(again.isDone()).isFalse();
      m.add(T.Again, Args.of(TRY, 7)); // a multi state entered again
      again.await(WAIT);
      assertThat(m.waitCount()).isEqualTo(1); // annSecond
    }
  }

  @Test
  void W10_whenArgsIgnoresTheCurrentActivationRefusalsAndAutoStates() throws Exception {
    try (MachineImpl<T> m = jobs()) {
      m.add(T.Job, Args.of(WHO, "ann"));
      Wait current = m.whenArgs(T.Job, Args.of(WHO, "ann"));
      m.add(T.Job, Args.of(WHO, "ann")); // already active: nothing enters
      assertThat(current.isDone()).isFalse();
      Wait auto = m.whenArgs(T.Auto, Args.NONE);
      assertThat(m.is(T.Auto)).isTrue(); // it activated before the wait, by the auto mutation
      m.add(T.Idle); // Job ends; Log stays, so Auto stays
      m.remove(T.Log); // and Auto, which requires it
      Wait refused = m.whenArgs(T.Auto, Args.of(WHO, "y"));
      assertThat(m.add(T.Auto, Args.of(WHO, "y")).status()).isEqualTo(Status.CANCELED);
      assertThat(refused.isDone()).isFalse(); // a refused transition enters nothing
      m.add(T.Job, Args.of(WHO, "x")); // Log enters; Auto re-enters by auto, with no arguments
      assertThat(auto.isDone()).isTrue(); // NONE matches an auto activation
      Wait autoWithArgs = m.whenArgs(T.Auto, Args.of(WHO, "x"));
      m.remove(T.Log);
      m.add(T.Log, Args.of(WHO, "x")); // Auto enters by the auto mutation, without x
      assertThat(autoWithArgs.isDone()).isFalse();
      assertThat(refused.isDone()).isFalse(); // Auto entered, but without y
      current.cancel();
      autoWithArgs.cancel();
      refused.cancel();
      assertThat(m.waitCount()).isZero();
    }
  }

  @Test
  void W10_whenArgsIsCancelledAndEndedLikeAnyWait() throws Exception {
    MachineImpl<T> m = jobs();
    Wait cancelled = m.whenArgs(T.Job, Args.of(WHO, "ann"));
    assertThat(cancelled.cancel()).isTrue();
    assertThat(m.waitCount()).isZero();
    m.add(T.Job, Args.of(WHO, "ann"));
    assertThatThrownBy(() -> cancelled.await(WAIT)).isInstanceOf(CancellationException.class);
    Wait timed = m.whenArgs(T.Idle, Args.of(WHO, "ann"));
    assertThatThrownBy(() -> timed.await(Duration.ofMillis(1)))
        .isInstanceOf(TimeoutException.class)
        .hasMessageContaining("whenArgs [Idle] with {who=ann}");
    assertThat(m.waitCount()).isZero();
    Wait pending = m.whenArgs(T.Idle, Args.NONE);
    m.close();
    assertThatThrownBy(() -> pending.await(WAIT)).isInstanceOf(MachineClosedException.class)
        .hasMessageContaining("is closed; wait ended");
    assertThatThrownBy(() -> m.whenArgs(T.Job, Args.NONE).await(WAIT))
        .isInstanceOf(MachineClosedException.class);
    assertThat(Args.of(WHO, "ann", TRY, 1).includes(Args.of(TRY, 1))).isTrue();
    assertThat(Args.of(WHO, "ann").includes(Args.of(TRY, 1))).isFalse();
    assertThat(Args.NONE.includes(Args.NONE)).isTrue();
  }
}
