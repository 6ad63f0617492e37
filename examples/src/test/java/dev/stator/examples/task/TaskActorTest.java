package dev.stator.examples.task;

import static dev.stator.examples.task.Task.State.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.examples.task.AgentExecutor.EventSink;
import dev.stator.examples.task.AgentExecutor.RequestContext;
import dev.stator.examples.task.Subscription.Update;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Thirteen cases of the task actor, each deterministic (latches, no sleeps), each leak-checked. */
class TaskActorTest {
  static final Duration T = Duration.ofSeconds(5);

  interface Body {
    void run(RequestContext ctx, EventSink sink) throws Exception;
  }

  static AgentExecutor agent(Body execute, Body cancel) {
    return new AgentExecutor() {
      @Override
      public void execute(RequestContext ctx, EventSink sink) throws Exception {
        execute.run(ctx, sink);
      }

      @Override
      public void cancel(RequestContext ctx, EventSink sink) throws Exception {
        cancel.run(ctx, sink);
      }
    };
  }

  static final Body NO_HOOK = (ctx, sink) -> { };

  final CountingThreads threads = new CountingThreads("task-test");
  final TaskStore.InMemory memory = new TaskStore.InMemory();
  final List<String> retired = new CopyOnWriteArrayList<>();
  TaskRegistry registry;

  TaskRegistry registry(AgentExecutor agent) {
    return registry(agent, memory);
  }

  TaskRegistry registry(AgentExecutor agent, TaskStore store) {
    registry = new TaskRegistry(agent, store, threads, Boolean.getBoolean("task.log"), retired::add);
    return registry;
  }

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    if (registry != null) registry.close();
    assertThat(threads.awaitAlive(T)).as("threads still alive of %s", threads.created()).isZero();
    if (registry != null) assertThat(registry.size()).isZero();
  }

  /** A store that delegates to memory, with a hook before each write. */
  static TaskStore hooked(TaskStore inner, Hook hook) {
    return new TaskStore() {
      @Override
      public Optional<Task> get(String id) {
        return inner.get(id);
      }

      @Override
      public Task create(String id) {
        hook.before(id, null);
        return inner.create(id);
      }

      @Override
      public Task apply(String id, TaskEvent event) {
        hook.before(id, event);
        return inner.apply(id, event);
      }
    };
  }

  interface Hook {
    void before(String id, TaskEvent event); // event null: create
  }

  static List<String> drain(Subscription s) throws Exception {
    List<String> out = new ArrayList<>();
    for (Update u; (u = s.next(T)) != null; ) out.add(label(u));
    return out;
  }

  static String label(Update u) {
    if (u.event() == null) return "snapshot " + u.task().state();
    return u.event().state() == null ? "artifact " + u.event().text() : u.event().state().toString();
  }

  static void await(CountDownLatch latch) throws InterruptedException {
    assertThat(latch.await(T.toMillis(), TimeUnit.MILLISECONDS)).as("latch").isTrue();
  }

  static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    while (true) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  static <V> CompletableFuture<V> async(java.util.concurrent.Callable<V> body) {
    CompletableFuture<V> f = new CompletableFuture<>();
    Thread.ofVirtual().start(() -> {
      try {
        f.complete(body.call());
      } catch (Throwable t) {
        f.completeExceptionally(t);
      }
    });
    return f;
  }

  static void awaitRetired(TaskActor actor) throws Exception {
    try {
      actor.machine.whenClosed().await(T);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError(actor + " did not retire within " + T + " (queued: "
          + actor.machine.queueSize() + ", closing: " + actor.machine.isClosed() + ")", e);
    }
  }

  // ---------------------------------------------------------------------------------- 1

  @Test
  void subscriberAttachingDuringTheTerminalStepGetsTheTerminalEventThenEndOrAlreadyFinished()
      throws Exception {
    CountDownLatch applyingTerminal = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    TaskStore store = hooked(memory, (id, ev) -> {
      if (ev != null && ev.isTerminal()) {
        applyingTerminal.countDown();
        awaitUninterruptibly(release);
      }
    });
    CountDownLatch go = new CountDownLatch(1);
    registry(agent((ctx, sink) -> {
      go.await();
      sink.status(COMPLETED, "done");
    }, NO_HOOK), store);
    TaskActor actor = registry.actor("t1");
    Subscription early = actor.subscribe(64, T);
    Subscription request = actor.send("go");
    // send() has returned: this thread no longer drains the machine (a caller that finds it
    // idle runs its mutation and whatever is queued meanwhile), so the producer's event will
    // run on a drain thread of the machine.
    go.countDown();
    await(applyingTerminal); // a drain thread is inside the terminal transition
    Subscription during = actor.subscribe(64, T); // queued behind it
    release.countDown();

    assertThat(drain(early)).containsExactly("snapshot SUBMITTED", "WORKING", "COMPLETED");
    assertThat(drain(request)).containsExactly("snapshot SUBMITTED", "WORKING", "COMPLETED");
    assertThat(drain(during)).containsExactly("snapshot COMPLETED"); // already finished, then end
    awaitRetired(actor);
    assertThat(actor.subscribers()).isZero();
    // after retirement: a new incarnation finds the task finished and says so the same way
    Subscription after = registry.actor("t1").subscribe(64, T);
    assertThat(drain(after)).containsExactly("snapshot COMPLETED");
  }

  // ---------------------------------------------------------------------------------- 2

  @Test
  void cancelArrivingWhileTheActorIsStillStartingCompletesAndNeverHangs() throws Exception {
    CountDownLatch loading = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    IllegalStateException unavailable = new IllegalStateException("store unavailable");
    TaskStore store = hooked(memory, (id, ev) -> {
      if (ev == null) {
        loading.countDown();
        awaitUninterruptibly(release);
        if (id.equals("t2-broken")) throw unavailable;
      }
    });
    AtomicInteger hooks = new AtomicInteger();
    registry(agent((ctx, sink) -> { }, (ctx, sink) -> {
      hooks.incrementAndGet();
      sink.status(CANCELED, "canceled before any request");
    }), store);
    // Each cancel asks for its actor while the actor's task is being loaded (created).
    AtomicReference<TaskActor> actor = new AtomicReference<>();
    CompletableFuture<Task> cancel = async(() -> {
      actor.set(registry.actor("t2"));
      return actor.get().cancel(T);
    });
    CompletableFuture<Task> cancelBroken = async(() -> registry.actor("t2-broken").cancel(T));
    await(loading);
    assertThat(cancel).isNotDone();
    assertThat(cancelBroken).isNotDone();
    release.countDown();

    assertThat(cancel.get(T.toMillis(), TimeUnit.MILLISECONDS).state()).isEqualTo(CANCELED);
    assertThat(hooks).hasValue(1);
    // A store that throws while loading fails the start: the caller gets the store's error.
    assertThatThrownBy(() -> cancelBroken.get(T.toMillis(), TimeUnit.MILLISECONDS))
        .cause().isInstanceOf(dev.stator.supervision.ActorStartException.class)
        .cause().isSameAs(unavailable);
    assertThat(memory.get("t2-broken")).isEmpty();
    assertThat(registry.live("t2-broken")).isNull();
    awaitRetired(actor.get());
  }

  // ---------------------------------------------------------------------------------- 3

  @Test
  void cancelHookThatBlocksBeforePublishingCanceledIsNotDropped() throws Exception {
    CountDownLatch executing = new CountDownLatch(1);
    CountDownLatch producerEnded = new CountDownLatch(1);
    CountDownLatch inHook = new CountDownLatch(1);
    CountDownLatch releaseHook = new CountDownLatch(1);
    AtomicBoolean hookEmit = new AtomicBoolean();
    CountDownLatch hookDone = new CountDownLatch(1);
    registry(agent((ctx, sink) -> {
      try {
        sink.status(WORKING, "thinking");
        executing.countDown();
        new CountDownLatch(1).await();
      } finally {
        producerEnded.countDown();
      }
    }, (ctx, sink) -> {
      inHook.countDown();
      awaitUninterruptibly(releaseHook);
      hookEmit.set(sink.status(CANCELED, "stopped by user"));
      hookDone.countDown();
    }));
    TaskActor actor = registry.actor("t3");
    Subscription watcher = actor.subscribe(64, T);
    Subscription request = actor.send("think hard");
    await(executing);
    CompletableFuture<Task> cancel = async(() -> actor.cancel(T));
    await(inHook);
    await(producerEnded); // the request was interrupted first
    assertThat(cancel).isNotDone(); // the caller waits for the outcome, never returns WORKING
    releaseHook.countDown();

    Task canceled = cancel.get(T.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(canceled.state()).isEqualTo(CANCELED);
    assertThat(canceled.message()).isEqualTo("stopped by user");
    await(hookDone);
    assertThat(hookEmit).isTrue();
    assertThat(drain(watcher)).containsExactly("snapshot SUBMITTED", "WORKING", "WORKING", "CANCELED");
    assertThat(drain(request)).containsExactly("snapshot SUBMITTED", "WORKING", "WORKING", "CANCELED");
    awaitRetired(actor);
  }

  // ---------------------------------------------------------------------------------- 4

  @Test
  void cancelRacingNaturalCompletionHasExactlyOneWinnerAndTellsTheLoser() throws Exception {
    AtomicInteger hooks = new AtomicInteger();
    AtomicReference<Task.State> hookSaw = new AtomicReference<>();
    ConcurrentLatches latches = new ConcurrentLatches();
    CountDownLatch applyingTerminal = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    TaskStore store = hooked(memory, (id, ev) -> {
      if (id.equals("t4-2") && ev != null && ev.isTerminal()) {
        applyingTerminal.countDown();
        awaitUninterruptibly(release);
      }
    });
    registry(agent((ctx, sink) -> {
      CountDownLatch[] l = latches.of(ctx.taskId());
      l[0].countDown();
      try {
        l[1].await();
      } catch (InterruptedException canceled) {
        // canceled first: try to complete anyway, and be told no
      }
      latches.completed.put(ctx.taskId(), sink.status(COMPLETED, "answer"));
    }, (ctx, sink) -> {
      hooks.incrementAndGet();
      hookSaw.set(ctx.task().state());
    }), store);
    int cancelWon = 0;
    int completionWon = 0;
    for (int i = 0; i < 40; i++) {
      String id = "t4-" + i;
      int hooksBefore = hooks.get();
      TaskActor actor = registry.actor(id);
      Subscription watcher = actor.subscribe(64, T);
      actor.send("race");
      CountDownLatch[] l = latches.of(id);
      assertThat(l[0].await(T.toMillis(), TimeUnit.MILLISECONDS)).as("started %s", id).isTrue();
      if (i == 0) { // completion first, deterministically
        l[1].countDown();
        awaitRetired(actor);
      } else if (i == 2) { // cancel queued while the terminal transition runs
        l[1].countDown();
        await(applyingTerminal);
      } else if (i > 2) { // a true race
        Thread.ofVirtual().start(l[1]::countDown);
      } // i == 1: cancel first, deterministically
      CompletableFuture<Task.State> cancel = async(() -> {
        try {
          return actor.cancel(T).state();
        } catch (TaskActor.NotCancelable loser) {
          return loser.task().state();
        }
      });
      if (i == 2) {
        long deadline = System.nanoTime() + T.toNanos();
        while (actor.machine.queueSize() == 0 && System.nanoTime() < deadline) Thread.onSpinWait();
        release.countDown();
      }
      Task.State outcome = cancel.get(T.toMillis(), TimeUnit.MILLISECONDS);
      l[1].countDown();
      List<String> seen = drain(watcher);
      assertThat(seen.stream().filter(s -> s.equals("COMPLETED") || s.equals("CANCELED")))
          .as("one terminal event for %s", id).hasSize(1);
      assertThat(seen.getLast()).isEqualTo(outcome.toString());
      awaitRetired(actor);
      boolean hooked = hooks.get() > hooksBefore;
      if (outcome == CANCELED) {
        cancelWon++;
        assertThat(hooked).isTrue();
        assertThat(hookSaw.get().isTerminal()).isFalse();
        assertThat(latches.completed.get(id)).as("the agent is told it lost").isFalse();
      } else {
        completionWon++;
        assertThat(outcome).isEqualTo(COMPLETED);
        assertThat(hooked).as("no hook after the terminal state").isFalse();
        assertThat(latches.completed.get(id)).isTrue();
      }
      assertThat(memory.get(id).orElseThrow().state()).isEqualTo(outcome);
    }
    assertThat(cancelWon).isPositive();
    assertThat(completionWon).isPositive();
  }

  static final class ConcurrentLatches {
    final java.util.concurrent.ConcurrentHashMap<String, CountDownLatch[]> map = new java.util.concurrent.ConcurrentHashMap<>();
    final java.util.concurrent.ConcurrentHashMap<String, Boolean> completed = new java.util.concurrent.ConcurrentHashMap<>();

    CountDownLatch[] of(String id) {
      return map.computeIfAbsent(id, k -> new CountDownLatch[] {new CountDownLatch(1), new CountDownLatch(1)});
    }
  }

  // ---------------------------------------------------------------------------------- 5

  @Test
  void agentThatThrowsFailsTheTaskOnceForEveryoneRetiresAndRejectsQueuedRequests() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger runs = new AtomicInteger();
    registry(agent((ctx, sink) -> {
      runs.incrementAndGet();
      started.countDown();
      release.await();
      throw new IOException("model endpoint unreachable");
    }, NO_HOOK));
    TaskActor actor = registry.actor("t5");
    Subscription a = actor.subscribe(64, T);
    Subscription b = actor.subscribe(64, T);
    Subscription first = actor.send("boom");
    await(started);
    Subscription second = actor.send("queued 1");
    Subscription third = actor.send("queued 2");
    release.countDown();

    for (Subscription s : List.of(a, b, first)) {
      List<String> seen = drain(s);
      assertThat(seen).endsWith("FAILED");
      assertThat(seen.stream().filter("FAILED"::equals)).hasSize(1);
    }
    for (Subscription s : List.of(second, third)) {
      assertThatThrownBy(() -> s.next(T)).isInstanceOf(Subscription.Rejected.class)
          .hasMessageContaining("ended FAILED");
      assertThat(s.next(T)).isNull();
    }
    Task failed = memory.get("t5").orElseThrow();
    assertThat(failed.state()).isEqualTo(FAILED);
    assertThat(failed.message()).contains("model endpoint unreachable");
    awaitRetired(actor);
    assertThat(registry.live("t5")).isNull();
    assertThat(retired).containsExactly("t5");
    assertThat(runs).hasValue(1);
  }

  // ---------------------------------------------------------------------------------- 6

  @Test
  void requestQueuedBehindOneThatEndsTheTaskIsRejectedNeverRun() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> ran = new CopyOnWriteArrayList<>();
    registry(agent((ctx, sink) -> {
      ran.add(ctx.message());
      started.countDown();
      release.await();
      sink.status(COMPLETED, "finished");
    }, NO_HOOK));
    TaskActor actor = registry.actor("t6");
    Subscription first = actor.send("finish it");
    await(started);
    Subscription queued = actor.send("one more thing");
    release.countDown();

    assertThat(drain(first)).containsExactly("snapshot SUBMITTED", "WORKING", "COMPLETED");
    assertThatThrownBy(() -> queued.next(T)).isInstanceOf(Subscription.Rejected.class)
        .hasMessageContaining("r2").hasMessageContaining("COMPLETED");
    awaitRetired(actor);
    Subscription late = registry.actor("t6").send("after the end");
    assertThatThrownBy(() -> late.next(T)).isInstanceOf(Subscription.Rejected.class);
    assertThat(ran).containsExactly("finish it");
  }

  // ---------------------------------------------------------------------------------- 7

  @Test
  void requestNPlusOneStartsOnlyAfterRequestNsEventsAreApplied() throws Exception {
    List<String> applied = new CopyOnWriteArrayList<>();
    TaskStore store = hooked(memory, (id, ev) -> {
      if (ev != null) applied.add(ev.toString());
    });
    CountDownLatch secondSent = new CountDownLatch(1);
    AtomicBoolean firstEnded = new AtomicBoolean();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    AtomicReference<RequestContext> secondCtx = new AtomicReference<>();
    AtomicBoolean firstEndedWhenSecondStarted = new AtomicBoolean();
    registry(agent((ctx, sink) -> {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        if (ctx.requestId().equals("r1")) {
          secondSent.await();
          sink.artifact("a1");
          sink.artifact("a2");
          sink.status(INPUT_REQUIRED, "more?");
        } else {
          secondCtx.set(ctx);
          firstEndedWhenSecondStarted.set(firstEnded.get());
          sink.status(COMPLETED, "done");
        }
      } finally {
        running.decrementAndGet();
        if (ctx.requestId().equals("r1")) firstEnded.set(true);
      }
    }, NO_HOOK), store);
    TaskActor actor = registry.actor("t7");
    Subscription first = actor.send("first");
    Subscription second = actor.send("second");
    secondSent.countDown();

    assertThat(drain(first)).containsExactly("snapshot SUBMITTED", "WORKING", "artifact a1",
        "artifact a2", "INPUT_REQUIRED");
    assertThat(drain(second)).containsExactly("snapshot INPUT_REQUIRED", "WORKING", "COMPLETED");
    Task seen = secondCtx.get().task();
    assertThat(seen.state()).isEqualTo(INPUT_REQUIRED);
    assertThat(seen.artifacts()).containsExactly("a1", "a2");
    assertThat(seen.version()).isEqualTo(4);
    assertThat(firstEndedWhenSecondStarted).isTrue();
    assertThat(maxRunning).hasValue(1);
    assertThat(applied).containsExactly("WORKING 'request r1 started'", "artifact 'a1'",
        "artifact 'a2'", "INPUT_REQUIRED 'more?'", "WORKING 'request r2 started'",
        "COMPLETED 'done'");
    awaitRetired(actor);
  }

  // ---------------------------------------------------------------------------------- 8

  @Test
  void inputRequiredEndsTheRequestStreamButKeepsTheActorAndAFollowUpResumes() throws Exception {
    AtomicReference<Task> followUpSaw = new AtomicReference<>();
    registry(agent((ctx, sink) -> {
      if (ctx.task().state() != INPUT_REQUIRED) {
        sink.status(INPUT_REQUIRED, "which city?");
        return;
      }
      followUpSaw.set(ctx.task());
      sink.artifact("sunny in " + ctx.message());
      sink.status(COMPLETED, "answered");
    }, NO_HOOK));
    TaskActor actor = registry.actor("t8");
    assertThat(drain(actor.send("weather?")))
        .containsExactly("snapshot SUBMITTED", "WORKING", "INPUT_REQUIRED");
    assertThat(registry.live("t8")).isSameAs(actor);
    // The status that ended the stream ended the producer's state in the same transition.
    assertThat(actor.machine.is(TaskActor.Life.Executing)).isFalse();
    assertThat(actor.machine.is(TaskActor.Life.InputRequired)).isTrue();

    Subscription resubscribed = registry.actor("t8").subscribe(64, T);
    assertThat(label(resubscribed.next(T))).isEqualTo("snapshot INPUT_REQUIRED");
    Subscription followUp = registry.actor("t8").send("Paris");
    assertThat(drain(followUp)).containsExactly("snapshot INPUT_REQUIRED", "WORKING",
        "artifact sunny in Paris", "COMPLETED");
    assertThat(drain(resubscribed)).containsExactly("WORKING", "artifact sunny in Paris", "COMPLETED");
    assertThat(followUpSaw.get().message()).isEqualTo("which city?");
    awaitRetired(actor);
  }

  // ---------------------------------------------------------------------------------- 9

  @Test
  void abandonedOrSlowSubscriberBlocksNeitherRetirementNorOtherSubscribers() throws Exception {
    registry(agent((ctx, sink) -> {
      for (int i = 0; i < 20; i++) sink.artifact("a" + i);
      sink.status(COMPLETED, "done");
    }, NO_HOOK));
    TaskActor actor = registry.actor("t9");
    Subscription abandoned = actor.subscribe(4, T);
    Subscription reader = actor.subscribe(64, T);
    actor.send("go");

    assertThat(drain(reader)).hasSize(23).endsWith("artifact a19", "COMPLETED");
    awaitRetired(actor); // nobody ever read `abandoned`
    assertThat(actor.subscribers()).isZero();
    assertThat(drain4(abandoned)).containsExactly("snapshot SUBMITTED", "WORKING", "artifact a0",
        "artifact a1");
    assertThatThrownBy(() -> abandoned.next(T)).isInstanceOf(Subscription.Overflow.class);
    assertThat(abandoned.next(T)).isNull();
  }

  static List<String> drain4(Subscription s) throws Exception {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 4; i++) out.add(label(s.next(T)));
    return out;
  }

  // ---------------------------------------------------------------------------------- 10

  @Test
  void actorLeavesTheRegistryOnlyAfterAllItsTasksHaveEnded() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch unwinding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean producerDone = new AtomicBoolean();
    AtomicBoolean producerDoneAtRetirement = new AtomicBoolean();
    registry = new TaskRegistry(agent((ctx, sink) -> {
      running.countDown();
      try {
        new CountDownLatch(1).await();
      } catch (InterruptedException canceled) {
        unwinding.countDown();
        awaitUninterruptibly(release); // a slow cleanup
      } finally {
        producerDone.set(true);
      }
    }, NO_HOOK), memory, threads, false, id -> producerDoneAtRetirement.set(producerDone.get()));
    TaskActor actor = registry.actor("t10");
    actor.send("long job");
    await(running);
    CompletableFuture<Task> cancel = async(() -> actor.cancel(T));
    await(unwinding);
    assertThat(registry.live("t10")).isSameAs(actor); // its producer still runs
    assertThat(actor.machine.is(TaskActor.Life.Retired)).isFalse();
    release.countDown();

    assertThat(cancel.get(T.toMillis(), TimeUnit.MILLISECONDS).state()).isEqualTo(CANCELED);
    awaitRetired(actor);
    assertThat(registry.live("t10")).isNull();
    assertThat(producerDoneAtRetirement).isTrue();
  }

  // ---------------------------------------------------------------------------------- 11

  @Test
  void subscriberInterruptedMidWaitReleasesEverythingAndTheInterruptionPropagates() throws Exception {
    CountDownLatch finish = new CountDownLatch(1);
    registry(agent((ctx, sink) -> {
      finish.await();
      sink.status(COMPLETED, "done");
    }, NO_HOOK));
    TaskActor actor = registry.actor("t11");
    Subscription other = actor.subscribe(64, T);
    Subscription sub = actor.subscribe(64, T);
    actor.send("go");
    assertThat(label(other.next(T))).isEqualTo("snapshot SUBMITTED");
    assertThat(label(other.next(T))).isEqualTo("WORKING");
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    CountDownLatch caughtUp = new CountDownLatch(1);
    Thread reader = Thread.ofVirtual().start(() -> {
      try {
        sub.next(T);
        sub.next(T); // snapshot, WORKING
        caughtUp.countDown();
        sub.next(T); // waits: nothing more until the agent finishes
        thrown.set(new AssertionError("returned normally"));
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    await(caughtUp);
    long deadline = System.nanoTime() + T.toNanos();
    while (reader.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    reader.interrupt();
    reader.join(T);

    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    assertThat(actor.subscribers()).isEqualTo(2); // `other` and the request's stream
    assertThatThrownBy(() -> sub.next(T)).isInstanceOf(IllegalStateException.class);
    finish.countDown();
    assertThat(drain(other)).containsExactly("COMPLETED");
    awaitRetired(actor);
  }

  // ---------------------------------------------------------------------------------- 12

  @Test
  void lateJoinerSeesTheSnapshotThenOnlyLaterEventsWithNoGap() throws Exception {
    CountDownLatch halfway = new CountDownLatch(1);
    registry(agent((ctx, sink) -> {
      for (int i = 0; i < 200; i++) {
        sink.artifact("a" + i);
        if (i == 100) halfway.countDown();
      }
      sink.status(COMPLETED, "done");
    }, NO_HOOK));
    TaskActor actor = registry.actor("t12");
    actor.send("stream");
    await(halfway);
    Subscription late = actor.subscribe(512, T);

    Update first = late.next(T);
    assertThat(first.event()).isNull();
    long version = first.task().version();
    List<String> artifacts = new ArrayList<>(first.task().artifacts());
    assertThat(artifacts.size()).isGreaterThanOrEqualTo(101);
    for (Update u; (u = late.next(T)) != null; ) {
      assertThat(u.task().version()).isEqualTo(++version);
      if (u.event().state() == null) artifacts.add(u.event().text());
    }
    assertThat(artifacts).hasSize(200);
    for (int i = 0; i < 200; i++) assertThat(artifacts.get(i)).isEqualTo("a" + i);
    assertThat(version).isEqualTo(memory.get("t12").orElseThrow().version());
    awaitRetired(actor);
  }

  // ---------------------------------------------------------------------------------- 13

  @Test
  void producerPublishingItsFinalStatusIsToldItWasAppliedAndDrainsNothing() throws Exception {
    java.util.Map<String, Thread> savedBy = new java.util.concurrent.ConcurrentHashMap<>();
    TaskStore store = hooked(memory, (id, ev) -> {
      if (ev != null) savedBy.put(ev.toString(), Thread.currentThread());
    });
    AtomicReference<Thread> producer = new AtomicReference<>();
    AtomicBoolean artifactApplied = new AtomicBoolean();
    AtomicBoolean interruptedAfterArtifact = new AtomicBoolean(true);
    AtomicBoolean finalApplied = new AtomicBoolean();
    AtomicBoolean interruptedAfterFinal = new AtomicBoolean();
    registry(agent((ctx, sink) -> {
      producer.set(Thread.currentThread());
      artifactApplied.set(sink.artifact("a1"));
      interruptedAfterArtifact.set(Thread.currentThread().isInterrupted());
      finalApplied.set(sink.status(COMPLETED, "done")); // ends this producer's own scope
      interruptedAfterFinal.set(Thread.currentThread().isInterrupted());
    }, NO_HOOK), store);
    TaskActor actor = registry.actor("t13");
    assertThat(drain(actor.send("go")))
        .containsExactly("snapshot SUBMITTED", "WORKING", "artifact a1", "COMPLETED");
    awaitRetired(actor);

    assertThat(artifactApplied).isTrue();
    assertThat(interruptedAfterArtifact).isFalse();
    assertThat(finalApplied).as("the final status was applied and its producer told so").isTrue();
    assertThat(interruptedAfterFinal).as("its scope ended in that transition").isTrue();
    // Its events were drained by another thread: it never ran the transition ending its scope.
    assertThat(savedBy.get("artifact 'a1'")).isNotNull().isNotSameAs(producer.get());
    assertThat(savedBy.get("COMPLETED 'done'")).isNotNull().isNotSameAs(producer.get());
    Task done = memory.get("t13").orElseThrow();
    assertThat(done.state()).isEqualTo(COMPLETED);
    assertThat(done.message()).isEqualTo("done"); // not "agent returned without final status"
    assertThat(retired).containsExactly("t13");
  }
}
