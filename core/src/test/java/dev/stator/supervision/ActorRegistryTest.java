package dev.stator.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/supervision.md, registry of actors: one test per guarantee. */
@Timeout(10)
class ActorRegistryTest {
  final RecordingLogger log = new RecordingLogger();
  final ThreadCounter threads = new ThreadCounter("reg");
  final List<String> cleanups = new ArrayList<>();
  final List<ActorRegistry<?, ?>> registries = new ArrayList<>();

  /** An actor: one incarnation, with the tasks it forked. */
  record Job(String id, int incarnation, Supervisor tasks) {}

  final AtomicInteger incarnations = new AtomicInteger();

  ActorRegistry<String, Job> registry(ActorRegistry.Starter<String, Job> starter) {
    return registry(ActorRegistry.builder("jobs", starter));
  }

  ActorRegistry<String, Job> registry(ActorRegistry.Builder<String, Job> builder) {
    ActorRegistry<String, Job> r = builder
        .cleanup((id, job) -> record("cleanup " + id + "#" + job.incarnation()))
        .threadFactory(threads)
        .logger(log)
        .build();
    registries.add(r);
    return r;
  }

  void record(String event) {
    synchronized (cleanups) {
      cleanups.add(event);
    }
  }

  List<String> cleanups() {
    synchronized (cleanups) {
      return List.copyOf(cleanups);
    }
  }

  @AfterEach
  void noThreadLeftBehind() throws InterruptedException {
    for (ActorRegistry<?, ?> r : registries) r.close();
    threads.assertNoLeaks();
  }

  @Test
  void registry_retiresOnlyAfterAllTheActorsTasksHaveEnded() throws Exception {
    CountDownLatch finishA = new CountDownLatch(1);
    CountDownLatch finishB = new CountDownLatch(1);
    List<Task<?>> tasks = new ArrayList<>();
    CountDownLatch cleanedUp = new CountDownLatch(1);
    AtomicReference<String> tasksAtCleanup = new AtomicReference<>();
    ActorRegistry<String, Job> jobs = ActorRegistry.<String, Job>builder("jobs", (id, sup) -> {
          tasks.add(sup.run("a", finishA::await));
          tasks.add(sup.run("b", finishB::await));
          return new Job(id, incarnations.incrementAndGet(), sup);
        })
        .cleanup((id, job) -> {
          tasksAtCleanup.set(tasks.stream().map(t -> t.name() + "=" + t.status()).toList().toString());
          cleanedUp.countDown();
        })
        .threadFactory(threads).logger(log).build();
    registries.add(jobs);
    Job job = jobs.getOrStart("job-1");

    assertThat(jobs.retire("job-1", job)).isTrue();
    assertThat(jobs.get("job-1")).isNull(); // gone from the live entries at once
    assertThat(jobs.retiring()).isEqualTo(1);
    assertThatThrownBy(() -> job.tasks().run("late", () -> { })).isInstanceOf(IllegalStateException.class);
    finishA.countDown();
    tasks.get(0).join();
    assertThat(cleanedUp.getCount()).isEqualTo(1); // "b" still runs: not yet

    finishB.countDown();
    cleanedUp.await();
    assertThat(tasksAtCleanup.get()).isEqualTo("[a=SUCCEEDED, b=SUCCEEDED]");
    Spin.until("retirement recorded", () -> jobs.retiring() == 0);
  }

  @Test
  void registry_cleanupRunsExactlyOnce() throws Exception {
    CountDownLatch finish = new CountDownLatch(1);
    ActorRegistry<String, Job> jobs = registry((id, sup) -> {
      sup.run("work", finish::await);
      return new Job(id, incarnations.incrementAndGet(), sup);
    });
    Job job = jobs.getOrStart("job-1");
    int racers = 8;
    CyclicBarrier barrier = new CyclicBarrier(racers);
    AtomicInteger retiredBy = new AtomicInteger();
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < racers; i++) {
      ts.add(threads.start(() -> {
        try {
          barrier.await();
          if (jobs.retire("job-1", job)) retiredBy.incrementAndGet();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }));
    }
    for (Thread t : ts) t.join();
    assertThat(retiredBy.get()).isEqualTo(1);
    assertThat(cleanups()).isEmpty();

    finish.countDown();
    assertThat(job.tasks().awaitTermination(Duration.ofSeconds(5))).isTrue();
    Spin.until("cleanup done", () -> jobs.retiring() == 0);
    jobs.close(); // closing afterwards does not clean up again
    assertThat(jobs.retire("job-1", job)).isFalse();
    assertThat(cleanups()).containsExactly("cleanup job-1#1");
  }

  @Test
  void registry_removalByIdentity_newIncarnationWithTheSameKeySurvivesTheOldOnesRetirement() throws Exception {
    CountDownLatch finishOld = new CountDownLatch(1);
    ActorRegistry<String, Job> jobs = registry((id, sup) -> {
      int n = incarnations.incrementAndGet();
      if (n == 1) sup.run("old-work", finishOld::await);
      return new Job(id, n, sup);
    });
    Job old = jobs.getOrStart("job-1");
    assertThat(jobs.retire("job-1", old)).isTrue();
    Job fresh = jobs.getOrStart("job-1"); // a new incarnation while the old one still winds down
    assertThat(fresh.incarnation()).isEqualTo(2);

    finishOld.countDown(); // the old one's last task ends: its cleanup runs
    assertThat(old.tasks().awaitTermination(Duration.ofSeconds(5))).isTrue();
    Spin.until("old cleanup done", () -> jobs.retiring() == 0);
    assertThat(cleanups()).containsExactly("cleanup job-1#1");
    assertThat(jobs.get("job-1")).isSameAs(fresh);
    assertThat(jobs.retire("job-1", old)).isFalse(); // a stale retire leaves the new one alone
    assertThat(jobs.get("job-1")).isSameAs(fresh);
    assertThat(jobs.getOrStart("job-1")).isSameAs(fresh);
  }

  @Test
  void registry_failedStart_leavesNoZombie_andEveryConcurrentCallerSeesTheOriginalError() throws Exception {
    IOException original = new IOException("database down");
    CountDownLatch failNow = new CountDownLatch(1);
    CountDownLatch starting = new CountDownLatch(1);
    AtomicReference<Task<?>> forkedByStarter = new AtomicReference<>();
    ActorRegistry<String, Job> jobs = registry((id, sup) -> {
      if (incarnations.incrementAndGet() == 1) {
        forkedByStarter.set(sup.run("half-started", () -> new CountDownLatch(1).await()));
        starting.countDown();
        failNow.await();
        throw original;
      }
      return new Job(id, incarnations.get(), sup);
    });
    int callers = 5;
    List<AtomicReference<Throwable>> outcomes = new ArrayList<>();
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      AtomicReference<Throwable> outcome = new AtomicReference<>();
      outcomes.add(outcome);
      ts.add(threads.start(() -> {
        try {
          outcome.set(new AssertionError("got " + jobs.getOrStart("job-1")));
        } catch (Throwable t) {
          outcome.set(t);
        }
      }));
      if (i == 0) starting.await(); // the first caller runs the starter; the others wait for it
    }
    Spin.until("every other caller waits for the start", () -> jobs.waitingForStart("job-1") == callers - 1);
    failNow.countDown();
    for (Thread t : ts) t.join();

    assertThat(outcomes).allSatisfy(o -> assertThat(o.get()).isInstanceOf(ActorStartException.class)
        .hasMessage("actor 'job-1' of registry 'jobs' failed to start: java.io.IOException: database down")
        .cause().isSameAs(original));
    assertThat(jobs.size()).isZero(); // no zombie entry
    assertThat(jobs.get("job-1")).isNull();
    assertThat(jobs.retiring()).isZero();
    assertThat(forkedByStarter.get().supervisor().awaitTermination(Duration.ofSeconds(5))).isTrue();
    assertThat(forkedByStarter.get().status()).isEqualTo(Task.Status.CANCELLED);
    assertThat(cleanups()).isEmpty(); // it never started: nothing to clean up
    assertThat(log.entries()).isEmpty(); // every caller received it: not logged

    Job second = jobs.getOrStart("job-1"); // a later call starts afresh
    assertThat(second.incarnation()).isEqualTo(2);
  }

  @Test
  void bug12_staleRetireDuringANewIncarnationsStart_isRefused_andTheNewActorStillRetires() throws Exception {
    AtomicReference<ActorRegistry<String, Job>> self = new AtomicReference<>();
    CountDownLatch ownRetireAsked = new CountDownLatch(1);
    CountDownLatch staleRetireDone = new CountDownLatch(1);
    AtomicBoolean ownAccepted = new AtomicBoolean();
    ActorRegistry<String, Job> jobs = registry((id, tasks) -> {
      int n = incarnations.incrementAndGet();
      Job job = new Job(id, n, tasks);
      if (n == 2) {
        tasks.run("finish", () -> { // the new incarnation's own task retires it before the start returns
          ownAccepted.set(self.get().retire(id, job));
          ownRetireAsked.countDown();
        });
        ownRetireAsked.await();
        staleRetireDone.await(); // a stale retire comes in while this start is still under way
      }
      return job;
    });
    self.set(jobs);
    Job old = jobs.getOrStart("job-1");
    assertThat(jobs.retire("job-1", old)).isTrue(); // incarnation 1 retired (no tasks: cleaned up at once)

    CompletableFuture<Job> fresh = new CompletableFuture<>();
    threads.start(() -> {
      try {
        fresh.complete(jobs.getOrStart("job-1"));
      } catch (Throwable t) {
        fresh.completeExceptionally(t);
      }
    });
    ownRetireAsked.await();
    boolean stale = jobs.retire("job-1", old);
    staleRetireDone.countDown();
    Job second = fresh.get(5, TimeUnit.SECONDS);

    assertThat(second.incarnation()).isEqualTo(2);
    assertThat("stale=" + stale + " own=" + ownAccepted.get() + " live=" + jobs.get("job-1"))
        .isEqualTo("stale=false own=true live=null");
    assertThat(second.tasks().awaitTermination(Duration.ofSeconds(5))).isTrue();
    Spin.until("incarnation 2 cleaned up", () -> jobs.retiring() == 0);
    assertThat(cleanups()).containsExactly("cleanup job-1#1", "cleanup job-1#2");
    assertThat(jobs.size()).isZero();
  }

  @Test
  void retire_whileStarting_fromAThreadTheStarterHandedTheActorTo_returnsFalse_butRetiresThatActor()
      throws Exception {
    AtomicReference<ActorRegistry<String, Job>> self = new AtomicReference<>();
    AtomicBoolean returned = new AtomicBoolean(true);
    ActorRegistry<String, Job> jobs = registry((id, tasks) -> {
      Job job = new Job(id, incarnations.incrementAndGet(), tasks);
      // Not one of its tasks: a plain thread (a machine's, say) the starter gave the actor to.
      threads.start(() -> returned.set(self.get().retire(id, job))).join();
      return job;
    });
    self.set(jobs);
    Job job = jobs.getOrStart("job-1");
    assertThat(returned.get()).isFalse(); // no live actor was `job` when it asked
    assertThat(jobs.get("job-1")).isNull(); // but the request named this very actor: retired
    Spin.until("cleaned up", () -> jobs.retiring() == 0);
    assertThat(cleanups()).containsExactly("cleanup job-1#" + job.incarnation());
  }

  @Test
  void bug17_tasksOfAFailedStartDoNotOutliveClose() throws Exception {
    IOException original = new IOException("store down");
    CountDownLatch taskStarted = new CountDownLatch(1);
    AtomicBoolean closing = new AtomicBoolean();
    Thread closer = Thread.currentThread();
    AtomicReference<Task<?>> forked = new AtomicReference<>();
    ActorRegistry<String, Job> jobs = registry((id, tasks) -> {
      forked.set(tasks.run("loader", () -> {
        taskStarted.countDown();
        try {
          new CountDownLatch(1).await();
        } finally {
          // It unwinds slowly: only once the closer waits inside close().
          Spin.until("close() waits for the task", () -> closing.get() && Spin.waiting(closer));
        }
      }));
      taskStarted.await();
      throw original;
    });
    assertThatThrownBy(() -> jobs.getOrStart("job-1")).isInstanceOf(ActorStartException.class)
        .cause().isSameAs(original);

    closing.set(true);
    jobs.close();
    assertThat(forked.get().status()).isEqualTo(Task.Status.CANCELLED); // ended before close returned
    assertThat(forked.get().supervisor().awaitTermination(Duration.ZERO)).isTrue();
    assertThat(log.entries()).isEmpty();
  }

  @Test
  void getOrStartIsBounded_twoStartersNeedingEachOthersKey_timeOutNamingTheKey_insteadOfDeadlocking()
      throws Exception {
    CyclicBarrier bothStarting = new CyclicBarrier(2);
    AtomicReference<ActorRegistry<String, Job>> self = new AtomicReference<>();
    ActorRegistry<String, Job> jobs = registry(ActorRegistry.<String, Job>builder("jobs", (id, tasks) -> {
      bothStarting.await();
      if (id.equals("a")) {
        // Ask for "b" only once b's starter waits for "a": then neither can finish.
        Spin.until("b's start waits for a", () -> self.get().waitingForStart("a") == 1);
        self.get().getOrStart("b", Duration.ofMillis(50)); // the call's own bound
      } else {
        self.get().getOrStart("a"); // the registry's start timeout (5 s here)
      }
      return new Job(id, incarnations.incrementAndGet(), tasks);
    }).startTimeout(Duration.ofSeconds(5)));
    self.set(jobs);
    CompletableFuture<Object> a = new CompletableFuture<>();
    CompletableFuture<Object> b = new CompletableFuture<>();
    threads.start(() -> {
      try {
        a.complete(jobs.getOrStart("a"));
      } catch (Throwable t) {
        a.complete(t);
      }
    });
    threads.start(() -> {
      try {
        b.complete(jobs.getOrStart("b"));
      } catch (Throwable t) {
        b.complete(t);
      }
    });

    // a's wait for b timed out, so a's start failed with that timeout ...
    assertThat(a.get(5, TimeUnit.SECONDS)).isInstanceOf(ActorStartException.class)
        .satisfies(e -> assertThat(((Throwable) e).getCause()).isInstanceOf(ActorStartTimeoutException.class)
            .hasMessage("actor 'b' of registry 'jobs' was still being started by another caller after PT0.05S"));
    // ... which b's start, waiting for a, received as a's start failure.
    assertThat(b.get(5, TimeUnit.SECONDS)).isInstanceOf(ActorStartException.class)
        .satisfies(e -> assertThat(((Throwable) e).getCause()).isInstanceOf(ActorStartException.class)
            .hasMessageStartingWith("actor 'a' of registry 'jobs' failed to start"));
    assertThat(jobs.size()).isZero(); // no zombie
  }

  @Test
  void getOrStart_timeoutZero_failsAtOnceWhileAnotherCallerStarts_andBadBoundsAreRejected() throws Exception {
    CountDownLatch starting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ActorRegistry<String, Job> jobs = registry((id, tasks) -> {
      starting.countDown();
      release.await();
      return new Job(id, incarnations.incrementAndGet(), tasks);
    });
    CompletableFuture<Job> first = new CompletableFuture<>();
    threads.start(() -> {
      try {
        first.complete(jobs.getOrStart("job-1"));
      } catch (Throwable t) {
        first.completeExceptionally(t);
      }
    });
    starting.await();
    assertThatThrownBy(() -> jobs.getOrStart("job-1", Duration.ZERO)).isInstanceOf(ActorStartTimeoutException.class)
        .hasMessage("actor 'job-1' of registry 'jobs' was still being started by another caller after PT0S");
    release.countDown();
    Job job = first.get(5, TimeUnit.SECONDS);
    assertThat(jobs.getOrStart("job-1", Duration.ZERO)).isSameAs(job); // a live actor needs no wait
    assertThatThrownBy(() -> jobs.getOrStart("job-1", Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("start timeout must not be negative: PT-1S");
    assertThatThrownBy(() -> ActorRegistry.builder("x", (id, t) -> "a").startTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("start timeout must not be negative: PT-1S");
  }

  @Test
  void registry_concurrentGetOrStart_startsOneActor() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch starting = new CountDownLatch(1);
    ActorRegistry<String, Job> jobs = registry((id, sup) -> {
      starting.countDown();
      release.await();
      return new Job(id, incarnations.incrementAndGet(), sup);
    });
    List<AtomicReference<Job>> got = new ArrayList<>();
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      AtomicReference<Job> ref = new AtomicReference<>();
      got.add(ref);
      ts.add(threads.start(() -> {
        try {
          ref.set(jobs.getOrStart("job-1"));
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
      }));
      if (i == 0) starting.await();
    }
    Spin.until("callers wait", () -> jobs.waitingForStart("job-1") == 3);
    release.countDown();
    for (Thread t : ts) t.join();
    Job first = got.get(0).get();
    assertThat(got).allSatisfy(r -> assertThat(r.get()).isSameAs(first));
    assertThat(incarnations.get()).isEqualTo(1);
  }

  @Test
  void registry_close_retiresEveryActor_cancelsItsTasks_andRefusesNewStarts() throws Exception {
    ActorRegistry<String, Job> jobs = registry((id, sup) -> {
      sup.run("loop", () -> new CountDownLatch(1).await());
      return new Job(id, incarnations.incrementAndGet(), sup);
    });
    Job a = jobs.getOrStart("a");
    Job b = jobs.getOrStart("b");
    jobs.close();

    assertThat(cleanups()).containsExactlyInAnyOrder("cleanup a#1", "cleanup b#2");
    assertThat(a.tasks().running()).isZero();
    assertThat(b.tasks().running()).isZero();
    assertThat(jobs.size()).isZero();
    assertThat(jobs.retiring()).isZero();
    assertThatThrownBy(() -> jobs.getOrStart("c")).isInstanceOf(IllegalStateException.class)
        .hasMessage("actor registry 'jobs' is closed; cannot start actor 'c'");
    assertThat(log.entries()).isEmpty();
  }

  @Test
  void registry_actorRetiringItselfFromItsOwnTask_cleanedUpAfterThatTaskEnds() throws Exception {
    AtomicReference<ActorRegistry<String, Job>> self = new AtomicReference<>();
    CountDownLatch cleaned = new CountDownLatch(1);
    CountDownLatch go = new CountDownLatch(1);
    ActorRegistry<String, Job> jobs = ActorRegistry.<String, Job>builder("jobs", (id, sup) -> {
          Job job = new Job(id, incarnations.incrementAndGet(), sup);
          sup.run("finisher", () -> {
            go.await();
            self.get().retire(id, job);
          });
          return job;
        })
        .cleanup((id, job) -> cleaned.countDown())
        .threadFactory(threads).logger(log).build();
    registries.add(jobs);
    self.set(jobs);
    jobs.getOrStart("job-1");
    go.countDown();
    cleaned.await();
    assertThat(jobs.get("job-1")).isNull();
  }

  @Test
  void registry_retiredByItsOwnTaskWhileStarting_retiresOnceTheStartReturns() throws Exception {
    java.util.concurrent.CountDownLatch retired = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<ActorRegistry<String, Job>> self =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean accepted = new java.util.concurrent.atomic.AtomicBoolean();
    ActorRegistry<String, Job> jobs = registry((id, tasks) -> {
      Job job = new Job(id, incarnations.incrementAndGet(), tasks);
      tasks.run("finish", () -> {
        accepted.set(self.get().retire(id, job)); // before the starter has returned
        retired.countDown();
      });
      retired.await(); // the start returns only after its task asked to retire it
      return job;
    });
    self.set(jobs);
    Job job = jobs.getOrStart("job-1");
    assertThat(accepted.get()).isTrue();
    assertThat(jobs.get("job-1")).isNull();
    job.tasks().awaitTermination(java.time.Duration.ofSeconds(5));
    jobs.close();
    assertThat(cleanups()).containsExactly("cleanup job-1#1");
  }
}
