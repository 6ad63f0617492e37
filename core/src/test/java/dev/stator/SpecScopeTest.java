package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * Golden tests for docs/spec.md §9 (state scopes), built on the connect/disconnect case of the
 * `transitions` issue: a session resource opened in connectedState and a thread-confined context
 * held while Connected, both released by their owner when Connected ends, on every path.
 */
class SpecScopeTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  enum Conn { Connecting, Connected, Disconnected, Exception }

  static final Schema<Conn> SCHEMA = Schema.of(Conn.class)
      .state(Conn.Connecting, s -> s.remove(Conn.Connected, Conn.Disconnected))
      .state(Conn.Connected, s -> s.remove(Conn.Connecting, Conn.Disconnected))
      .state(Conn.Disconnected, s -> s.remove(Conn.Connecting, Conn.Connected))
      .build();

  /** A resource that records who closed it, and how often. */
  static final class Session implements AutoCloseable {
    final List<String> log;
    final AtomicInteger closes = new AtomicInteger();
    volatile Thread closedBy;

    Session(List<String> log) {
      this.log = log;
      log.add("session opened");
    }

    @Override
    public void close() {
      closes.incrementAndGet();
      closedBy = Thread.currentThread();
      log.add("session closed");
    }
  }

  /** The client of the transitions issue, with its resources owned by Connected's scope. */
  static final class Client {
    final List<String> log = new CopyOnWriteArrayList<>();
    final ReentrantLock lock = new ReentrantLock();
    final AtomicReference<Thread> lockedBy = new AtomicReference<>();
    final AtomicReference<Thread> unlockedBy = new AtomicReference<>();
    final AtomicReference<Thread> handlerThread = new AtomicReference<>();
    volatile Session session;
    volatile StateScope<Conn> connected;
    final CountDownLatch heartbeatStarted = new CountDownLatch(1);
    final AtomicReference<String> heartbeatEnd = new AtomicReference<>();
    boolean failInState;

    void connectedState(Event<Conn> e) throws Exception {
      handlerThread.set(Thread.currentThread());
      StateScope<Conn> scope = e.scope();
      connected = scope;
      session = scope.open(() -> new Session(log));
      scope.hold("lock", () -> {
        lock.lock();
        lockedBy.set(Thread.currentThread());
        return () -> {
          unlockedBy.set(Thread.currentThread());
          lock.unlock();
        };
      });
      scope.fork("heartbeat", () -> {
        heartbeatStarted.countDown();
        try {
          new CountDownLatch(1).await(); // until interrupted
        } catch (InterruptedException ie) {
          heartbeatEnd.set("interrupted, session closed=" + (session.closes.get() > 0));
          throw ie;
        }
      });
      if (failInState) throw new IllegalStateException("handler failed after opening");
    }
  }

  private static void assertReleasedByOwners(Client c) {
    assertThat(c.session.closes.get()).isEqualTo(1);
    assertThat(c.session.closedBy).isSameAs(c.handlerThread.get()); // the machine's thread
    assertThat(c.unlockedBy.get()).isSameAs(c.lockedBy.get());      // the holder thread
    assertThat(c.lockedBy.get()).isNotSameAs(c.handlerThread.get());
    assertThat(c.lock.isLocked()).isFalse();
    assertThat(c.heartbeatEnd.get()).isEqualTo("interrupted, session closed=false");
    assertThat(c.connected.isCurrent()).isFalse();
  }

  @Test
  void SC1_disconnectReleasesEverythingByItsOwner() throws Exception {
    Client c = new Client();
    try (Machine<Conn> m = Machine.of(SCHEMA).handlers(c).build()) {
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.EXECUTED);
      c.heartbeatStarted.await();
      assertThat(c.lock.isLocked()).isTrue();
      assertThat(m.add(Conn.Disconnected).status()).isEqualTo(Status.EXECUTED);
      assertReleasedByOwners(c);
      assertThat(((MachineImpl<Conn>) m).latestScope(Conn.Connected).live()).isZero();
    }
  }

  @Test
  void SC1_errorInTheHandlerStillReleases() throws Exception {
    Client c = new Client();
    c.failInState = true;
    try (Machine<Conn> m = Machine.of(SCHEMA).handlers(c).build()) {
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.EXECUTED); // final: no roll back
      assertThat(m.hasError()).isTrue();
      c.heartbeatStarted.await();
      m.add(Conn.Disconnected);
      assertReleasedByOwners(c);
    }
  }

  @Test
  void SC1_machineCloseReleases() throws Exception {
    Client c = new Client();
    Machine<Conn> m = Machine.of(SCHEMA).handlers(c).build();
    m.add(Conn.Connected);
    c.heartbeatStarted.await();
    m.close();
    assertThat(c.session.closes.get()).isEqualTo(1);
    assertThat(c.unlockedBy.get()).isSameAs(c.lockedBy.get());
    assertThat(c.lock.isLocked()).isFalse();
    assertThat(c.heartbeatEnd.get()).isEqualTo("interrupted, session closed=false");
  }

  @Test
  void SC2_interruptWhileConnectingCancelsTheDialAndItsLateMutation() throws Exception {
    CountDownLatch dialing = new CountDownLatch(1);
    AtomicReference<Result> late = new AtomicReference<>();
    AtomicReference<Boolean> interrupted = new AtomicReference<>();
    CountDownLatch dialEnded = new CountDownLatch(1);
    try (Machine<Conn> m = Machine.of(SCHEMA)
        .onState(Conn.Connecting, e -> {
          StateScope<Conn> scope = e.scope();
          scope.fork("dial", () -> {
            try {
              dialing.countDown();
              new CountDownLatch(1).await();
            } catch (InterruptedException ie) {
              interrupted.set(true);
              // a late report from a stale task has no effect
              late.set(scope.machine().add(Conn.Connected));
              dialEnded.countDown();
            }
          });
        }).build()) {
      m.add(Conn.Connecting);
      dialing.await();
      m.add(Conn.Disconnected);
      dialEnded.await();
      assertThat(interrupted.get()).isTrue();
      assertThat(late.get().status()).isEqualTo(Status.CANCELED);
      assertThat(m.is(Conn.Connected)).isFalse();
      assertThat(m.hasError()).isFalse(); // cancellation is not a failure
    }
  }

  @Test
  void SC3_aTaskFailureBecomesAnErrorState() throws Exception {
    try (Machine<Conn> m = Machine.of(SCHEMA)
        .onState(Conn.Connected, e -> e.scope().fork("crash", () -> {
          throw new java.io.IOException("peer reset");
        })).build()) {
      Wait err = m.whenError();
      m.add(Conn.Connected);
      err.await(WAIT);
      assertThat(m.lastError()).isInstanceOf(java.io.IOException.class).hasMessage("peer reset");
    }
  }

  @Test
  void SC4_endedScopeRefusesWorkAndClosesWhatItIsGiven() throws Exception {
    AtomicReference<StateScope<Conn>> scope = new AtomicReference<>();
    try (Machine<Conn> m = Machine.of(SCHEMA)
        .onState(Conn.Connected, e -> scope.set(e.scope())).build()) {
      m.add(Conn.Connected);
      StateScope<Conn> s = scope.get();
      assertThat(s.isCurrent()).isTrue();
      assertThat(s.state()).isEqualTo("Connected");
      assertThat(s.activation()).isEqualTo(1);
      m.add(Conn.Disconnected);
      assertThat(s.isCurrent()).isFalse();
      List<String> log = new CopyOnWriteArrayList<>();
      assertThatThrownBy(() -> s.open(() -> new Session(log)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("cannot open a resource: the scope of Connected (activation 1)")
          .hasMessageContaining("has ended");
      assertThat(log).containsExactly("session opened", "session closed");
      assertThatThrownBy(() -> s.fork("late", () -> {}))
          .hasMessageContaining("cannot fork task 'late'");
      assertThat(s.machine().add(Conn.Connected).status()).isEqualTo(Status.CANCELED);
      assertThat(m.is(Conn.Connected)).isFalse();
      Wait bound = s.bind(m.when(Conn.Connecting));
      assertThat(bound.isDone()).isTrue();
    }
  }

  @Test
  void SC5_resourcesCloseInReverseOrderExactlyOnceAndFailuresAreReported() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    try (Machine<Conn> m = Machine.of(SCHEMA)
        .onState(Conn.Connected, e -> {
          try {
            e.scope().open(() -> (AutoCloseable) () -> log.add("first closed"));
            e.scope().open(() -> (AutoCloseable) () -> {
              log.add("second fails");
              throw new IllegalStateException("close failed");
            });
            e.scope().open(() -> (AutoCloseable) () -> log.add("third closed"));
          } catch (Exception ex) {
            throw new IllegalStateException(ex);
          }
        }).build()) {
      m.add(Conn.Connected);
      m.add(Conn.Disconnected);
      assertThat(log).containsExactly("third closed", "second fails", "first closed");
      assertThat(m.hasError()).isTrue();
      assertThat(m.lastError()).hasMessageContaining("closed with 1 failure(s)")
          .hasMessageContaining("close failed");
    }
  }

  @Test
  void SC6_scopeIsNotAvailableInNegotiation() {
    AtomicReference<Throwable> seen = new AtomicReference<>();
    try (Machine<Conn> m = Machine.of(SCHEMA)
        .onEnter(Conn.Connected, e -> {
          try {
            e.scope();
          } catch (IllegalStateException ex) {
            seen.set(ex);
          }
          return true;
        }).build()) {
      m.add(Conn.Connected);
      assertThat(seen.get()).hasMessageContaining("not available in negotiation handlers");
    }
  }

  @Test
  void SC7_aTaskThatIgnoresInterruptionIsBoundedAndReported() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> log = new CopyOnWriteArrayList<>();
    try (Machine<Conn> m = Machine.of(SCHEMA).scopeCloseTimeout(Duration.ofMillis(20))
        .onState(Conn.Connected, e -> {
          e.scope().fork("stubborn", () -> {
            started.countDown();
            while (true) {
              try {
                release.await();
                return;
              } catch (InterruptedException ignored) {
                // ignores interruption on purpose
              }
            }
          });
          try {
            e.scope().open(() -> (AutoCloseable) () -> log.add("closed anyway"));
          } catch (Exception ex) {
            throw new IllegalStateException(ex);
          }
        }).build()) {
      m.add(Conn.Connected);
      started.await();
      m.add(Conn.Disconnected);
      assertThat(log).containsExactly("closed anyway");
      assertThat(m.lastError()).hasMessageContaining("stubborn")
          .hasMessageContaining("did not end within PT0.02S");
      release.countDown();
    }
  }

  enum Pulse { Beat, Exception }

  @Test
  void SC8_multiReentryEndsThePreviousScopeFirst() {
    List<String> log = new CopyOnWriteArrayList<>();
    Schema<Pulse> s = Schema.of(Pulse.class).state(Pulse.Beat, r -> r.multi()).build();
    try (Machine<Pulse> m = Machine.of(s).onState(Pulse.Beat, e -> {
      StateScope<Pulse> scope = e.scope();
      try {
        scope.open(() -> (AutoCloseable) () -> log.add("closed " + scope.activation()));
      } catch (Exception ex) {
        throw new IllegalStateException(ex);
      }
      log.add("opened " + scope.activation());
    }).build()) {
      m.add(Pulse.Beat);
      m.add(Pulse.Beat);
      assertThat(log).containsExactly("opened 1", "opened 3", "closed 1");
    }
    assertThat(log).containsExactly("opened 1", "opened 3", "closed 1", "closed 3");
  }

  static final ScopedValue<String> TRACE = ScopedValue.newInstance();

  @Test
  void SC10_tasksCarryContextFromTheForkingThread() throws Exception {
    AtomicReference<String> seen = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    try (Machine<Conn> m = Machine.of(SCHEMA)
        .context(dev.stator.supervision.Supervisor.carrying(TRACE))
        .onState(Conn.Connected, e -> e.scope().fork("traced", () -> {
          seen.set(TRACE.isBound() ? TRACE.get() : "unbound");
          done.countDown();
        })).build()) {
      ScopedValue.where(TRACE, "trace-42").run(() -> m.add(Conn.Connected));
      done.await();
      assertThat(seen.get()).isEqualTo("trace-42");
    }
  }

  @Test
  void X1_closeFromAnotherThreadWaitsForTheRunningTransitionAndClosesScopes() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> log = new CopyOnWriteArrayList<>();
    Machine<Conn> m = Machine.of(SCHEMA).noHandlerTimeout()
        .onState(Conn.Connected, e -> {
          try {
            e.scope().open(() -> (AutoCloseable) () -> log.add("closed"));
          } catch (Exception ex) {
            throw new IllegalStateException(ex);
          }
        })
        .onState(Conn.Exception, e -> {
          inHandler.countDown();
          try {
            release.await();
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        }).build();
    m.add(Conn.Connected);
    Thread busy = Thread.ofVirtual().start(() -> m.addError(new RuntimeException("busy")));
    inHandler.await();
    Thread closer = Thread.ofVirtual().start(m::close);
    release.countDown();
    closer.join();
    assertThat(log).containsExactly("closed"); // by the time close() returns
    assertThat(m.isClosed()).isTrue();
    busy.join();
    assertThat(log).containsExactly("closed"); // exactly once
  }

  enum AB { A, B, Exception }

  static final Schema<AB> AB_SCHEMA = Schema.of(AB.class)
      .state(AB.A, r -> r.remove(AB.B)).state(AB.B, r -> r.remove(AB.A)).build();

  @Test
  void SC2_aTaskThatEndsItsOwnStateThroughItsScopeIsNotAwaitedByItself() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    AtomicReference<Result> result = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    try (Machine<AB> m = Machine.of(AB_SCHEMA).onState(AB.A, e -> {
      StateScope<AB> sc = e.scope();
      sc.fork("worker", () -> {
        go.await();
        result.set(sc.machine().add(AB.B)); // queued, run by another thread
        done.countDown();
      });
    }).build()) {
      Wait b = m.when(AB.B);
      m.add(AB.A);
      go.countDown();
      done.await();
      b.await(WAIT);
      assertThat(result.get().await(WAIT)).isEqualTo(Status.EXECUTED);
      assertThat(m.activeNames()).containsExactly("B");
      assertThat(m.hasError()).isFalse();
    }
  }

  @Test
  void SC3_aFailureAfterTheScopeEndedIsNotAnErrorOfTheMachine() throws Exception {
    CountDownLatch forked = new CountDownLatch(1);
    CountDownLatch failed = new CountDownLatch(1);
    try (Machine<AB> m = Machine.of(AB_SCHEMA).onState(AB.A, e -> {
      StateScope<AB> sc = e.scope();
      sc.fork("late", () -> {
        forked.countDown();
        try {
          new CountDownLatch(1).await(); // until the scope ends
        } catch (InterruptedException ie) {
          // the scope ended; go on regardless
        }
        try {
          sc.open(() -> (AutoCloseable) () -> { });
        } finally {
          failed.countDown();
        }
      });
    }).build()) {
      m.add(AB.A);
      forked.await();
      m.add(AB.B);
      failed.await();
      m.whenQueue(m.add(AB.B)).await(WAIT);
      assertThat(m.hasError()).isFalse();
    }
  }

  @Test
  void Q0_aTaskAwaitingTheMutationThatEndsItsScopeIsInterruptedFirst() throws Exception {
    AtomicReference<Result> result = new AtomicReference<>();
    AtomicReference<String> outcome = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    try (Machine<AB> m = Machine.of(AB_SCHEMA).confined().onState(AB.A, e -> {
      StateScope<AB> sc = e.scope();
      sc.fork("loader", () -> {
        Result r = sc.machine().add(AB.B); // ends A, and this task's scope with it
        result.set(r);
        try {
          outcome.set(r.await(WAIT).toString());
        } catch (InterruptedException ie) {
          outcome.set("interrupted, status " + r.status());
        } finally {
          done.countDown();
        }
      });
    }).build()) {
      m.add(AB.A);
      done.await();
      assertThat(outcome.get()).isIn("EXECUTED", "interrupted, status QUEUED");
      assertThat(result.get().await(WAIT)).isEqualTo(Status.EXECUTED);
      assertThat(m.activeNames()).containsExactly("B");
    }
  }

  @Test
  void SC12_tracersSeeEveryTaskAndResourceOfAScopeWhereItHappens() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    CountDownLatch closes = new CountDownLatch(2); // the scope may close after add returns
    CountDownLatch ran = new CountDownLatch(2);
    Tracer tracer = new Tracer() {
      @Override
      public void taskStarted(Machine<?> m, StateScope<?> scope, String task) {
        seen.add("start " + task + " " + scope.state());
      }

      @Override
      public void taskEnded(Machine<?> m, StateScope<?> scope, String task, Throwable failure,
          boolean cancelled) {
        seen.add("end " + task + " " + (failure == null ? "ok" : failure.getClass().getSimpleName())
            + (cancelled ? " cancelled" : ""));
        if (!cancelled) ran.countDown();
      }

      @Override
      public void resourceOpened(Machine<?> m, StateScope<?> scope, String resource) {
        seen.add("open " + resource);
      }

      @Override
      public void resourceClosed(Machine<?> m, StateScope<?> scope, String resource,
          Throwable failure) {
        seen.add("close " + resource + " " + (failure == null ? "ok" : failure.getMessage())
            + " on " + (Thread.currentThread().getName().contains("task") ? "task" : "drainer"));
        closes.countDown();
      }
    };
    CountDownLatch blocking = new CountDownLatch(1);
    try (Machine<Conn> m = Machine.of(SCHEMA).tracer(tracer).onState(Conn.Connected, e -> {
      StateScope<Conn> scope = e.scope();
      scope.fork("ok", () -> { });
      scope.fork("fails", () -> {
        throw new IllegalStateException("boom");
      });
      scope.fork("waits", () -> {
        blocking.countDown();
        new CountDownLatch(1).await();
      });
      scope.open(() -> new Session(new CopyOnWriteArrayList<>()));
      scope.open(() -> (AutoCloseable) () -> {
        throw new java.io.IOException("close failed");
      });
    }).build()) {
      m.add(Conn.Connected);
      ran.await();
      blocking.await();
      m.add(Conn.Disconnected);
      assertThat(closes.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(seen).contains("start ok Connected", "start fails Connected",
          "start waits Connected", "end ok ok", "end fails IllegalStateException",
          "end waits InterruptedException cancelled", "open Session",
          "close Session ok on drainer");
      assertThat(seen).anyMatch(x -> x.startsWith("close ") && x.contains("close failed"));
      assertThat(seen.indexOf("end waits InterruptedException cancelled"))
          .isLessThan(seen.indexOf("close Session ok on drainer")); // tasks end before closes
    }
  }

  @Test
  void SC12_aHoldIsReportedAsAHeldContextAndByDefaultAsAResource() throws Exception {
    List<String> told = new CopyOnWriteArrayList<>();
    List<String> plain = new CopyOnWriteArrayList<>();
    Tracer contexts = new Tracer() {
      @Override
      public void contextHeld(Machine<?> m, StateScope<?> scope, String name) {
        told.add("held " + name + " " + scope.state());
      }

      @Override
      public void contextReleased(Machine<?> m, StateScope<?> scope, String name,
          Throwable failure) {
        told.add("released " + name + " " + (failure == null ? "ok" : failure.getMessage()));
      }

      @Override
      public void resourceOpened(Machine<?> m, StateScope<?> scope, String resource) {
        told.add("open " + resource);
      }
    };
    Tracer resources = new Tracer() { // overrides only the resource hooks
      @Override
      public void resourceOpened(Machine<?> m, StateScope<?> scope, String resource) {
        plain.add("open " + resource);
      }

      @Override
      public void resourceClosed(Machine<?> m, StateScope<?> scope, String resource,
          Throwable failure) {
        plain.add("close " + resource);
      }
    };
    try (Machine<Conn> m = Machine.of(SCHEMA).tracer(contexts).tracer(resources)
        .onState(Conn.Connected, e -> {
          try {
            e.scope().hold("lock", () -> () -> {
              throw new IllegalStateException("unlock failed");
            });
          } catch (Exception x) {
            throw new IllegalStateException(x);
          }
        }).build()) {
      m.add(Conn.Connected);
      m.add(Conn.Disconnected);
      assertThat(told).containsExactly("held lock Connected", "released lock unlock failed");
      assertThat(plain).containsExactly("open lock", "close lock");
    }
  }
}
