package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Golden tests for docs/spec.md §11 (results: RS1-RS4), Q0 (tickets) and W1 (waits). */
class SpecResultTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  static final Schema<String> RELATIONS = Schema.named("rs1")
      .state("A")
      .state("B", r -> r.require("A"))
      .state("C", r -> r.require("A", "Z"))
      .state("X")
      .state("Z", r -> r.remove("X"))
      .state("P", r -> r.remove("Q"))
      .state("Q", r -> r.remove("P"))
      .state("H")
      .state("T")
      .state("Busy")
      .build();

  @Test
  void RS1_aCanceledResultSaysWhy() {
    try (Machine<String> m = Machine.of(RELATIONS)
        .onEnter("H", e -> false)
        .onEnter("T", e -> {
          throw new IllegalStateException("jammed");
        })
        .build()) {
      assertThat(m.add("B").reason()).isEqualTo("B requires A");
      assertThat(m.add("C").reason()).isEqualTo("C requires A, Z");
      assertThat(m.add("C", "B").reason()) // the first in schema order, not the first named
          .isEqualTo("B requires A");
      assertThat(m.add("P", "Q").reason()).isEqualTo("Q is removed by P"); // a mutual removal
      m.add("Z");
      assertThat(m.add("X").reason()).isEqualTo("X is removed by Z"); // an active remover
      assertThat(m.add("H").reason()).isEqualTo("handler hEnter refused");
      Result threw = m.add("T");
      assertThat(threw.status()).isEqualTo(Status.CANCELED);
      assertThat(threw.reason()).startsWith("handler tEnter threw ")
          .contains("IllegalStateException: jammed");
      assertThat(m.add("A").reason()).isNull(); // not CANCELED
      assertThat(Result.CANCELED.reason()).isNull();
    }
  }

  @Test
  void RS1_aQueuedMutationsTicketSaysWhyToo() throws Exception {
    CountDownLatch inBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<String> m = Machine.of(RELATIONS).noHandlerTimeout()
        .onState("Busy", e -> {
          inBusy.countDown();
          block(release);
        })
        .onEnter("H", e -> false)
        .build()) {
      Thread busy = Thread.ofVirtual().start(() -> m.add("Busy"));
      inBusy.await();
      Result requires = m.add("B");
      Result refused = m.add("H");
      assertThat(requires.status()).isEqualTo(Status.QUEUED);
      assertThat(requires.reason()).isNull(); // not decided yet
      release.countDown();
      assertThat(requires.await(WAIT)).isEqualTo(Status.CANCELED);
      assertThat(requires.reason()).isEqualTo("B requires A");
      assertThat(refused.await(WAIT)).isEqualTo(Status.CANCELED);
      assertThat(refused.reason()).isEqualTo("handler hEnter refused");
      busy.join(WAIT);
    }
  }

  @Test
  void RS1_aStaleScopesMutationNamesTheScopeAndItsActivation() throws Exception {
    AtomicReference<Result> late = new AtomicReference<>();
    CountDownLatch forked = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    Schema<String> s = Schema.named("rs1s").state("W").state("A").build();
    try (Machine<String> m = Machine.of(s).scopeCloseTimeout(WAIT)
        .onState("W", e -> {
          if (e.machine().tick("W") != 3) return; // only in the second activation
          StateScope<String> sc = e.scope();
          sc.fork("late", () -> {
            forked.countDown();
            try {
              new CountDownLatch(1).await(); // until the scope ends
            } catch (InterruptedException ie) {
              // the scope ended: mutate through it anyway, and do not wait (its close awaits us)
            }
            late.set(sc.machine().add("A"));
            done.countDown();
          });
        })
        .build()) {
      m.add("W");
      m.remove("W");
      m.add("W"); // activation 3 (its clock)
      forked.await();
      m.remove("W");
      done.await();
      assertThat(late.get().await(WAIT)).isEqualTo(Status.CANCELED);
      assertThat(late.get().reason()).isEqualTo("the scope of W (activation 3) has ended");
      assertThat(m.is("A")).isFalse();
    }
  }

  @Test
  void RS1_aScopesMutationQueuedBeforeItsScopeEndedNamesTheScopeToo() throws Exception {
    CountDownLatch inBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch mutate = new CountDownLatch(1);
    AtomicReference<Result> queued = new AtomicReference<>();
    CountDownLatch submitted = new CountDownLatch(1);
    Schema<String> s = Schema.named("rs1q").state("W").state("A").state("Busy").build();
    try (Machine<String> m = Machine.of(s).noHandlerTimeout()
        .onState("W", e -> {
          StateScope<String> sc = e.scope();
          sc.fork("early", () -> {
            mutate.await();
            queued.set(sc.machine().add("A")); // the scope is current: queued, checked at run
            submitted.countDown();
          });
        })
        .onState("Busy", e -> {
          inBusy.countDown();
          block(release);
        })
        .build()) {
      m.add("W");
      Thread busy = Thread.ofVirtual().start(() -> m.add("Busy"));
      inBusy.await();
      Result removeW = m.remove("W"); // queued first: it ends W's scope before A runs
      mutate.countDown();
      submitted.await();
      assertThat(queued.get().status()).isEqualTo(Status.QUEUED);
      release.countDown();
      assertThat(removeW.await(WAIT)).isEqualTo(Status.EXECUTED);
      assertThat(queued.get().await(WAIT)).isEqualTo(Status.CANCELED);
      assertThat(queued.get().reason()).isEqualTo("the scope of W (activation 1) has ended");
      assertThat(m.is("A")).isFalse();
      busy.join(WAIT);
    }
  }

  @Test
  void RS2_anExecutedResultListsWhatFailedAfterItsCommit() throws Exception {
    IllegalStateException first = new IllegalStateException("first bState");
    IllegalStateException second = new IllegalStateException("second bState");
    IllegalStateException endFailed = new IllegalStateException("aEnd");
    IOException diskFull = new IOException("disk full");
    CountDownLatch inBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Schema<String> s = Schema.named("rs2").state("A").state("B").state("C").state("Busy").build();
    try (Machine<String> m = Machine.of(s).noHandlerTimeout()
        .onState("B", e -> {
          throw first;
        })
        .onState("B", e -> { // a second group for the same slot: runs after the first
          throw second;
        })
        .onState("A", e -> {
          try {
            e.scope().open(() -> (AutoCloseable) () -> {
              throw diskFull;
            });
          } catch (Exception ex) {
            throw new IllegalStateException(ex);
          }
        })
        .onEnd("A", e -> {
          throw endFailed;
        })
        .onEnter("C", e -> false)
        .onState("Busy", e -> {
          inBusy.countDown();
          block(release);
        })
        .build()) {
      // Final handlers, in the order they ran.
      Result b = m.add("B");
      assertThat(b.status()).isEqualTo(Status.EXECUTED);
      assertThat(b.failures()).containsExactly(first, second);
      assertThat(m.hasError()).isTrue(); // each also became an error mutation
      m.removeError();

      // A final handler, then the ended scope (the resource's exception suppressed in it),
      // on a queued mutation's ticket this time.
      assertThat(m.add("A").failures()).isEmpty();
      Thread busy = Thread.ofVirtual().start(() -> m.add("Busy"));
      inBusy.await();
      Result removeA = m.remove("A");
      assertThat(removeA.failures()).isEmpty(); // QUEUED
      release.countDown();
      assertThat(removeA.await(WAIT)).isEqualTo(Status.EXECUTED);
      List<Throwable> f = removeA.failures();
      assertThat(f).hasSize(2);
      assertThat(f.get(0)).isSameAs(endFailed);
      assertThat(f.get(1)).hasMessageContaining("scope of A (activation 1)");
      assertThat(f.get(1).getSuppressed()).containsExactly(diskFull);
      busy.join(WAIT);

      assertThat(m.add("C").failures()).isEmpty(); // CANCELED
    }
  }

  @Test
  void RS3_compareStatusNotIdentity() throws Exception {
    CountDownLatch inBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<String> m = Machine.of(RELATIONS).noHandlerTimeout()
        .onState("Busy", e -> {
          inBusy.countDown();
          block(release);
        })
        .onState("Z", e -> {
          throw new IllegalStateException("zState");
        })
        .build()) {
      Result plain = m.add("A");
      Result withFailures = m.add("Z");
      Result withReason = m.add("X");
      assertThat(plain.status()).isEqualTo(Status.EXECUTED);
      assertThat(plain.executed()).isTrue();
      assertThat(withFailures.status()).isEqualTo(Status.EXECUTED);
      assertThat(withFailures).isNotSameAs(Result.EXECUTED); // it has failures of its own
      assertThat(withReason.canceled()).isTrue();
      assertThat(withReason).isNotSameAs(Result.CANCELED); // it has a reason of its own
      m.removeError();

      Thread busy = Thread.ofVirtual().start(() -> m.add("Busy"));
      inBusy.await();
      Result ticket = m.add("B");
      release.countDown();
      assertThat(ticket.await(WAIT)).isEqualTo(Status.EXECUTED);
      assertThat(ticket.status()).isEqualTo(plain.status());
      assertThat(ticket).isNotSameAs(Result.EXECUTED).isNotEqualTo(Result.EXECUTED);
      busy.join(WAIT);
    }
  }

  @Test
  void RS4_ticketFutureDependentsRunOffTheDrainerAndMayBlockOnTheMachine() throws Exception {
    CountDownLatch inBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Thread> drainer = new AtomicReference<>();
    try (Machine<String> m = Machine.of(RELATIONS).noHandlerTimeout()
        .onState("Busy", e -> {
          drainer.set(Thread.currentThread());
          inBusy.countDown();
          block(release);
        })
        .build()) {
      Thread busy = Thread.ofVirtual().start(() -> m.add("Busy"));
      inBusy.await();
      Result a = m.add("A");
      assertThat(a.status()).isEqualTo(Status.QUEUED);
      AtomicReference<Thread> callbackThread = new AtomicReference<>();
      var done = a.future().thenApply(status -> {
        callbackThread.set(Thread.currentThread());
        try { // blocks on the same machine: would wait for itself on the drainer
          return status + " then " + m.add("B").await(WAIT) + ", A active " + m.is("A");
        } catch (Exception e) {
          return e.toString();
        }
      });
      release.countDown();
      assertThat(done.get(WAIT.toMillis(), TimeUnit.MILLISECONDS))
          .isEqualTo("EXECUTED then EXECUTED, A active true");
      assertThat(callbackThread.get()).isNotNull().isNotSameAs(drainer.get());
      busy.join(WAIT);
    }
  }

  enum AB { A, B, Exception }

  static final Schema<AB> AB_SCHEMA = Schema.of(AB.class)
      .state(AB.A, r -> r.remove(AB.B)).state(AB.B, r -> r.remove(AB.A)).build();

  @Test
  void Q0_theOutcomeIsDecidedAtCommitSoATaskAwaitingTheMutationEndingItsScopeGetsIt()
      throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    AtomicReference<Result> result = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    try (Machine<AB> m = Machine.of(AB_SCHEMA).scopeCloseTimeout(WAIT).onState(AB.A, e -> {
      StateScope<AB> sc = e.scope();
      sc.fork("loader", () -> {
        Result r = sc.machine().add(AB.B); // ends A, and this task's scope with it
        result.set(r);
        try {
          seen.add("await " + r.await(WAIT));
        } catch (InterruptedException ie) {
          seen.add("await threw InterruptedException");
        }
        seen.add("interrupted " + Thread.currentThread().isInterrupted());
        seen.add("status " + r.status()); // the scope close is still waiting for this task
        done.countDown();
      });
    }).build()) {
      m.add(AB.A);
      done.await();
      assertThat(seen).containsExactly("await EXECUTED", "interrupted true", "status QUEUED");
      assertThat(result.get().await(WAIT)).isEqualTo(Status.EXECUTED);
      assertThat(m.activeNames()).containsExactly("B");
      assertThat(m.hasError()).isFalse();
    }
  }

  @Test
  void W1_aWaitMadeMidTransitionHoldsAtOnceWhileTheTicketWaitsForTheHandlers()
      throws Exception {
    CountDownLatch inBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch inAState = new CountDownLatch(1);
    CountDownLatch releaseA = new CountDownLatch(1);
    AtomicBoolean aStateFinished = new AtomicBoolean();
    try (Machine<String> m = Machine.of(RELATIONS).noHandlerTimeout()
        .onState("Busy", e -> {
          inBusy.countDown();
          block(release);
        })
        .onState("A", e -> {
          inAState.countDown();
          block(releaseA);
          aStateFinished.set(true);
        })
        .build()) {
      Thread busy = Thread.ofVirtual().start(() -> m.add("Busy"));
      inBusy.await();
      Result ticket = m.add("A");
      Wait queueWait = m.whenQueue(ticket);
      release.countDown();
      inAState.await(); // A has committed; its final handler is running
      Wait held = m.when("A");
      assertThat(held.isDone()).isTrue(); // the committed state
      assertThat(queueWait.isDone()).isFalse(); // the ticket: after the handlers
      assertThat(ticket.status()).isEqualTo(Status.QUEUED);
      releaseA.countDown();
      queueWait.await(WAIT);
      assertThat(aStateFinished).isTrue();
      assertThat(ticket.await(WAIT)).isEqualTo(Status.EXECUTED);
      busy.join(WAIT);
    }
  }

  private static void block(CountDownLatch latch) {
    try {
      if (!latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("latch not released in " + WAIT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
