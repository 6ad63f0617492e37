package dev.stator.examples.task;

import static dev.stator.examples.task.Task.State.*;
import static dev.stator.examples.task.TaskActorTest.NO_HOOK;
import static dev.stator.examples.task.TaskActorTest.T;
import static dev.stator.examples.task.TaskActorTest.agent;
import static dev.stator.examples.task.TaskActorTest.await;
import static dev.stator.examples.task.TaskActorTest.awaitRetired;
import static dev.stator.examples.task.TaskActorTest.awaitUninterruptibly;
import static dev.stator.examples.task.TaskActorTest.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.stator.supervision.ActorStartException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The task actor when its store throws: once while saving, for good from some save on, or
 * while loading the task. Deterministic (latches, bounded waits), each leak-checked.
 */
class TaskStoreFailureTest {
  final CountingThreads threads = new CountingThreads("store-test");
  final TaskStore.InMemory memory = new TaskStore.InMemory();
  final FlakyStore store = new FlakyStore(memory);
  final List<String> retired = new CopyOnWriteArrayList<>();
  TaskRegistry registry;

  TaskRegistry registry(AgentExecutor agent) {
    registry = new TaskRegistry(agent, store, threads, Boolean.getBoolean("task.log"), retired::add);
    return registry;
  }

  @AfterEach
  void noThreadLeft() throws InterruptedException {
    if (registry != null) registry.close();
    assertThat(threads.awaitAlive(T)).as("threads still alive of %s", threads.created()).isZero();
    if (registry != null) assertThat(registry.size()).isZero();
  }

  /**
   * The memory store, failing on command. Every failure is a new exception, recorded in
   * {@link #thrown} before it is thrown.
   */
  static final class FlakyStore implements TaskStore {
    private final TaskStore inner;
    final List<RuntimeException> thrown = new CopyOnWriteArrayList<>();
    /** Consulted before each save: true fails that save. */
    volatile Predicate<TaskEvent> failSave = ev -> false;
    /** Consulted before each save: true takes the store down, from that save on. */
    volatile Predicate<TaskEvent> downFrom = ev -> false;
    /** Every call fails. */
    volatile boolean down;
    /** Runs before each load ({@code get}), on the loading thread. */
    volatile Runnable beforeGet = () -> { };

    FlakyStore(TaskStore inner) {
      this.inner = inner;
    }

    private RuntimeException failure(String what) {
      RuntimeException e = new IllegalStateException("store unavailable (" + what + ")");
      thrown.add(e);
      return e;
    }

    @Override
    public Optional<Task> get(String id) {
      beforeGet.run();
      if (down) throw failure("get " + id);
      return inner.get(id);
    }

    @Override
    public Task create(String id) {
      if (down) throw failure("create " + id);
      return inner.create(id);
    }

    @Override
    public Task apply(String id, TaskEvent event) {
      if (downFrom.test(event)) down = true;
      if (down || failSave.test(event)) throw failure("save " + event);
      return inner.apply(id, event);
    }
  }

  /** An agent that emits WORKING, then {@code artifact}, then waits until it is interrupted. */
  record Probe(AtomicReference<Boolean> emitted, CountDownLatch interrupted, AgentExecutor agent) {
    static Probe emitting(String artifact) {
      AtomicReference<Boolean> emitted = new AtomicReference<>();
      CountDownLatch interrupted = new CountDownLatch(1);
      AgentExecutor agent = TaskActorTest.agent((ctx, sink) -> {
        sink.status(WORKING, "thinking");
        emitted.set(sink.artifact(artifact));
        try {
          new CountDownLatch(1).await(T.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          interrupted.countDown();
        }
      }, NO_HOOK);
      return new Probe(emitted, interrupted, agent);
    }
  }

  // ------------------------------------------------------------------------- fails once

  @Test
  void storeFailingOnceRefusesTheEventItCouldNotSaveAndFailsTheTask() throws Exception {
    AtomicInteger failures = new AtomicInteger();
    store.failSave = ev -> "a1".equals(ev.text()) && failures.getAndIncrement() == 0;
    Probe probe = Probe.emitting("a1");
    registry(probe.agent());
    TaskActor actor = registry.actor("once");
    Subscription watcher = actor.subscribe(64, T);
    Subscription request = actor.send("go");

    assertThat(drain(request)).containsExactly("snapshot SUBMITTED", "WORKING", "WORKING", "FAILED");
    assertThat(drain(watcher)).containsExactly("snapshot SUBMITTED", "WORKING", "WORKING", "FAILED");
    await(probe.interrupted());
    assertThat(probe.emitted().get()).as("emit of the event whose save threw").isFalse();
    Task failed = memory.get("once").orElseThrow();
    assertThat(failed.state()).isEqualTo(FAILED);
    assertThat(failed.message()).contains("store unavailable (save artifact 'a1')");
    assertThat(failed.artifacts()).isEmpty();
    assertThat(failed.version()).isEqualTo(3); // WORKING, WORKING, FAILED: nothing half-applied
    awaitRetired(actor);
    assertThat(registry.live("once")).isNull();
    assertThat(retired).containsExactly("once");
  }

  // ------------------------------------------------------------------------- stays down

  @Test
  void storeDownRetiresActorAndSendsFailed() throws Exception {
    store.downFrom = ev -> "a1".equals(ev.text());
    Probe probe = Probe.emitting("a1");
    registry(probe.agent());
    TaskActor actor = registry.actor("down");
    Subscription watcher = actor.subscribe(64, T);
    Subscription request = actor.send("go");

    List<Subscription.Update> seen = new ArrayList<>();
    for (Subscription.Update u; (u = watcher.next(T)) != null; ) seen.add(u);
    assertThat(seen).map(TaskActorTest::label)
        .containsExactly("snapshot SUBMITTED", "WORKING", "WORKING", "FAILED");
    assertThat(seen.getLast().task().message()).contains("store unavailable (save artifact 'a1')");
    assertThat(drain(request)).containsExactly("snapshot SUBMITTED", "WORKING", "WORKING", "FAILED");
    awaitRetired(actor);
    assertThat(registry.live("down")).isNull();
    assertThat(retired).containsExactly("down");
    assertThat(memory.get("down").orElseThrow().state()).as("the store was down").isEqualTo(WORKING);
    RuntimeException first = store.thrown.getFirst();
    assertThatThrownBy(() -> actor.cancel(T)).isInstanceOf(TaskActor.NotCancelable.class)
        .hasMessageContaining("FAILED").cause().isSameAs(first);
    // still down: a new incarnation cannot load the task, so it does not start
    assertThatThrownBy(() -> registry.actor("down")).isInstanceOf(ActorStartException.class)
        .cause().isSameAs(store.thrown.getLast()).hasMessageContaining("get down");
    assertThat(registry.size()).isZero();
  }

  @Test
  void storeDownInterruptsTheAgentAndRefusesItsEvent() throws Exception {
    store.downFrom = ev -> "a1".equals(ev.text());
    Probe probe = Probe.emitting("a1");
    registry(probe.agent());
    TaskActor actor = registry.actor("down-agent");
    actor.send("go");

    await(probe.interrupted());
    assertThat(probe.emitted().get()).as("emit of the event whose save threw").isFalse();
    awaitRetired(actor);
  }

  // ------------------------------------------------------------------------- cancel hook

  @Test
  void cancelHookThatThrowsIsTheCauseOfNotCancelable() throws Exception {
    IOException hookFailure = new IOException("cancel endpoint unreachable");
    CountDownLatch executing = new CountDownLatch(1);
    registry(agent((ctx, sink) -> {
      sink.status(WORKING, "thinking");
      executing.countDown();
      new CountDownLatch(1).await();
    }, (ctx, sink) -> {
      throw hookFailure;
    }));
    TaskActor actor = registry.actor("hook");
    actor.send("go");
    await(executing);

    assertThatThrownBy(() -> actor.cancel(T)).isInstanceOf(TaskActor.NotCancelable.class)
        .hasMessageContaining("FAILED").cause().isSameAs(hookFailure);
    assertThat(memory.get("hook").orElseThrow().message()).contains("cancel endpoint unreachable");
    awaitRetired(actor);
  }

  // ------------------------------------------------------------------------- fails on load

  @Test
  void storeFailingOnLoadFailsEveryConcurrentCallerWithTheOriginalErrorAndLeavesNoActor()
      throws Exception {
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger loads = new AtomicInteger();
    AtomicReference<Thread> loader = new AtomicReference<>();
    store.beforeGet = () -> {
      if (loads.getAndIncrement() == 0) { // the first load fails, once every caller waits for it
        loader.set(Thread.currentThread());
        store.down = true;
        loading.countDown();
        awaitUninterruptibly(release);
      } else {
        store.down = false;
      }
    };
    registry(agent((ctx, sink) -> sink.status(COMPLETED, "done"), NO_HOOK));
    int callers = 8;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> callerThreads = new ArrayList<>();
    List<CompletableFuture<TaskActor>> got = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      CompletableFuture<TaskActor> f = new CompletableFuture<>();
      got.add(f);
      callerThreads.add(Thread.ofVirtual().start(() -> {
        try {
          go.await();
          f.complete(registry.actor("load"));
        } catch (Throwable t) {
          f.completeExceptionally(t);
        }
      }));
    }
    go.countDown();
    await(loading);
    for (Thread t : callerThreads) {
      if (t != loader.get()) awaitWaitingForStartOrDone(t);
    }
    release.countDown();

    List<Throwable> failures = new ArrayList<>();
    for (CompletableFuture<TaskActor> f : got) {
      assertThatThrownBy(() -> f.get(T.toMillis(), TimeUnit.MILLISECONDS))
          .isInstanceOf(ExecutionException.class).cause().isInstanceOf(ActorStartException.class)
          .satisfies(e -> failures.add(e.getCause()));
    }
    assertThat(store.thrown).hasSize(1);
    RuntimeException original = store.thrown.getFirst();
    assertThat(failures).hasSize(callers).allSatisfy(cause -> assertThat(cause).isSameAs(original));
    assertThat(loads).hasValue(1);
    assertThat(registry.size()).isZero();
    assertThat(registry.live("load")).isNull();
    assertThat(memory.get("load")).as("nothing saved for a task that never loaded").isEmpty();
    assertThat(threads.created()).as("threads of an actor that never started").isZero();
    assertThat(retired).isEmpty();

    // the store is back: the next call starts a new incarnation, which loads the task
    TaskActor actor = registry.actor("load");
    assertThat(TaskActorTest.drain(actor.send("go"))).containsExactly("snapshot SUBMITTED",
        "WORKING", "COMPLETED");
    awaitRetired(actor);
  }

  /**
   * Waits until {@code t} has returned or is parked in {@code ActorRegistry.getOrStart} waiting
   * for another caller's start (not for the registry's lock).
   */
  static void awaitWaitingForStartOrDone(Thread t) {
    long deadline = System.nanoTime() + T.toNanos();
    while (System.nanoTime() < deadline) {
      Thread.State s = t.getState();
      if (s == Thread.State.TERMINATED) return;
      if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
        boolean inGetOrStart = false;
        boolean onLock = false;
        for (StackTraceElement f : t.getStackTrace()) {
          if (f.getClassName().startsWith("dev.stator.supervision.ActorRegistry")
              && f.getMethodName().equals("getOrStart")) {
            inGetOrStart = true;
          }
          if (f.getClassName().equals("java.util.concurrent.locks.ReentrantLock")) onLock = true;
        }
        if (inGetOrStart && !onLock) return;
      }
      Thread.onSpinWait();
    }
    fail("caller " + t + " neither returned nor waited for the start within " + T);
  }
}
