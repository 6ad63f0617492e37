package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Random mutations, handler failures, task failures and interrupts across platform and virtual
 * threads, on a machine whose states own resources and tasks: every resource is closed exactly
 * once and no thread is left.
 */
class ScopeStressTest {

  enum S { A, B, C, D, E, F, Exception }

  static final Schema<S> SCHEMA = Schema.of(S.class)
      .state(S.A, r -> r.remove(S.B))
      .state(S.B, r -> r.remove(S.A))
      .state(S.C, r -> r.require(S.A))
      .state(S.D, r -> r.add(S.E).multi())
      .state(S.E, r -> r.remove(S.F))
      .state(S.F, r -> r.auto().require(S.B))
      .build();

  /** A resource that counts its closes. */
  static final class Res implements AutoCloseable {
    final AtomicInteger closes = new AtomicInteger();

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  static final class CountingFactory implements ThreadFactory {
    final AtomicInteger started = new AtomicInteger();
    final AtomicInteger ended = new AtomicInteger();
    final Queue<Thread> live = new ConcurrentLinkedQueue<>();

    @Override
    public Thread newThread(Runnable r) {
      started.incrementAndGet();
      Thread t = Thread.ofVirtual().name("stress-", started.get()).unstarted(() -> {
        try {
          r.run();
        } finally {
          ended.incrementAndGet();
        }
      });
      live.add(t);
      return t;
    }
  }

  @Test
  void SC1_SC9_everyResourceClosedExactlyOnceUnderRandomFaults() throws Exception {
    long seed = System.nanoTime();
    System.out.println("ScopeStressTest seed " + seed);
    CountingFactory threads = new CountingFactory();
    Queue<Res> resources = new ConcurrentLinkedQueue<>();
    SplittableRandom root = new SplittableRandom(seed);
    MachineImpl<S> m = (MachineImpl<S>) Machine.of(SCHEMA).threadFactory(threads)
        .scopeCloseTimeout(Duration.ofSeconds(5))
        .handlers(new Object() {
          final SplittableRandom rnd = root.split(); // used on the draining thread only

          void aState(Event<S> e) throws Exception {
            own(e.scope());
          }

          void cState(Event<S> e) throws Exception {
            own(e.scope());
          }

          void dState(Event<S> e) throws Exception {
            own(e.scope());
          }

          void fState(Event<S> e) throws Exception {
            own(e.scope());
          }

          private void own(StateScope<S> scope) throws Exception {
            Res r = scope.open(Res::new);
            resources.add(r);
            int kind = rnd.nextInt(4);
            long taskSeed = rnd.nextLong();
            scope.fork("work", () -> {
              SplittableRandom tr = new SplittableRandom(taskSeed);
              switch (kind) {
                case 0 -> { } // finishes at once
                case 1 -> throw new IllegalStateException("task failure");
                case 2 -> new CountDownLatch(1).await(); // until its scope ends
                default -> {
                  for (int i = 0; i < 3; i++) {
                    scope.machine().add(S.values()[tr.nextInt(6)]); // stale ones are CANCELED
                  }
                }
              }
            });
            if (rnd.nextInt(8) == 0) throw new IllegalStateException("handler failure");
          }
        })
        .build();

    int platform = 4;
    int virtual = 16;
    int perThread = 400;
    CyclicBarrier start = new CyclicBarrier(platform + virtual);
    List<Thread> workers = new ArrayList<>();
    Queue<Result> tickets = new ConcurrentLinkedQueue<>();
    for (int w = 0; w < platform + virtual; w++) {
      SplittableRandom rnd = root.split();
      Runnable body = () -> {
        try {
          start.await();
        } catch (Exception ex) {
          throw new IllegalStateException(ex);
        }
        for (int i = 0; i < perThread; i++) {
          S s = S.values()[rnd.nextInt(6)];
          Result r = switch (rnd.nextInt(5)) {
            case 0, 1 -> m.add(s);
            case 2 -> m.remove(s);
            case 3 -> m.toggle(s);
            default -> m.removeError();
          };
          tickets.add(r);
          if (rnd.nextInt(50) == 0) Thread.currentThread().interrupt(); // a random interrupt
          if (rnd.nextInt(50) == 0) Thread.interrupted();
        }
        Thread.interrupted();
      };
      workers.add(w < platform ? Thread.ofPlatform().start(body) : Thread.ofVirtual().start(body));
    }
    for (Thread t : workers) t.join();
    for (Result r : tickets) {
      assertThat(r.await(Duration.ofSeconds(30))).isIn(Status.EXECUTED,
          Status.CANCELED);
    }
    Snapshot snap = m.snapshot();
    for (int i = 0; i < snap.ticks().length; i++) {
      assertThat(snap.ticks()[i] & 1).isEqualTo(snap.active() >>> i & 1);
    }
    m.close();
    for (Res r : resources) assertThat(r.closes.get()).isEqualTo(1);
    for (Thread t : threads.live) t.join(Duration.ofSeconds(10));
    assertThat(threads.ended.get()).isEqualTo(threads.started.get());
    assertThat(m.waitCount()).isZero();
    assertThat(resources).isNotEmpty();
  }
}
