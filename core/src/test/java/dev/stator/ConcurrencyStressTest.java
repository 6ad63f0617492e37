package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stress over platform and virtual threads: many threads mutate one machine at random while its
 * handlers throw, veto and mutate the machine at random, and reader threads check every snapshot
 * they take. After each run: every result completed (none stays {@code QUEUED}), the invariants
 * hold, the queue is empty, and every thread the test or the machine started has ended.
 *
 * <p>Runs are random but reproducible in what each thread asks for: the seed is printed on a
 * failure, and {@code -Dstator.stress.seed=N} replays it (thread interleavings still vary).
 * Waits use latches and joins only; timeouts are failure guards, never timing assumptions.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConcurrencyStressTest {
  /** Ten states with relations, two {@code multi}, two {@code auto}, and a fence (see below). */
  enum St { A, B, C, D, E, F, G, H, M, Z, Fence }

  static final Schema<St> SCHEMA = Schema.of(St.class)
      .state(St.A, r -> r.remove(St.B))
      .state(St.B, r -> r.remove(St.A).add(St.H))
      .state(St.C, r -> r.require(St.A))
      .state(St.D, r -> r.multi().add(St.E))
      .state(St.E, r -> r.require(St.D).after(St.C))
      .state(St.F, r -> r.auto().require(St.C))
      .state(St.G, r -> r.remove(St.F).after(St.D))
      .state(St.H, r -> r.multi().remove(St.G))
      .state(St.M, r -> r.auto())
      .state(St.Z, r -> r.remove(St.D, St.H, St.M))
      .state(St.Fence) // never activated: remove(Fence) is a mutation that runs no handler
      .build();

  /** The states the workers mutate (not the fence). */
  static final St[] TARGETS = {St.A, St.B, St.C, St.D, St.E, St.F, St.G, St.H, St.M, St.Z};

  static final MachineInvariants INVARIANTS = new MachineInvariants(SCHEMA);
  static final Duration GUARD = Duration.ofSeconds(60);

  static final int PLATFORM_WORKERS = 8;
  static final int VIRTUAL_WORKERS = 64;
  static final int OPS_PER_WORKER = 600;
  static final int READERS = 2;

  // ------------------------------------------------------------------ tests

  @Test
  void platformAndVirtualThreadsKeepTheInvariants() throws Exception {
    long seed = seed();
    withSeed(seed, () -> {
      Fuzz fuzz = new Fuzz(seed, true);
      ThreadLedger drains = ThreadLedger.virtual("stress-drain-");
      Machine<St> m = fuzz.bind(Machine.of(SCHEMA))
          .threadFactory(drains)
          .handlerTimeout(GUARD) // no watchdog takeover here: see WatchdogTakeoverTest
          .build();
      Run run = new Run(m, fuzz, seed, "stress-", PLATFORM_WORKERS, VIRTUAL_WORKERS,
          OPS_PER_WORKER);
      run.go();
      run.quiesce();
      run.checkAfter();
      assertThat(run.queuedResults.get()).as("results that were QUEUED").isPositive();
      assertThat(fuzz.handlerCalls.get()).as("handler calls").isPositive();
      assertThat(fuzz.spawned).as("mutations made from handlers").isNotEmpty();
      assertThat(fuzz.thrown.get()).as("handlers that threw").isPositive();
      m.close();
      assertThat(drains.joinAll(GUARD)).as("machine threads still alive").isEmpty();
      assertThat(drains.ended.get()).isEqualTo(drains.started.get());
      assertThat(run.workers.livePlatformThreads()).as("platform threads left").isEmpty();
      run.report();
    });
  }

  @Test
  void confinedModeRunsEveryHandlerOnTheOwnerThread() throws Exception {
    long seed = seed();
    withSeed(seed, () -> {
      Fuzz fuzz = new Fuzz(seed, true);
      ThreadLedger owners = ThreadLedger.platform("stress-owner-");
      Machine<St> m = fuzz.bind(Machine.of(SCHEMA))
          .confined()
          .threadFactory(owners)
          .handlerTimeout(GUARD)
          .build();
      Run run = new Run(m, fuzz, seed, "confined-", PLATFORM_WORKERS, VIRTUAL_WORKERS,
          OPS_PER_WORKER / 2);
      run.go();
      run.quiesce();
      run.checkAfter();
      assertThat(run.immediateResults.get())
          .as("results that ran on the calling thread in confined mode (Q7)").isZero();
      List<Thread> made = owners.threads();
      assertThat(made).as("threads made by the factory").hasSize(1);
      Thread owner = made.get(0);
      assertThat(fuzz.handlerThreads).as("threads that ran handlers").containsExactly(owner);
      assertThat(owner.isAlive()).isTrue();
      m.close();
      owner.join(GUARD);
      assertThat(owner.isAlive()).as("owner thread alive after close").isFalse();
      assertThat(owners.ended.get()).isEqualTo(1);
      assertThat(owners.livePlatformThreads()).isEmpty();
      assertThat(run.workers.livePlatformThreads()).as("platform threads left").isEmpty();
      run.report();
    });
  }

  /**
   * Handlers that get stuck past a short handler timeout while the workers go on: the watchdog
   * takes the machine over (E3) each time, each stuck handler's later mutation is CANCELED, and
   * afterwards every result completed, the invariants hold and every thread ended. Handler
   * overlap is not checked here: a handler starved past the timeout by the load is abandoned
   * too, and then runs on beside the new drainer by design.
   */
  @Test
  void watchdogTakeoversUnderLoadLoseNothing() throws Exception {
    long seed = seed();
    withSeed(seed, () -> {
      Fuzz fuzz = new Fuzz(seed, false);
      Stalls stalls = new Stalls(6);
      fuzz.stalls = stalls;
      ThreadLedger drains = ThreadLedger.virtual("wd-drain-");
      Machine<St> m = fuzz.bind(Machine.of(SCHEMA))
          .threadFactory(drains)
          .handlerTimeout(Duration.ofMillis(100))
          .tracer(stalls.tracer)
          .build();
      Run run = new Run(m, fuzz, seed, "wd-", 4, 16, 150);
      run.go();
      stalls.budget.set(0);
      run.quiesce();
      run.checkAfter();
      assertThat(stalls.started.get()).as("handlers that got stuck").isPositive();
      assertThat(stalls.abandoned.get()).as("stuck handlers taken over by the watchdog")
          .isEqualTo(stalls.started.get());
      m.close();
      assertThat(drains.joinAll(GUARD)).as("machine threads still alive").isEmpty();
      assertThat(drains.ended.get()).isEqualTo(drains.started.get());
      assertThat(run.workers.livePlatformThreads()).as("platform threads left").isEmpty();
      run.report();
      System.out.printf("watchdog: %d stuck handlers taken over, %d timeouts in all%n",
          stalls.abandoned.get(), stalls.timeouts().size());
    });
  }

  /**
   * Close races with mutations from every worker: each mutation either throws
   * {@link MachineClosedException} or returns a result that completes (normally, or
   * exceptionally with {@code MachineClosedException}); none stays {@code QUEUED}.
   */
  @ParameterizedTest(name = "confined={0}")
  @ValueSource(booleans = {false, true})
  void closeRacingWithMutationsLeavesNoTicketQueued(boolean confined) throws Exception {
    long seed = seed();
    withSeed(seed, () -> {
      for (int round = 0; round < 20; round++) {
        Fuzz fuzz = new Fuzz(seed + round, false);
        ThreadLedger machineThreads = confined
            ? ThreadLedger.platform("close-owner-" + round + "-")
            : ThreadLedger.virtual("close-drain-" + round + "-");
        Machine.Builder<St> b = fuzz.bind(Machine.of(SCHEMA)).threadFactory(machineThreads)
            .handlerTimeout(GUARD);
        if (confined) b.confined();
        Machine<St> m = b.build();
        Run run = new Run(m, fuzz, seed + round, "close-" + round + "-", 2, 8, 200);
        run.closeHalfway = true;
        run.go();
        assertThat(m.isClosed()).isTrue();
        run.checkAfterClose();
        assertThat(machineThreads.joinAll(GUARD)).as("machine threads still alive").isEmpty();
        assertThat(run.workers.livePlatformThreads()).as("platform threads left").isEmpty();
      }
    });
  }

  // ------------------------------------------------------------------ random mutations

  static Result randomMutation(Machine<St> m, Random r) {
    St s = TARGETS[r.nextInt(TARGETS.length)];
    return switch (r.nextInt(12)) {
      case 0, 1 -> m.add(s);
      case 2, 3 -> m.remove(s);
      case 4 -> m.set(s);
      case 5, 6 -> m.toggle(s);
      case 7 -> m.add(List.of(s, TARGETS[r.nextInt(TARGETS.length)]), Args.NONE);
      case 8 -> m.remove(List.of(s, TARGETS[r.nextInt(TARGETS.length)]), Args.NONE);
      case 9 -> m.addError(new Boom("addError"));
      case 10 -> m.addError(s, new Boom("addError(" + s + ")"));
      default -> m.removeError();
    };
  }

  /** A handler failure without a stack trace (the machine may log it). */
  static final class Boom extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Boom(String message) {
      super(message, null, false, false);
    }
  }

  // ------------------------------------------------------------------ handlers

  /**
   * Handlers that check what they can see and then, at random, throw, veto, or mutate the
   * machine. Failures are collected in {@link #violations}: an assertion inside a handler would
   * only be recorded by the machine as a handler error.
   */
  static final class Fuzz {
    final Random random;
    /** Whether handlers must never overlap and must see the state before/after commit. */
    final boolean strict;
    final Queue<String> violations = new ConcurrentLinkedQueue<>();
    final Queue<Result> spawned = new ConcurrentLinkedQueue<>();
    final Set<Thread> handlerThreads = ConcurrentHashMap.newKeySet();
    final AtomicInteger inside = new AtomicInteger();
    final AtomicLong handlerCalls = new AtomicLong();
    final AtomicLong thrown = new AtomicLong();
    final AtomicInteger errorTransitionThrows = new AtomicInteger(3);
    volatile boolean spawning = true;
    /** Handlers that get stuck until the watchdog takes over, or null. */
    @Nullable Stalls stalls;

    Fuzz(long seed, boolean strict) {
      this.random = new Random(seed);
      this.strict = strict;
    }

    /** Binds the handler object and a group of lambdas. */
    Machine.Builder<St> bind(Machine.Builder<St> b) {
      return b.handlers(new Bound(this))
          .onEnter(St.F, e -> act(e, true))
          .onExit(St.Z, e -> act(e, true))
          .onPair(St.H, St.H, e -> act(e, true))
          .onState(St.M, e -> act(e, false))
          .onEnd(St.H, e -> act(e, false))
          .onAnyState(e -> act(e, false));
    }

    boolean act(Event<St> e, boolean negotiation) {
      handlerCalls.incrementAndGet();
      handlerThreads.add(Thread.currentThread());
      Stalls st = stalls;
      if (st != null && e.error() == null && random.nextInt(40) == 0
          && st.budget.getAndDecrement() > 0) {
        st.stall(e, this);
        return true;
      }
      int overlap = inside.getAndIncrement();
      try {
        if (strict && overlap != 0) {
          violation("handler " + e.handler() + " ran while another handler was running");
        }
        long seen = e.machine().snapshot().active();
        long expected = negotiation ? e.beforeMask() : e.afterMask();
        if (strict && seen != expected) {
          violation("handler " + e.handler() + " of " + e + " saw " + INVARIANTS.namesOf(seen)
              + " instead of " + INVARIANTS.namesOf(expected));
        }
        List<String> broken = INVARIANTS.violations(seen);
        if (!broken.isEmpty()) violation("handler " + e.handler() + " saw " + broken);
        // A throw in an error transition is logged at ERROR (E2): a few only, to keep logs short.
        int dice = random.nextInt(1000);
        if (dice < 40 && (e.error() == null || errorTransitionThrows.getAndDecrement() > 0)) {
          thrown.incrementAndGet();
          throw new Boom(e.handler());
        }
        if (dice < 140 && spawning) {
          Result r;
          try {
            r = randomMutation(e.machine(), random);
          } catch (MachineClosedException closed) {
            return true;
          }
          spawned.add(r);
          if (strict ? r.status() != Status.QUEUED
              : r.status() != Status.QUEUED && !r.canceled()) {
            violation("mutation from handler " + e.handler() + " returned " + r.status());
          }
        }
        return !negotiation || dice < 960;
      } finally {
        inside.decrementAndGet();
      }
    }

    void violation(String what) {
      if (violations.size() < 50) violations.add(what + " [" + Thread.currentThread() + "]");
    }
  }

  /**
   * Handlers that get stuck: each waits, without a timing assumption, until the watchdog has
   * taken the machine over from it (a tracer sees the {@link HandlerTimeoutException} that names
   * its handler and thread), then makes a mutation, which must be CANCELED (E3).
   */
  static final class Stalls {
    final AtomicInteger budget;
    final AtomicInteger started = new AtomicInteger();
    final AtomicInteger abandoned = new AtomicInteger();
    private final List<String> timeouts = new ArrayList<>(); // guarded by itself
    final Tracer tracer = new Tracer() {
      @Override
      public void transitionStart(Event<?> e) {
        if (e.error() instanceof HandlerTimeoutException t) {
          synchronized (timeouts) {
            timeouts.add(String.valueOf(t.getMessage()));
            timeouts.notifyAll();
          }
        }
      }
    };

    Stalls(int budget) {
      this.budget = new AtomicInteger(budget);
    }

    List<String> timeouts() {
      synchronized (timeouts) {
        return List.copyOf(timeouts);
      }
    }

    void stall(Event<St> e, Fuzz fuzz) {
      started.incrementAndGet();
      Machine<St> m = e.machine();
      String handler = "handler " + e.handler() + " of ";
      String thread = " on thread " + Thread.currentThread().getName() + ";";
      long deadline = System.nanoTime() + GUARD.toNanos();
      try {
        synchronized (timeouts) {
          long before = count(handler, thread);
          while (count(handler, thread) == before) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
              fuzz.violation("stuck " + e.handler() + " was never taken over");
              return;
            }
            timeouts.wait(left);
          }
        }
      } catch (InterruptedException ie) {
        // E4: the watchdog interrupts the thread of a handler it abandons; it is taken over.
      }
      Result late = m.add(St.A); // from a handler the machine abandoned
      if (!late.canceled()) {
        fuzz.violation("a mutation from abandoned " + e.handler() + " returned " + late);
      }
      abandoned.incrementAndGet();
    }

    private long count(String handler, String thread) {
      return timeouts.stream().filter(t -> t.contains(handler) && t.contains(thread)).count();
    }
  }

  /** Handler methods bound by name; each delegates to {@link Fuzz#act}. */
  static final class Bound {
    private final Fuzz f;

    Bound(Fuzz f) {
      this.f = f;
    }

    public boolean anyEnter(Event<St> e) { return f.act(e, true); }
    public boolean aEnter(Event<St> e) { return f.act(e, true); }
    public boolean bExit(Event<St> e) { return f.act(e, true); }
    public void cState(Event<St> e) { f.act(e, false); }
    public boolean dEnter(Event<St> e) { return f.act(e, true); }
    public void dState(Event<St> e) { f.act(e, false); }
    public boolean dD(Event<St> e) { return f.act(e, true); }
    public void eEnd(Event<St> e) { f.act(e, false); }
    public void gState(Event<St> e) { f.act(e, false); }
    public boolean aB(Event<St> e) { return f.act(e, true); }
    public void zState(Event<St> e) { f.act(e, false); }
    public void exceptionState(Event<St> e) { f.act(e, false); }
  }

  // ------------------------------------------------------------------ one run

  /** Workers, readers and the checks around one machine. */
  static final class Run {
    final Machine<St> m;
    final Fuzz fuzz;
    final long seed;
    final ThreadLedger workers;
    final int platform;
    final int virtual;
    final int ops;
    /** Whether a closer thread closes the machine once every worker has done half its ops. */
    boolean closeHalfway;
    private volatile CountDownLatch halfwayLatch = new CountDownLatch(0);
    final List<List<Result>> tickets = new ArrayList<>();
    final Queue<String> violations;
    final AtomicLong queuedResults = new AtomicLong();
    final AtomicLong immediateResults = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong snapshots = new AtomicLong();
    volatile boolean readersStop;
    long nanos;
    /** One failure guard for all the waits of a run, so that a broken engine fails in minutes. */
    private final long deadline = System.nanoTime() + GUARD.toNanos();

    Duration left() {
      return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
    }

    Run(Machine<St> m, Fuzz fuzz, long seed, String prefix, int platform, int virtual, int ops) {
      this.m = m;
      this.fuzz = fuzz;
      this.seed = seed;
      this.workers = ThreadLedger.platform(prefix + "p-");
      this.platform = platform;
      this.virtual = virtual;
      this.ops = ops;
      this.violations = fuzz.violations;
    }

    /** Starts readers and workers together, waits for the workers, then stops the readers. */
    void go() throws Exception {
      long start = System.nanoTime();
      ThreadLedger virtuals = ThreadLedger.virtual(workers.prefix.replace("p-", "v-"));
      int n = platform + virtual;
      CountDownLatch ready = new CountDownLatch(n + READERS);
      CountDownLatch go = new CountDownLatch(1);
      halfwayLatch = new CountDownLatch(closeHalfway ? n : 0);
      List<Thread> workerThreads = new ArrayList<>();
      List<Thread> readers = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          List<Result> mine = new ArrayList<>();
          tickets.add(mine);
          Random r = new Random(seed * 31 + i);
          Runnable body = () -> work(r, mine, ready, go);
          workerThreads.add(i < platform ? workers.start(body) : virtuals.start(body));
        }
        // Readers are platform threads: a virtual thread that spins (even with Thread.yield)
        // keeps its carrier and would starve the virtual workers on a 2-core machine.
        for (int i = 0; i < READERS; i++) readers.add(workers.start(() -> read(ready, go)));
        Thread closer = null;
        if (closeHalfway) {
          closer = workers.start(() -> {
            try {
              halfwayLatch.await();
              m.close();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
        }
        ready.await();
        go.countDown();
        joinAll(workerThreads, "worker");
        if (closer != null) joinAll(List.of(closer), "closer");
      } finally {
        go.countDown();
        for (CountDownLatch h = halfwayLatch; h.getCount() > 0; ) h.countDown(); // frees the closer
        readersStop = true;
      }
      joinAll(readers, "reader");
      assertThat(virtuals.joinAll(left())).isEmpty();
      nanos = System.nanoTime() - start;
    }

    private void joinAll(List<Thread> threads, String what) throws InterruptedException {
      for (Thread t : threads) {
        t.join(left());
        assertThat(t.isAlive()).as(what + " " + t.getName() + " still running").isFalse();
      }
    }

    private void work(Random r, List<Result> mine, CountDownLatch ready, CountDownLatch go) {
      ready.countDown();
      boolean halfwayCounted = false;
      try {
        go.await();
        for (int i = 0; i < ops; i++) {
          if (i == ops / 2) {
            halfwayLatch.countDown();
            halfwayCounted = true;
          }
          boolean closedBefore = m.isClosed();
          Result res;
          try {
            res = randomMutation(m, r);
          } catch (MachineClosedException e) {
            refused.incrementAndGet();
            continue;
          } catch (QueueFullException e) {
            violation("queue full: " + e.getMessage());
            continue;
          }
          if (closedBefore) violation("mutation after close returned " + res.status());
          if (!(res instanceof Mutation)) {
            immediateResults.incrementAndGet();
            // Q2: a thread's earlier mutations ran before the one that just ran here.
            for (Result earlier : mine) {
              if (earlier.status() == Status.QUEUED && !m.isClosed()) {
                violation("a mutation ran on its thread before the thread's earlier " + earlier);
                break;
              }
            }
          } else {
            queuedResults.incrementAndGet();
            int index = mine.size();
            List<Result> before = List.copyOf(mine);
            res.future().whenComplete((status, failure) -> {
              if (failure != null) return;
              for (Result earlier : before) { // Q2: FIFO per thread
                if (earlier.status() == Status.QUEUED && !m.isClosed()) {
                  violation("ticket " + index + " completed before an earlier " + earlier);
                  return;
                }
              }
            });
          }
          mine.add(res);
          if (r.nextInt(16) == 0) awaitQuietly(res); // some callers wait for their results
        }
      } catch (Throwable t) {
        violation("worker failed: " + t);
      } finally {
        if (!halfwayCounted) halfwayLatch.countDown();
      }
    }

    private void awaitQuietly(Result res) throws InterruptedException {
      try {
        res.await(left());
      } catch (MachineClosedException | TimeoutException e) {
        // checked at the end
      }
    }

    private void read(CountDownLatch ready, CountDownLatch go) {
      ready.countDown();
      try {
        go.await();
        long[] lastTicks = new long[SCHEMA.size()];
        long lastQueueTick = -1;
        List<St> ab = List.of(St.A, St.B);
        List<St> zd = List.of(St.Z, St.D);
        while (!readersStop) {
          Snapshot s;
          try {
            s = m.snapshot();
          } catch (IllegalArgumentException torn) { // Snapshot checks clock parity itself
            violation("snapshot() read half a transition: " + torn.getMessage());
            continue;
          }
          snapshots.incrementAndGet();
          List<String> broken = INVARIANTS.violations(s);
          if (!broken.isEmpty()) violation("snapshot broke invariants: " + broken);
          long[] t = s.ticks();
          for (int i = 0; i < t.length; i++) {
            if (t[i] < lastTicks[i]) {
              violation("clock of " + SCHEMA.names().get(i) + " went back from "
                  + lastTicks[i] + " to " + t[i]);
            }
          }
          lastTicks = t;
          if (s.queueTick() < lastQueueTick) {
            violation("queue tick went back from " + lastQueueTick + " to " + s.queueTick());
          }
          lastQueueTick = s.queueTick();
          if (m.is(ab)) violation("is(A, B) saw A and B active together");
          if (m.is(zd)) violation("is(Z, D) saw Z and D active together");
          List<String> bits = INVARIANTS.violations(maskOf(m.active()));
          if (!bits.isEmpty()) violation("active() broke invariants: " + bits);
          Thread.yield(); // a platform thread: lets workers have the core
        }
      } catch (Throwable t) {
        violation("reader failed: " + t);
      }
    }

    static long maskOf(Set<St> states) {
      long mask = 0;
      for (St s : states) mask |= 1L << s.ordinal();
      return mask;
    }

    /**
     * Waits until the machine has nothing left to do. First, with no further mutation from
     * outside, every result must complete: whoever pushed a mutation either drained it or left
     * it to a drainer that sees it when it releases (Q1), so a lost wake-up shows here as a
     * result that never completes. Then no handler may queue more (spawning off), and two
     * fences (mutations that run no handler) each wait for everything queued before them; the
     * second also covers what handlers queued while the first was on its way.
     */
    void quiesce() throws Exception {
      fuzz.spawning = false;
      List<String> stuck = new ArrayList<>();
      for (List<Result> mine : tickets) {
        for (Result r : mine) awaitFinal(r, stuck, false);
      }
      for (Result r : List.copyOf(fuzz.spawned)) awaitFinal(r, stuck, false);
      assertThat(stuck).as("results that did not complete (before any fence)").isEmpty();
      for (int i = 0; i < 2; i++) {
        Result fence = m.remove(St.Fence);
        assertThat(fence.await(left())).isEqualTo(Status.EXECUTED);
      }
    }

    /** Checks every result, the queue, the invariants and what handlers and readers found. */
    void checkAfter() throws Exception {
      List<String> stuck = new ArrayList<>();
      for (List<Result> mine : tickets) {
        for (Result r : mine) awaitFinal(r, stuck, false);
      }
      for (Result r : fuzz.spawned) awaitFinal(r, stuck, false);
      assertThat(stuck).as("results that did not complete").isEmpty();
      assertThat(m.queueSize()).as("queueSize() after the run").isZero();
      assertThat(INVARIANTS.violations(m)).as("invariants after the run").isEmpty();
      assertThat(violations).as("violations seen during the run").isEmpty();
      assertThat(snapshots.get()).as("snapshots taken by readers").isPositive();
    }

    /** After a close: every result completed normally or with MachineClosedException. */
    void checkAfterClose() throws Exception {
      List<String> stuck = new ArrayList<>();
      for (List<Result> mine : tickets) {
        for (Result r : mine) awaitFinal(r, stuck, true);
      }
      for (Result r : fuzz.spawned) awaitFinal(r, stuck, true);
      assertThat(stuck).as("results that did not complete").isEmpty();
      assertThat(m.queueSize()).as("queueSize() after close").isZero();
      assertThat(INVARIANTS.violations(m)).as("invariants after close").isEmpty();
      assertThat(violations).as("violations seen during the run").isEmpty();
      assertThatThrownByClosed(() -> m.add(St.A));
    }

    private void assertThatThrownByClosed(Runnable r) {
      try {
        r.run();
        violation("mutation after close did not throw");
      } catch (MachineClosedException expected) {
        assertThat(expected.getMessage()).contains(m.id());
      }
    }

    private void awaitFinal(Result r, List<String> stuck, boolean closeAllowed)
        throws InterruptedException {
      try {
        Status s = r.await(left());
        if (s != Status.EXECUTED && s != Status.CANCELED) stuck.add(r + " " + s);
      } catch (TimeoutException e) {
        stuck.add(r + " still QUEUED at the end of the run");
      } catch (MachineClosedException e) {
        if (!closeAllowed) stuck.add(r + " failed: " + e);
      }
    }

    void violation(String what) {
      fuzz.violation(what);
    }

    void report() {
      int n = platform + virtual;
      System.out.printf(
          "stress seed=%d: %d threads x %d ops in %d ms; %d queued, %d ran at once, %d from"
              + " handlers, %d handler calls (%d threw), %d snapshots%n",
          seed, n, ops, TimeUnit.NANOSECONDS.toMillis(nanos), queuedResults.get(),
          immediateResults.get(), fuzz.spawned.size(), fuzz.handlerCalls.get(),
          fuzz.thrown.get(), snapshots.get());
    }
  }

  // ------------------------------------------------------------------ seeds

  static long seed() {
    return Long.getLong("stator.stress.seed", System.nanoTime());
  }

  interface Body {
    void run() throws Exception;
  }

  /** Runs {@code body}; a failure names the seed that replays it. */
  static void withSeed(long seed, Body body) throws Exception {
    try {
      body.run();
    } catch (Throwable t) {
      AssertionError e = new AssertionError("failed with seed " + seed
          + " (replay with -Dstator.stress.seed=" + seed + "): " + t.getMessage(), t);
      throw e;
    }
  }
}
