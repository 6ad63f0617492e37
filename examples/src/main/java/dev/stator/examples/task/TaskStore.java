package dev.stator.examples.task;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Persists tasks. A task's actor is its only writer: {@link #create} and {@link #apply} for one
 * id are never called concurrently; {@link #get} may be called from any thread.
 */
public interface TaskStore {
  Optional<Task> get(String id);

  /** Creates the task, submitted. */
  Task create(String id);

  /** Applies {@code event} to the task (creating it if missing) and returns the new version. */
  Task apply(String id, TaskEvent event);

  /** A store in memory. */
  final class InMemory implements TaskStore {
    private final ConcurrentHashMap<String, Task> tasks = new ConcurrentHashMap<>();

    @Override
    public Optional<Task> get(String id) {
      return Optional.ofNullable(tasks.get(id));
    }

    @Override
    public Task create(String id) {
      return tasks.computeIfAbsent(id, Task::created);
    }

    @Override
    public Task apply(String id, TaskEvent event) {
      return tasks.compute(id, (k, t) -> (t == null ? Task.created(k) : t).with(event));
    }
  }
}
