package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Golden tests for docs/spec.md §13 (time): one time source per machine, timeouts measured on
 * it, delayed mutations. Fake time ({@link ManualTime}) moves only when a test advances it; the
 * real-time bounds below ({@code REAL}) only keep a broken build from hanging.
 */
class SpecTimeTest {
  private static final Duration REAL = Duration.ofSeconds(10);
  private static final Duration HOUR = Duration.ofHours(1);

  enum S { A, B, C, Exception }

  static final Schema<S> SCHEMA = Schema.of(S.class).build();

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(REAL.toSeconds(), TimeUnit.SECONDS);
  }

  /** Runs {@code body} on a new thread; its outcome (or failure) as a future. */
  private static CompletableFuture<Object> onThread(java.util.concurrent.Callable<?> body) {
    CompletableFuture<Object> out = new CompletableFuture<>();
    Thread.ofPlatform().daemon().start(() -> {
      try {
        out.complete(body.call());
      } catch (Throwable t) {
        out.completeExceptionally(t);
      }
    });
    return out;
  }

  private static Throwable failureOf(CompletableFuture<?> f) throws Exception {
    try {
      get(f);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("completed normally: " + f);
  }

  // ------------------------------------------------------------ TM1

  @Test
  void TM1_handlerTimeoutPassesOnTheMachinesTime() throws Exception {
    ManualTime time = new ManualTime();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<S> m = Machine.of(SCHEMA).time(time).handlerTimeout(HOUR)
        .onState(S.A, e -> {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt(); // the watchdog's: this handler was abandoned
          }
        }).build()) {
      onThread(() -> m.add(S.A));
      assertThat(entered.await(REAL.toSeconds(), TimeUnit.SECONDS)).isTrue();
      Wait error = m.whenError();
      time.advance(HOUR); // an hour of the machine's time: the handler is past its timeout
      get(error.future());
      assertThat(m.lastError()).isInstanceOf(HandlerTimeoutException.class)
          .hasMessageContaining("PT1H");
    } finally {
      release.countDown();
    }
  }

  @Test
  void TM1_scopeCloseBoundPassesOnTheMachinesTime() throws Exception {
    ManualTime time = new ManualTime();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<S> m = Machine.of(SCHEMA).time(time).noHandlerTimeout().scopeCloseTimeout(HOUR)
        .onState(S.A, e -> e.scope().fork("stubborn", () -> {
          started.countDown();
          while (release.getCount() > 0) {
            try {
              release.await();
            } catch (InterruptedException ignored) { // ignores its scope's end
            }
          }
        })).build()) {
      m.add(S.A);
      assertThat(started.await(REAL.toSeconds(), TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Object> removal = onThread(() -> m.remove(S.A));
      time.awaitPending(1, REAL); // the scope close waits on the machine's time
      assertThat(removal).isNotDone();
      time.advance(HOUR);
      Result r = (Result) get(removal);
      assertThat(r.executed()).isTrue();
      assertThat(r.failures()).singleElement().extracting(Throwable::getMessage).asString()
          .contains("[stubborn] did not end within PT1H");
    } finally {
      release.countDown();
    }
  }

  // ------------------------------------------------------------ TM2

  @Test
  void TM2_waitAwaitTimesOutOnTheMachinesTimeAndNeverInRealTime() throws Exception {
    ManualTime time = new ManualTime();
    try (Machine<S> m = Machine.of(SCHEMA).time(time).build()) {
      Wait w = m.when(S.B);
      CompletableFuture<Object> awaiting = onThread(() -> {
        w.await(HOUR);
        return "completed";
      });
      time.awaitPending(1, REAL); // the await's timeout is a task on the machine's time
      assertThat(awaiting).isNotDone();
      time.advance(HOUR.minusNanos(1));
      assertThat(awaiting).isNotDone();
      time.advance(Duration.ofNanos(1));
      assertThat(failureOf(awaiting)).isInstanceOf(TimeoutException.class)
          .hasMessage("machine " + m.id() + ": when [B] did not hold within PT1H; active []");
      assertThat(((MachineImpl<S>) m).waitCount()).isZero();
      assertThat(time.pending()).isZero();
    }
  }

  @Test
  void TM2_resultAwaitTimesOutOnTheMachinesTime() throws Exception {
    ManualTime time = new ManualTime();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<S> m = Machine.of(SCHEMA).time(time).noHandlerTimeout()
        .onState(S.A, e -> {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        }).build()) {
      onThread(() -> m.add(S.A));
      assertThat(entered.await(REAL.toSeconds(), TimeUnit.SECONDS)).isTrue();
      Result ticket = m.add(S.B);
      assertThat(ticket.status()).isEqualTo(Status.QUEUED);
      CompletableFuture<Object> awaiting = onThread(() -> ticket.await(HOUR));
      time.awaitPending(1, REAL);
      time.advance(HOUR);
      assertThat(failureOf(awaiting)).isInstanceOf(TimeoutException.class)
          .hasMessageContaining("still queued after PT1H");
      release.countDown();
      assertThat(get(ticket.future())).isEqualTo(Status.EXECUTED);
    } finally {
      release.countDown();
    }
  }

  // ------------------------------------------------------------ TM3

  @Test
  void TM3_aDelayedMutationIsQueuedOnceItsDelayHasPassed() throws Exception {
    ManualTime time = new ManualTime();
    try (Machine<S> m = Machine.of(SCHEMA).time(time).build()) {
      Delayed d = m.after(Duration.ofSeconds(5)).add(S.A);
      assertThat(d.isScheduled()).isTrue();
      assertThat(d.status()).isEqualTo(Status.QUEUED);
      time.advance(Duration.ofSeconds(4));
      assertThat(m.is(S.A)).isFalse();
      assertThat(d.isScheduled()).isTrue();
      time.advance(Duration.ofSeconds(1));
      assertThat(get(d.future())).isEqualTo(Status.EXECUTED);
      assertThat(m.is(S.A)).isTrue();
      assertThat(d.isScheduled()).isFalse();
      assertThat(d.executed()).isTrue();
      assertThat(d.await(Duration.ZERO)).isEqualTo(Status.EXECUTED);

      Delayed set = m.after(Duration.ofSeconds(1)).set(List.of(S.B, S.C), Args.NONE);
      Delayed removed = m.after(Duration.ofSeconds(2)).remove(S.B);
      time.advance(Duration.ofSeconds(2));
      assertThat(get(removed.future())).isEqualTo(Status.EXECUTED);
      assertThat(set.executed()).isTrue();
      assertThat(m.active()).containsExactly(S.C);
      assertThat(((MachineImpl<S>) m).scheduledCount()).isZero();
    }
  }

  @Test
  void TM3_aDelayedMutationUnderTheSystemTime() throws Exception {
    try (Machine<S> m = Machine.of(SCHEMA).build()) {
      Key<String> why = Key.of("why", String.class);
      AtomicReference<String> seen = new AtomicReference<>();
      Machine<S> n = Machine.of(SCHEMA).onState(S.A, e -> seen.set(e.args().get(why))).build();
      try (n) {
        Delayed d = n.after(Duration.ofMillis(20)).add(S.A, Args.of(why, "late"));
        assertThat(d.await(REAL)).isEqualTo(Status.EXECUTED);
        assertThat(n.is(S.A)).isTrue();
        assertThat(seen.get()).isEqualTo("late");
      }
      assertThat(m.after(Duration.ZERO).add(S.B).await(REAL)).isEqualTo(Status.EXECUTED);
    }
  }

  @Test
  void TM3_badInputIsRefusedAtOnce() {
    try (Machine<S> m = Machine.of(SCHEMA).time(new ManualTime()).build()) {
      assertThatThrownBy(() -> m.after(Duration.ofSeconds(-1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("delay must not be negative: PT-1S");
      assertThatThrownBy(() -> m.after(null)).isInstanceOf(NullPointerException.class);
      Machine<String> strings = Machine.of(Schema.named("Str").state("X").build()).build();
      try (strings) {
        assertThatThrownBy(() -> strings.after(Duration.ofSeconds(1)).add("Nope"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Nope");
      }
      m.close();
      assertThatThrownBy(() -> m.after(Duration.ofSeconds(1)).add(S.A))
          .isInstanceOf(MachineClosedException.class)
          .hasMessage("machine " + m.id() + " is closed; add[A] refused");
    }
  }

  // ------------------------------------------------------------ TM4

  @Test
  void TM4_aDelayedMutationRunsThroughTheQueueNeverOnTheTimersThread() throws Exception {
    ManualTime time = new ManualTime();
    List<String> order = new CopyOnWriteArrayList<>();
    List<Thread> threads = new CopyOnWriteArrayList<>();
    try (Machine<S> m = Machine.of(SCHEMA).time(time)
        .onState(S.A, e -> {
          order.add("A");
          threads.add(Thread.currentThread());
        })
        .onState(S.B, e -> order.add("B"))
        .onState(S.C, e -> order.add("C"))
        .build()) {
      Delayed a = m.after(Duration.ofSeconds(1)).add(S.A);
      Delayed b = m.after(Duration.ofSeconds(1)).add(S.B);
      Delayed c = m.after(Duration.ofMillis(500)).add(S.C);
      time.advance(Duration.ofSeconds(1)); // runs the three timers on this thread
      get(CompletableFuture.allOf(a.future(), b.future(), c.future()));
      assertThat(order).containsExactly("C", "A", "B"); // due time, then scheduling order
      assertThat(threads).doesNotContain(Thread.currentThread());
    }
    // Under the system time, not on the stator-time thread either.
    AtomicReference<Thread> ran = new AtomicReference<>();
    try (Machine<S> m = Machine.of(SCHEMA).onState(S.A, e -> ran.set(Thread.currentThread()))
        .build()) {
      assertThat(m.after(Duration.ofMillis(1)).add(S.A).await(REAL)).isEqualTo(Status.EXECUTED);
      assertThat(ran.get().getName()).isNotEqualTo("stator-time");
    }
  }

  // ------------------------------------------------------------ TM5

  @Test
  void TM5_aDelayedMutationMadeInAScopeEndsWithItsState() throws Exception {
    ManualTime time = new ManualTime();
    AtomicReference<Delayed> timer = new AtomicReference<>();
    try (Machine<S> m = Machine.of(SCHEMA).time(time)
        .onState(S.A, e -> timer.set(e.scope().machine().after(Duration.ofSeconds(10)).add(S.B)))
        .build()) {
      MachineImpl<S> impl = (MachineImpl<S>) m;
      m.add(S.A);
      Delayed d = timer.get();
      assertThat(d.isScheduled()).isTrue();
      assertThat(impl.latestScope(S.A).scheduled()).isEqualTo(1);
      m.remove(S.A);
      assertThat(d.status()).isEqualTo(Status.CANCELED);
      assertThat(d.reason()).isEqualTo("the scope of A (activation 1) has ended");
      assertThat(time.pending()).isZero(); // its timer is gone
      assertThat(impl.scheduledCount()).isZero();
      assertThat(impl.latestScope(S.A).scheduled()).isZero();
      time.advance(Duration.ofSeconds(10));
      assertThat(m.is(S.B)).isFalse();

      // One that fires while its state is active runs; the scope forgets it.
      m.add(S.A);
      Delayed second = timer.get();
      time.advance(Duration.ofSeconds(10));
      assertThat(get(second.future())).isEqualTo(Status.EXECUTED);
      assertThat(m.is(S.B)).isTrue();
      assertThat(impl.latestScope(S.A).scheduled()).isZero();
    }
  }

  // ------------------------------------------------------------ TM6

  @Test
  void TM6_closeCancelsTheDelayedMutationsStillScheduled() throws Exception {
    ManualTime time = new ManualTime();
    Machine<S> m = Machine.of(SCHEMA).time(time).build();
    Delayed d = m.after(Duration.ofSeconds(1)).add(S.A);
    m.close();
    assertThat(d.status()).isEqualTo(Status.CANCELED);
    assertThat(d.reason()).isEqualTo("machine " + m.id() + " closed before the delay passed");
    assertThat(get(d.future())).isEqualTo(Status.CANCELED);
    assertThat(time.pending()).isZero();
    assertThat(((MachineImpl<S>) m).scheduledCount()).isZero();
    time.advance(Duration.ofSeconds(1));
    assertThat(m.active()).isEmpty();
  }

  @Test
  void TM6_aDelayedMutationQueuedWhenTheMachineClosesIsCanceledNotFailed() throws Exception {
    ManualTime time = new ManualTime();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Machine<S> m = Machine.of(SCHEMA).time(time).noHandlerTimeout()
        .onState(S.A, e -> {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        }).build();
    try {
      onThread(() -> m.add(S.A));
      assertThat(entered.await(REAL.toSeconds(), TimeUnit.SECONDS)).isTrue();
      Delayed d = m.after(Duration.ofSeconds(1)).add(S.B);
      time.advance(Duration.ofSeconds(1)); // queued behind the running handler
      assertThat(d.isScheduled()).isFalse();
      assertThat(d.status()).isEqualTo(Status.QUEUED);
      CompletableFuture<Object> closing = onThread(() -> {
        m.close();
        return "closed";
      });
      // The handler may return only once close() has begun (CLOSING): released earlier, its
      // thread would drain B before close came, and B would rightly be EXECUTED.
      long deadline = System.nanoTime() + REAL.toNanos();
      while (!m.isClosed() && System.nanoTime() < deadline) Thread.onSpinWait();
      assertThat(m.isClosed()).as("close() began").isTrue();
      release.countDown();
      get(closing);
      assertThat(get(d.future())).isEqualTo(Status.CANCELED);
      assertThat(d.reason()).isEqualTo("machine " + m.id() + " closed before the mutation ran");
    } finally {
      release.countDown();
      m.close();
    }
  }

  // ------------------------------------------------------------ TM7

  @Test
  void TM7_whenIdleCompletesWhenNothingIsQueuedAndNoTransitionRuns() throws Exception {
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
      assertThat(m.whenIdle().isDone()).isTrue();
      onThread(() -> m.add(S.A));
      assertThat(entered.await(REAL.toSeconds(), TimeUnit.SECONDS)).isTrue();
      Result queued = m.add(S.B);
      Wait idle = m.whenIdle();
      assertThat(idle.isDone()).isFalse();
      release.countDown();
      get(idle.future());
      assertThat(queued.status()).isEqualTo(Status.EXECUTED); // drained before idle
      assertThat(m.is(List.of(S.A, S.B))).isTrue();
    } finally {
      release.countDown();
    }
    try (Machine<S> confined = Machine.of(SCHEMA).confined().build()) {
      Result r = confined.add(S.A);
      get(confined.whenIdle().future());
      assertThat(r.status()).isEqualTo(Status.EXECUTED);
      confined.close();
      assertThatThrownBy(() -> confined.whenIdle().await(REAL))
          .isInstanceOf(MachineClosedException.class);
    }
  }

  // ------------------------------------------------------------ TM8

  @Test
  void TM8_cancelStopsADelayedMutationOnlyWhileItIsScheduled() throws Exception {
    ManualTime time = new ManualTime();
    try (Machine<S> m = Machine.of(SCHEMA).time(time).build()) {
      Delayed d = m.after(Duration.ofSeconds(1)).add(S.A);
      assertThat(d.cancel()).isTrue();
      assertThat(d.cancel()).isFalse();
      assertThat(d.status()).isEqualTo(Status.CANCELED);
      assertThat(d.reason()).isEqualTo("cancelled");
      assertThat(time.pending()).isZero();
      time.advance(Duration.ofSeconds(1));
      assertThat(m.is(S.A)).isFalse();

      Delayed fired = m.after(Duration.ofSeconds(1)).add(S.A);
      time.advance(Duration.ofSeconds(1));
      assertThat(get(fired.future())).isEqualTo(Status.EXECUTED);
      assertThat(fired.cancel()).isFalse();
      assertThat(fired.status()).isEqualTo(Status.EXECUTED);
    }
  }

  // ------------------------------------------------------------ TM9

  @Test
  void TM9_theSystemTimeRunsEveryTimerOnOneSharedDaemonThread() throws Exception {
    assertThat(Time.system()).isSameAs(Time.system());
    List<Machine<S>> machines = new java.util.ArrayList<>();
    List<Delayed> timers = new java.util.ArrayList<>();
    for (int k = 0; k < 5; k++) {
      Machine<S> m = Machine.of(SCHEMA).build();
      machines.add(m);
      timers.add(m.after(Duration.ofMillis(k)).add(S.A));
      timers.add(m.after(Duration.ofHours(1)).add(S.B)); // cancelled by close below
    }
    for (int k = 0; k < timers.size(); k += 2) assertThat(timers.get(k).await(REAL))
        .isEqualTo(Status.EXECUTED);
    List<Thread> timeThreads = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("stator-time")).toList();
    assertThat(timeThreads).singleElement().satisfies(t -> assertThat(t.isDaemon()).isTrue());
    for (Machine<S> m : machines) m.close();
    for (int k = 1; k < timers.size(); k += 2) assertThat(timers.get(k).canceled()).isTrue();
  }
}
