package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ResourceBundle;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** Golden tests for docs/spec.md §7 (close: X1-X5). */
class SpecCloseTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Schema order Ready, Session, Connected; handler order Session, Connected, Ready (H1). */
  enum Link { Ready, Session, Connected, Other, Exception }

  static final Schema<Link> LINK = Schema.of(Link.class)
      .state(Link.Ready, r -> r.require(Link.Connected))
      .state(Link.Connected, r -> r.require(Link.Session))
      .build();

  /**
   * A handler object that records every handler it is called for, with the kind of the
   * transition and how many states are active; exit handlers refuse (close ignores it),
   * {@code sessionExit} and {@code readyEnd} throw, and every state handler opens a resource
   * whose close is recorded.
   */
  static final class Recording {
    final List<String> log = new CopyOnWriteArrayList<>();
    final List<Throwable> closeMutations = new CopyOnWriteArrayList<>();

    private void rec(String h, Event<Link> e) {
      log.add(h + " " + e.kind() + " " + e.machine().active().size());
    }

    private void tryMutate(Machine<Link> m) {
      try {
        m.add(Link.Other);
      } catch (RuntimeException ex) {
        closeMutations.add(ex);
      }
    }

    boolean anyEnter(Event<Link> e) {
      rec("anyEnter", e);
      return true;
    }

    void anyState(Event<Link> e) {
      rec("anyState", e);
    }

    boolean readyExit(Event<Link> e) {
      rec("readyExit", e);
      tryMutate(e.machine());
      return false;
    }

    boolean connectedExit(Event<Link> e) {
      rec("connectedExit", e);
      return false;
    }

    boolean sessionExit(Event<Link> e) {
      rec("sessionExit", e);
      throw new IllegalStateException("sessionExit fails during close");
    }

    void readyEnd(Event<Link> e) {
      rec("readyEnd", e);
      throw new IllegalStateException("readyEnd fails during close");
    }

    void connectedEnd(Event<Link> e) {
      rec("connectedEnd", e);
    }

    void sessionEnd(Event<Link> e) {
      rec("sessionEnd", e);
      tryMutate(e.machine());
    }

    void readyState(Event<Link> e) throws Exception {
      open(e, "Ready");
    }

    void connectedState(Event<Link> e) throws Exception {
      open(e, "Connected");
    }

    void sessionState(Event<Link> e) throws Exception {
      open(e, "Session");
    }

    private void open(Event<Link> e, String name) throws Exception {
      e.scope().open(() -> (AutoCloseable) () -> log.add("close " + name + "'s resource"));
    }
  }

  @Test
  void X2_closeExitsThenCommitsThenEndsInReverseHandlerOrderThenClosesScopes() throws Exception {
    Recording rec = new Recording();
    Machine<Link> m = Machine.of(LINK).handlers(rec).build();
    m.add(Link.Session);
    m.add(Link.Connected);
    m.add(Link.Ready);
    assertThat(m.hasError()).isFalse();
    rec.log.clear();

    m.close();

    assertThat(rec.log).containsExactly(
        "readyExit CLOSE 3", "connectedExit CLOSE 3", "sessionExit CLOSE 3", // before the commit
        "readyEnd CLOSE 0", "connectedEnd CLOSE 0", "sessionEnd CLOSE 0", // after it
        "close Ready's resource", "close Connected's resource", "close Session's resource");
    // Exits could not refuse (two returned false, one threw); the handlers that threw were
    // logged, not recorded: no Exception, no last error.
    assertThat(m.active()).isEmpty();
    assertThat(m.tick(Link.Exception)).isZero();
    assertThat(m.lastError()).isNull();
    // Mutations made by close handlers throw.
    assertThat(rec.closeMutations).hasSize(2).allSatisfy(t -> assertThat(t)
        .isInstanceOf(MachineClosedException.class)
        .hasMessage("machine " + m.id() + " is closed; add[Other] refused"));
  }

  @Test
  void X2_everyExitingClockTicksSoOddTickStillMeansActive() {
    Schema<Link> s = Schema.of(Link.class).state(Link.Other, r -> r.multi()).build();
    Machine<Link> m = Machine.of(s).build();
    m.add(Link.Session);
    m.add(Link.Other);
    m.add(Link.Other); // multi: entered again, tick 3
    m.add(Link.Connected);
    m.remove(Link.Connected); // inactive at close: tick 2 stays
    assertThat(m.snapshot().ticks()).containsExactly(0, 1, 2, 3, 0);
    m.close();
    assertThat(m.active()).isEmpty();
    assertThat(m.snapshot().ticks()).containsExactly(0, 2, 2, 4, 0);
    assertThat(new MachineInvariants(s).violations(m)).isEmpty();
  }

  @Test
  void X2_closeIsTracedAsACloseTransitionAndLoggedOnOneLine() {
    List<String> trace = new CopyOnWriteArrayList<>();
    List<String> lines = new CopyOnWriteArrayList<>();
    Schema<String> s = Schema.named("x2").state("A").state("B").state("C").build();
    Machine<String> m = Machine.of(s)
        .tracer(Tracer.log(new Lines(lines), System.Logger.Level.INFO))
        .tracer(new Tracer() {
          @Override
          public void transitionStart(Event<?> e) {
            trace.add("start " + e.kind() + " " + e.exitingNames());
          }

          @Override
          public void handlerStart(Event<?> e, String handler) {
            trace.add("handler " + e.kind() + " " + handler);
          }

          @Override
          public void transitionEnd(Event<?> e, boolean executed) {
            trace.add("end " + e.kind() + " " + executed);
          }

          @Override
          public void machineClosed(Machine<?> machine) {
            trace.add("closed");
          }
        })
        .onExit("B", e -> true)
        .build();
    m.add("B");
    m.add("A");
    trace.clear();
    lines.clear();

    m.close();

    assertThat(trace).containsExactly(
        "start CLOSE [A, B]", "handler CLOSE bExit", "end CLOSE true", "closed");
    assertThat(lines).containsExactly("[" + m.id() + "] #3 close -A -B (A=2 B=2)");
  }

  @Test
  void X2_withNoActiveStateThereIsNoCloseTransition() {
    List<String> trace = new CopyOnWriteArrayList<>();
    Machine<Link> m = Machine.of(LINK).tracer(new Tracer() {
      @Override
      public void transitionStart(Event<?> e) {
        trace.add("start " + e.kind());
      }

      @Override
      public void machineClosed(Machine<?> machine) {
        trace.add("closed");
      }
    }).build();
    m.close();
    assertThat(trace).containsExactly("closed");
    assertThat(m.whenClosed().isDone()).isTrue();
  }

  @Test
  void X1_closeOfAnIdleMachineRunsOnTheCallersThreadBeforeItReturns() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    Thread me = Thread.currentThread();
    Machine<Link> m = Machine.of(LINK)
        .onExit(Link.Session, e -> log.add("sessionExit on caller "
            + (Thread.currentThread() == me)))
        .onEnd(Link.Session, e -> log.add("sessionEnd on caller "
            + (Thread.currentThread() == me)))
        .onState(Link.Session, e -> {
          try {
            e.scope().open(() -> (AutoCloseable) () -> log.add("resource closed on caller "
                + (Thread.currentThread() == me)));
          } catch (Exception ex) {
            throw new IllegalStateException(ex);
          }
        })
        .build();
    m.add(Link.Session);
    Wait pending = m.when(Link.Ready);
    Wait closed = m.whenClosed();
    assertThat(closed.isDone()).isFalse();

    m.close();

    assertThat(log).containsExactly("sessionExit on caller true", "sessionEnd on caller true",
        "resource closed on caller true");
    assertThat(closed.isDone()).isTrue(); // CLOSED before close() returned
    assertThat(m.whenClosed().isDone()).isTrue();
    assertThatThrownBy(() -> pending.await(WAIT)).isInstanceOf(MachineClosedException.class);
    assertThatThrownBy(() -> m.when(Link.Session).await(WAIT))
        .isInstanceOf(MachineClosedException.class);
    assertThatThrownBy(() -> m.add(Link.Other)).isInstanceOf(MachineClosedException.class)
        .hasMessage("machine " + m.id() + " is closed; add[Other] refused");
    assertThat(m.isClosed()).isTrue();
    assertThat(m.active()).isEmpty(); // reads still work
    m.close(); // idempotent
    assertThat(log).hasSize(3);
  }

  @Test
  void X1_closeFromAHandlerReturnsAtOnceAndTheCloseRunsAfterTheTransition() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    AtomicReference<Result> queued = new AtomicReference<>();
    AtomicReference<Thread> closeThread = new AtomicReference<>();
    Machine<Link> m = Machine.of(LINK)
        .onState(Link.Session, e -> {
          queued.set(e.machine().add(Link.Other)); // queued behind this transition
          e.machine().close();
          log.add("close returned; closed=" + e.machine().isClosed() + " session="
              + e.machine().is(Link.Session) + " whenClosed=" + e.machine().whenClosed().isDone());
          throw new IllegalStateException("its error mutation does not run after close");
        })
        .onAnyState(e -> log.add("anyState " + e.kind()))
        .onExit(Link.Session, e -> {
          closeThread.set(Thread.currentThread());
          log.add("sessionExit " + e.kind());
          return true;
        })
        .build();
    Wait closed = m.whenClosed();

    Result r = m.add(Link.Session);

    assertThat(r.status()).isEqualTo(Status.EXECUTED);
    assertThat(log).containsExactly(
        "close returned; closed=true session=true whenClosed=false",
        "anyState ADD", // the rest of the transition ran
        "sessionExit CLOSE"); // then the close transition
    assertThat(closeThread.get()).isSameAs(Thread.currentThread());
    assertThat(closed.isDone()).isTrue(); // CLOSED by the time the caller got its result
    assertThat(m.tick(Link.Exception)).isZero(); // the handler's error mutation never ran
    assertThat(m.tick(Link.Other)).isZero(); // nor the mutation queued behind the transition
    assertThatThrownBy(() -> queued.get().await(WAIT))
        .isInstanceOf(MachineClosedException.class)
        .hasMessage("machine " + m.id() + " is closed; add[Other] refused");
    assertThat(queued.get().status()).isEqualTo(Status.QUEUED); // failed, not run
  }

  @Test
  void X1_closeFromAnotherThreadWaitsForTheRunningTransitionThenTheDrainerCloses()
      throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Thread> drainer = new AtomicReference<>();
    AtomicReference<Thread> exitThread = new AtomicReference<>();
    List<String> log = new CopyOnWriteArrayList<>();
    Machine<Link> m = Machine.of(LINK).noHandlerTimeout()
        .onState(Link.Other, e -> {
          drainer.set(Thread.currentThread());
          inHandler.countDown();
          block(release);
          log.add("otherState finished");
        })
        .onExit(Link.Other, e -> {
          exitThread.set(Thread.currentThread());
          log.add("otherExit " + e.kind());
          return true;
        })
        .build();
    Thread busy = Thread.ofVirtual().start(() -> m.add(Link.Other));
    inHandler.await();
    Result queued = m.add(Link.Session);
    assertThat(queued.status()).isEqualTo(Status.QUEUED);
    AtomicBoolean closedWhenCloseReturned = new AtomicBoolean();
    Thread closer = Thread.ofVirtual().start(() -> {
      m.close();
      closedWhenCloseReturned.set(m.whenClosed().isDone());
    });
    awaitTrue(m::isClosed); // CLOSING: mutations are refused already
    assertThatThrownBy(() -> m.add(Link.Ready)).isInstanceOf(MachineClosedException.class);
    assertThat(m.whenClosed().isDone()).isFalse();
    assertThat(m.is(Link.Other)).isTrue(); // the running transition is not cut short
    release.countDown();
    closer.join(WAIT);
    assertThat(closer.isAlive()).isFalse();
    assertThat(closedWhenCloseReturned).isTrue(); // close() returned once CLOSED
    assertThat(log).containsExactly("otherState finished", "otherExit CLOSE");
    assertThat(exitThread.get()).isSameAs(drainer.get()).isNotSameAs(closer);
    assertThatThrownBy(() -> queued.await(WAIT)).isInstanceOf(MachineClosedException.class);
    assertThat(m.tick(Link.Session)).isZero();
    busy.join(WAIT);
    assertThat(busy.isAlive()).isFalse();
  }

  @Test
  void X1_aSecondCloseWaitsForCLOSEDAsTheFirstDoes() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> exits = new CopyOnWriteArrayList<>();
    Machine<Link> m = Machine.of(LINK).noHandlerTimeout()
        .onState(Link.Other, e -> {
          inHandler.countDown();
          block(release);
        })
        .onExit(Link.Other, e -> exits.add("otherExit"))
        .build();
    Thread busy = Thread.ofVirtual().start(() -> m.add(Link.Other));
    inHandler.await();
    AtomicBoolean firstSawClosed = new AtomicBoolean();
    AtomicBoolean secondSawClosed = new AtomicBoolean();
    Thread first = Thread.ofVirtual().start(() -> {
      m.close();
      firstSawClosed.set(m.whenClosed().isDone());
    });
    awaitTrue(m::isClosed);
    Thread second = Thread.ofVirtual().start(() -> {
      m.close(); // closed already: changes nothing, but waits as the first does
      secondSawClosed.set(m.whenClosed().isDone());
    });
    awaitTrue(() -> second.getState() == Thread.State.TIMED_WAITING
        || second.getState() == Thread.State.WAITING || !second.isAlive());
    release.countDown();
    first.join(WAIT);
    second.join(WAIT);
    assertThat(first.isAlive()).isFalse();
    assertThat(second.isAlive()).isFalse();
    assertThat(firstSawClosed).isTrue();
    assertThat(secondSawClosed).isTrue();
    assertThat(exits).containsExactly("otherExit"); // one close transition
    busy.join(WAIT);
  }

  @Test
  void X1_confinedCloseRunsOnTheOwnerWhichThenEnds() throws Exception {
    ThreadLedger owners = ThreadLedger.platform("x1-owner-");
    AtomicReference<Thread> exitThread = new AtomicReference<>();
    Machine<Link> m = Machine.of(LINK).confined().threadFactory(owners)
        .onExit(Link.Session, e -> {
          exitThread.set(Thread.currentThread());
          return true;
        })
        .build();
    assertThat(m.add(Link.Session).await(WAIT)).isEqualTo(Status.EXECUTED);

    m.close();

    assertThat(m.whenClosed().isDone()).isTrue(); // the caller waited for CLOSED
    assertThat(owners.threads()).hasSize(1);
    assertThat(exitThread.get()).isSameAs(owners.threads().get(0));
    assertThat(owners.joinAll(WAIT)).isEmpty(); // the owner thread ended
    assertThat(m.active()).isEmpty();
  }

  /**
   * A watched machine (a handler and a handler timeout) that ran a transition and closed is
   * collectable: the engine let it go. The first engine v2 kept every closed confined machine in
   * the watchdog's list for ever (its owner thread, gone, never read as parked).
   */
  @Test
  void X5_aClosedMachineIsNotKeptAliveByTheEngine() throws Exception {
    for (boolean confined : new boolean[] {false, true}) {
      ReferenceQueue<Object> queue = new ReferenceQueue<>();
      WeakReference<Object> ref = closedWatchedMachine(confined, queue);
      Reference<?> collected = null;
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (collected == null && System.nanoTime() < deadline) {
        System.gc();
        collected = queue.remove(50); // waits for the collector to enqueue it
      }
      assertThat(collected).as("closed machine collected (confined: %s)", confined)
          .isSameAs(ref);
    }
  }

  private static WeakReference<Object> closedWatchedMachine(boolean confined,
      ReferenceQueue<Object> queue) throws Exception {
    Machine.Builder<Link> b = Machine.of(LINK).handlerTimeout(Duration.ofSeconds(5))
        .onState(Link.Session, e -> { });
    if (confined) b.confined();
    Machine<Link> m = b.build();
    assertThat(m.add(Link.Session).await(WAIT)).isEqualTo(Status.EXECUTED);
    m.close();
    assertThat(m.whenClosed().isDone()).isTrue();
    return new WeakReference<>(m, queue);
  }

  /**
   * Many threads mutate while another closes: every call either threw MachineClosedException
   * and did not run, or ran and reports EXECUTED/CANCELED (at once or through its ticket).
   */
  @Test
  void X3_aMutationRacingCloseIsNeverReportedRefusedAfterItRan() throws Exception {
    Key<Integer> id = Key.of("id", Integer.class);
    Schema<Link> s = Schema.of(Link.class).state(Link.Other, r -> r.multi()).build();
    int threads = 4;
    for (int round = 0; round < 40; round++) {
      Set<Integer> ran = ConcurrentHashMap.newKeySet();
      Machine<Link> m = Machine.of(s)
          .onEnter(Link.Other, e -> {
            int k = e.arg(id);
            ran.add(k);
            return k % 3 != 0; // some run and are refused by their handler
          })
          .build();
      Map<Integer, Object> reported = new ConcurrentHashMap<>(); // id -> Status or exception
      Map<Integer, Result> tickets = new ConcurrentHashMap<>();
      CyclicBarrier start = new CyclicBarrier(threads + 1);
      AtomicInteger next = new AtomicInteger();
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        workers.add(Thread.ofPlatform().start(() -> {
          await(start);
          for (;;) {
            int k = next.getAndIncrement();
            if (k >= 20_000) return; // far below the queue limit
            try {
              Result r = m.add(Link.Other, Args.of(id, k));
              if (r.status() == Status.QUEUED) {
                tickets.put(k, r);
              } else {
                reported.put(k, r.status());
              }
            } catch (MachineClosedException e) {
              reported.put(k, e);
              return;
            }
          }
        }));
      }
      await(start);
      awaitTrue(() -> next.get() > 50); // close while the workers are busy
      m.close();
      for (Thread w : workers) {
        w.join(WAIT);
        assertThat(w.isAlive()).isFalse();
      }
      for (Map.Entry<Integer, Result> t : tickets.entrySet()) {
        try {
          reported.put(t.getKey(), t.getValue().await(WAIT)); // never left pending
        } catch (MachineClosedException e) {
          reported.put(t.getKey(), e);
        }
      }
      List<String> wrong = new ArrayList<>(); // plain checks: thousands of mutations a round
      for (Map.Entry<Integer, Object> r : reported.entrySet()) {
        int k = r.getKey();
        Object outcome = r.getValue();
        if (outcome instanceof MachineClosedException) {
          if (ran.contains(k)) wrong.add(k + " was reported refused by close after it ran");
        } else if (!ran.contains(k)) {
          wrong.add(k + " was reported " + outcome + " but never ran");
        } else if (outcome != (k % 3 != 0 ? Status.EXECUTED : Status.CANCELED)) {
          wrong.add(k + " ran and was reported " + outcome);
        }
      }
      for (int k : ran) {
        if (!reported.containsKey(k)) wrong.add(k + " ran but was not reported");
      }
      assertThat(wrong).as("round %d, %d mutations", round, reported.size()).isEmpty();
      assertThat(m.whenClosed().isDone()).isTrue();
    }
  }

  @Test
  void X4_aCloserPastItsBoundInterruptsTheDrainerAndReturnsWhileClosing() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    CountDownLatch finishHandler = new CountDownLatch(1);
    // No handler timeout: the bound is 1 s plus the scope close timeout (0 here).
    Machine<Link> m = Machine.of(LINK).noHandlerTimeout().scopeCloseTimeout(Duration.ZERO)
        .onState(Link.Other, e -> {
          inHandler.countDown();
          try {
            new CountDownLatch(1).await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
          } catch (InterruptedException ie) { // X4: the closer interrupts the stuck drainer
            interrupted.countDown();
          }
          block(finishHandler);
        })
        .build();
    Thread busy = Thread.ofVirtual().start(() -> m.add(Link.Other));
    inHandler.await();
    Wait pending = m.when(Link.Ready);
    AtomicBoolean pendingFailedWhenCloseReturned = new AtomicBoolean();
    AtomicBoolean closedWhenCloseReturned = new AtomicBoolean(true);
    long t0 = System.nanoTime();
    Thread closer = Thread.ofVirtual().start(() -> {
      m.close();
      closedWhenCloseReturned.set(m.whenClosed().isDone());
      pendingFailedWhenCloseReturned.set(pending.isDone());
    });
    closer.join(WAIT);
    long waited = System.nanoTime() - t0;
    assertThat(closer.isAlive()).isFalse();
    assertThat(Duration.ofNanos(waited)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    assertThat(interrupted.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(closedWhenCloseReturned).isFalse(); // returned while CLOSING
    assertThat(pendingFailedWhenCloseReturned).isTrue(); // waits failed
    assertThatThrownBy(() -> pending.await(WAIT)).isInstanceOf(MachineClosedException.class);
    finishHandler.countDown(); // the handler returns: the drainer finishes the close
    m.whenClosed().await(WAIT);
    assertThat(m.active()).isEmpty();
    busy.join(WAIT);
    assertThat(busy.isAlive()).isFalse();
  }

  // ---------------------------------------------------------------- fixtures

  /** Waits until {@code condition} holds, failing after {@link #WAIT} (a guard, not a delay). */
  static void awaitTrue(BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition not met in " + WAIT);
      Thread.onSpinWait();
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

  private static void await(CyclicBarrier b) {
    try {
      b.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A System.Logger that keeps every message it is given. */
  static final class Lines implements System.Logger {
    private final List<String> lines;

    Lines(List<String> lines) {
      this.lines = lines;
    }

    @Override
    public String getName() {
      return "lines";
    }

    @Override
    public boolean isLoggable(Level level) {
      return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
      lines.add(msg);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
      lines.add(params == null || params.length == 0
          ? format : java.text.MessageFormat.format(format, params));
    }
  }
}
