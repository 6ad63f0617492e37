package dev.stator.examples.task;

import dev.stator.Tracer;
import dev.stator.supervision.ActorRegistry;
import dev.stator.supervision.ActorStartException;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * The live task actors, one per task id: {@link #actor} gets or starts one; an actor retires
 * itself once its task has ended and its tasks have stopped, and a later call for that id starts
 * a new one (which finds the task finished). Starting an actor loads its task (or creates it);
 * a store that throws then fails that start for every caller that asked for it. Thread-safe.
 */
public final class TaskRegistry implements AutoCloseable {
  private final ActorRegistry<String, TaskActor> actors;

  /**
   * {@code threads} makes every thread of every actor; {@code log} logs their transitions;
   * {@code retired} is told the id of each actor that left the registry.
   */
  public TaskRegistry(AgentExecutor agent, TaskStore store, ThreadFactory threads, boolean log,
      Consumer<String> retired) {
    this(agent, store, threads, log, Tracer.NOOP, retired);
  }

  /**
   * As {@link #TaskRegistry(AgentExecutor, TaskStore, ThreadFactory, boolean, Consumer)}, and
   * every actor's machine is traced by {@code tracer} (a {@code History}'s, for the inspector)
   * and listed ({@code Machine.Builder.listed()}) unless it is {@link Tracer#NOOP}.
   */
  public TaskRegistry(AgentExecutor agent, TaskStore store, ThreadFactory threads, boolean log,
      Tracer tracer, Consumer<String> retired) {
    this.actors = ActorRegistry.<String, TaskActor>builder("tasks",
            (id, tasks) -> { // a throw here fails the start: no actor, every waiting caller told
              Task loaded = store.get(id).orElseGet(() -> store.create(id));
              TaskActor actor = new TaskActor(loaded, agent, store, threads, log, tracer,
                  this::retire);
              try {
                actor.start(); // a retire named during the start is kept by the registry
              } catch (RuntimeException | InterruptedException e) {
                actor.close();
                throw e;
              }
              return actor;
            })
        .cleanup((id, actor) -> {
          retired.accept(id); // it has left the registry
          actor.close();
        })
        .threadFactory(threads)
        .build();
  }

  /**
   * The live actor for {@code id}, started (and its task loaded or created) if there is none.
   *
   * @throws ActorStartException if loading or creating the task threw: its cause is what the
   *     store threw, the same instance for this caller and every concurrent caller that waited
   *     for the same start; no actor remains, and a later call tries again
   */
  public TaskActor actor(String id) throws InterruptedException {
    return actors.getOrStart(id);
  }

  /** The live actor for {@code id}, or null. */
  public TaskActor live(String id) {
    return actors.get(id);
  }

  /** How many actors are live. */
  public int size() {
    return actors.size();
  }

  private void retire(TaskActor actor) {
    actors.retire(actor.id(), actor);
  }

  /** Closes every actor (their tasks interrupted, streams ended) and waits for them. */
  @Override
  public void close() {
    actors.close();
  }
}
