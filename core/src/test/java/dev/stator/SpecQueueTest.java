package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Golden tests for docs/spec.md §5 (queue), §6 (errors) and §7 (close). */
class SpecQueueTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  enum S { A, B, C, D, Auto, ErrNet, Exception }

  static final Schema<S> SCHEMA = Schema.of(S.class)
      .state(S.Auto, r -> r.require(S.A).auto())
      .state(S.ErrNet, r -> r.require(S.Exception))
      .build();

  @Test
  void Q1_mutationFromAHandlerIsQueuedAndRunsAfterTheTransition() {
    List<String> log = new ArrayList<>();
    AtomicReference<Result> inner = new AtomicReference<>();
    try (Machine<S> m = Machine.of(SCHEMA)
        .onState(S.B, e -> {
          inner.set(e.machine().add(S.C));
          log.add("bState sees C=" + e.machine().is(S.C));
        })
        .onState(S.C, e -> log.add("cState from " + e.source()))
        .build()) {
      assertThat(m.add(S.B).status()).isEqualTo(Status.EXECUTED);
      assertThat(inner.get().status()).isEqualTo(Status.EXECUTED);
      assertThat(log).containsExactly("bState sees C=false", "cState from " + m.id() + "/1");
    }
  }

  @Test
  void Q1_busyMachineQueuesOtherThreadsMutations() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<S> m = Machine.of(SCHEMA).noHandlerTimeout()
        .onState(S.A, e -> {
          inHandler.countDown();
          await(release);
        }).build()) {
      Thread t = Thread.ofVirtual().start(() -> m.add(S.A));
      inHandler.await();
      Result r = m.add(S.B);
      assertThat(r.status()).isEqualTo(Status.QUEUED);
      assertThat(m.queueSize()).isEqualTo(1);
      release.countDown();
      assertThat(r.await(WAIT)).isEqualTo(Status.EXECUTED);
      assertThat(r.future().get()).isEqualTo(Status.EXECUTED);
      t.join();
      assertThat(m.active()).contains(S.A, S.B);
      assertThat(m.queueSize()).isZero();
    }
  }

  @Test
  void Q2_Q6_queuedMutationsRunInOrderWithoutDeduplication() {
    List<String> log = new ArrayList<>();
    Schema<S> multi = Schema.of(S.class).state(S.C, r -> r.multi()).build();
    try (Machine<S> m = Machine.of(multi)
        .onState(S.A, e -> {
          e.machine().add(S.C);
          e.machine().add(S.C);
          e.machine().remove(S.C);
          e.machine().add(S.D);
        })
        .onState(S.C, e -> log.add("c"))
        .onEnd(S.C, e -> log.add("-c"))
        .onState(S.D, e -> log.add("d"))
        .build()) {
      m.add(S.A);
      assertThat(log).containsExactly("c", "c", "-c", "d");
      assertThat(m.tick(S.C)).isEqualTo(4);
    }
  }

  @Test
  void Q3_errorsRunFirstThenAutoThenTheQueue() {
    List<String> log = new ArrayList<>();
    try (Machine<S> m = Machine.of(SCHEMA)
        .onState(S.A, e -> {
          e.machine().add(S.B); // queued
          throw new IllegalStateException("a failed"); // error: before B and before auto
        })
        .onAnyState(e -> log.add(e.kind() + e.calledNames().toString()))
        .build()) {
      m.add(S.A);
      assertThat(log).containsExactly("ADD[A]", "ADD[Exception]", "AUTO[Auto]", "ADD[B]");
    }
  }

  @Test
  void Q4_autoIsPartialAndDoesNotLoop() {
    AtomicReference<Integer> attempts = new AtomicReference<>(0);
    Schema<S> s = Schema.of(S.class)
        .state(S.Auto, r -> r.auto())
        .state(S.C, r -> r.require(S.D).auto()) // cannot resolve: partial acceptance leaves it
        .build();
    try (Machine<S> m = Machine.of(s)
        .onEnter(S.Auto, e -> {
          attempts.set(attempts.get() + 1);
          throw new IllegalStateException("auto refuses");
        })
        .build()) {
      m.add(S.A);
      // add A -> auto (fails) -> error -> no auto after an error caused by an auto transition
      assertThat(attempts.get()).isEqualTo(1);
      assertThat(m.active()).containsExactly(S.A, S.Exception);
      assertThat(m.hasError()).isTrue();
      m.add(S.B); // a fresh transition: auto is tried again, once
      assertThat(attempts.get()).isEqualTo(2);
    }
  }

  @Test
  void Q4_autoStatesRemovedByAnActiveStateAreNotTried() {
    List<String> log = new CopyOnWriteArrayList<>();
    Schema<S> s = Schema.of(S.class)
        .state(S.A, r -> r.remove(S.Auto))
        .state(S.Auto, r -> r.auto())
        .build();
    try (Machine<S> m = Machine.of(s).onAnyEnter(e -> log.add(e.kind().name())).build()) {
      m.add(S.A);
      assertThat(log).containsExactly("ADD");
      m.remove(S.A);
      assertThat(log).containsExactly("ADD", "REMOVE", "AUTO");
      assertThat(m.is(S.Auto)).isTrue();
    }
  }

  @Test
  void Q5_queueLimitRejectsWithAClearError() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<S> m = Machine.of(SCHEMA).noHandlerTimeout().queueLimit(2)
        .onState(S.A, e -> {
          inHandler.countDown();
          await(release);
        }).build()) {
      Thread t = Thread.ofVirtual().start(() -> m.add(S.A));
      inHandler.await();
      Result r1 = m.add(S.B);
      Result r2 = m.add(S.C);
      assertThatThrownBy(() -> m.add(S.D))
          .isInstanceOf(QueueFullException.class)
          .hasMessageContaining("queue of machine " + m.id() + " is full (limit 2); add[D]");
      assertThat(m.queueSize()).isEqualTo(2);
      release.countDown();
      assertThat(r1.await(WAIT)).isEqualTo(Status.EXECUTED);
      assertThat(r2.await(WAIT)).isEqualTo(Status.EXECUTED);
      t.join();
      assertThat(m.is(S.D)).isFalse();
    }
    assertThatThrownBy(() -> Machine.of(SCHEMA).queueLimit(0))
        .hasMessage("queue limit must be positive: 0");
  }

  @Test
  void Q7_confinedRunsEveryHandlerOnTheOwnerThread() throws Exception {
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    List<Thread> made = new CopyOnWriteArrayList<>();
    Machine<S> m = Machine.of(SCHEMA).confined()
        .threadFactory(r -> {
          Thread t = Thread.ofPlatform().name("owner-test").unstarted(r);
          made.add(t);
          return t;
        })
        .onAnyEnter(e -> {
          threads.add(Thread.currentThread());
          return true;
        })
        .onAnyState(e -> threads.add(Thread.currentThread()))
        .build();
    Result r = m.add(S.A);
    assertThat(r.status()).isIn(Status.QUEUED, Status.EXECUTED);
    assertThat(r.await(WAIT)).isEqualTo(Status.EXECUTED);
    Thread other = Thread.ofVirtual().start(() -> m.add(S.B));
    other.join();
    assertThat(m.add(S.C).await(WAIT)).isEqualTo(Status.EXECUTED);
    assertThat(threads).containsExactly(made.get(0));
    m.close();
    made.get(0).join(WAIT.toMillis());
    assertThat(made.get(0).isAlive()).isFalse();
    assertThat(made).hasSize(1);
  }

  @Test
  void E1_addErrorCarriesTheErrorAndAnErrorState() {
    List<Throwable> seen = new ArrayList<>();
    try (Machine<S> m = Machine.of(SCHEMA)
        .onState(S.ErrNet, e -> seen.add(e.error())).build()) {
      IllegalStateException boom = new IllegalStateException("net down");
      assertThat(m.addError(S.ErrNet, boom).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.hasError()).isTrue();
      assertThat(m.is(S.ErrNet)).isTrue();
      assertThat(m.lastError()).isSameAs(boom);
      assertThat(seen).containsExactly(boom);
      assertThat(m.removeError().status()).isEqualTo(Status.EXECUTED);
      assertThat(m.hasError()).isFalse();
      assertThat(m.is(S.ErrNet)).isFalse(); // it requires Exception
    }
  }

  @Test
  void E2_aThrowingErrorHandlerIsNotRecordedAgain() {
    List<String> log = new ArrayList<>();
    Schema<String> s = Schema.named("e").state("A").build();
    try (Machine<String> m = Machine.of(s)
        .onState("Exception", e -> {
          log.add("exceptionState");
          throw new IllegalStateException("handler of the error fails too");
        })
        .build()) {
      m.addError(new RuntimeException("first"));
      assertThat(log).containsExactly("exceptionState");
      assertThat(m.snapshot().tick("Exception")).isEqualTo(1);
    }
  }

  @Test
  void E3_aStuckHandlerDoesNotWedgeTheMachine() throws Exception {
    CountDownLatch stuck = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch errored = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    AtomicReference<Result> late = new AtomicReference<>();
    Schema<String> s = Schema.named("t").state("Slow").state("Other").build();
    Machine<String> m = Machine.of(s).handlerTimeout(Duration.ofMillis(50))
        .onEnter("Slow", e -> {
          stuck.countDown();
          try {
            release.await();
          } catch (InterruptedException ie) { // E3: the watchdog interrupts what it abandons
            interrupted.countDown();
          }
          late.set(e.machine().add("Other")); // after the timeout: no effect
          return true;
        })
        .onState("Exception", e -> errored.countDown())
        .build();
    AtomicReference<Result> slowResult = new AtomicReference<>();
    Thread caller = Thread.ofVirtual().start(() -> slowResult.set(m.add("Slow")));
    stuck.await();
    assertThat(errored.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(m.lastError()).isInstanceOf(HandlerTimeoutException.class)
        .hasMessageContaining("handler slowEnter of machine " + m.id())
        .hasMessageContaining("before commit");
    // The machine serves others meanwhile.
    assertThat(m.add("Other").await(WAIT)).isEqualTo(Status.EXECUTED);
    assertThat(m.remove("Other").await(WAIT)).isEqualTo(Status.EXECUTED);
    release.countDown();
    caller.join();
    assertThat(interrupted.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(slowResult.get().status()).isEqualTo(Status.CANCELED);
    assertThat(slowResult.get().reason()).contains("abandoned");
    assertThat(late.get().status()).isEqualTo(Status.CANCELED);
    assertThat(late.get().reason()).contains("abandoned");
    assertThat(caller.isInterrupted()).isFalse(); // the watchdog's interrupt does not leak
    assertThat(m.is("Slow")).isFalse();
    assertThat(m.is("Other")).isFalse();
    assertThat(m.add("Slow").status()).isNotNull(); // usable afterwards
    m.close();
    assertThatThrownBy(() -> Machine.of(s).handlerTimeout(Duration.ofSeconds(-1)))
        .hasMessage("handler timeout must be positive: PT-1S");
  }

  @Test
  void E4_aThrowingTracerIsIgnored() {
    try (Machine<S> m = Machine.of(SCHEMA).tracer(new Tracer() {
      @Override
      public void transitionStart(Event<?> event) {
        throw new IllegalStateException("bad tracer");
      }
    }).build()) {
      assertThat(m.add(S.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.is(S.A)).isTrue();
    }
  }

  @Test
  void X1_closedMachineRefusesMutationsAndFailsQueuedTickets() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Machine<S> m = Machine.of(SCHEMA).noHandlerTimeout()
        .onState(S.A, e -> {
          inHandler.countDown();
          await(release);
        }).build();
    Thread t = Thread.ofVirtual().start(() -> m.add(S.A));
    inHandler.await();
    Result queued = m.add(S.B);
    m.close();
    m.close(); // idempotent
    release.countDown();
    t.join();
    assertThatThrownBy(() -> queued.await(WAIT))
        .isInstanceOf(MachineClosedException.class)
        .hasMessage("machine " + m.id() + " is closed; add[B] refused");
    assertThatThrownBy(() -> queued.future().get()).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(MachineClosedException.class);
    assertThatThrownBy(() -> m.add(S.C)).isInstanceOf(MachineClosedException.class)
        .hasMessage("machine " + m.id() + " is closed; add[C] refused");
    assertThat(m.isClosed()).isTrue();
    assertThat(m.active()).isEmpty(); // reads still work; close removed every state (X2)
    assertThat(m.tick(S.A)).isEqualTo(2);
  }

  @Test
  void X1_closeFromAHandlerLetsTheTransitionFinish() {
    Machine<S> m = Machine.of(SCHEMA).onState(S.A, e -> {
      e.machine().add(S.B);
      e.machine().close();
    }).build();
    assertThat(m.add(S.A).status()).isEqualTo(Status.EXECUTED);
    assertThat(m.tick(S.A)).isEqualTo(2); // A was entered, then exited by the close transition
    assertThat(m.tick(S.B)).isZero(); // B was queued behind the close: it never ran
    assertThat(m.isClosed()).isTrue();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static final ScopedValue<String> REQUEST = ScopedValue.newInstance();

  private static String request() {
    return REQUEST.isBound() ? REQUEST.get() : "unbound";
  }

  /**
   * A mutation queued behind a transition running on another thread runs on that thread, yet its
   * handlers, the tracer's calls for its transition and its error transition see the context its
   * caller had at submit.
   */
  @Test
  void Q10_aQueuedMutationRunsInItsCallersContext() throws Exception {
    CountDownLatch inA = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> seen = new CopyOnWriteArrayList<>();
    Tracer tracer = new Tracer() {
      @Override
      public void transitionStart(Event<?> e) {
        seen.add("start " + e.calledNames() + " " + request());
      }
    };
    try (Machine<S> m = Machine.of(SCHEMA).tracer(tracer)
        .context(dev.stator.supervision.Supervisor.carrying(REQUEST))
        .onState(S.C, e -> {
          inA.countDown();
          try {
            release.await();
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
          }
        })
        .onState(S.B, e -> {
          seen.add("bState " + request());
          throw new IllegalStateException("b failed");
        })
        .onState(S.Exception, e -> seen.add("exceptionState " + request()))
        .build()) {
      Thread holder = Thread.ofVirtual().start(() -> m.add(S.C));
      assertThat(inA.await(10, TimeUnit.SECONDS)).isTrue();
      Result b = ScopedValue.where(REQUEST, "req-7").call(() -> m.add(S.B));
      assertThat(b.status()).isEqualTo(Status.QUEUED);
      release.countDown();
      assertThat(b.await(WAIT)).isEqualTo(Status.EXECUTED);
      holder.join(WAIT);
      assertThat(seen).containsExactly("start [C] unbound", "start [B] req-7", "bState req-7",
          "start [Exception] req-7", "exceptionState req-7");
    }
  }

  /** A carrier that never runs its body costs the context, never the transition. */
  @Test
  void Q10_aCarrierThatDropsItsBodyDoesNotLoseTheTransition() throws Exception {
    CountDownLatch inA = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<S> m = Machine.of(SCHEMA)
        .context(body -> () -> { }) // drops the body
        .onState(S.A, e -> {
          inA.countDown();
          try {
            release.await();
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
          }
        })
        .build()) {
      Thread holder = Thread.ofVirtual().start(() -> m.add(S.A));
      assertThat(inA.await(10, TimeUnit.SECONDS)).isTrue();
      Result b = m.add(S.B);
      release.countDown();
      assertThat(b.await(WAIT)).isEqualTo(Status.EXECUTED);
      assertThat(m.is(S.B)).isTrue();
      holder.join(WAIT);
    }
  }
}
