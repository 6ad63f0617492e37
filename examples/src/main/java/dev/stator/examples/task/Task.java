package dev.stator.examples.task;

import java.util.ArrayList;
import java.util.List;

/**
 * What the store holds about one task: its status, the last status message, the artifacts so
 * far, and a version that grows by one with every event applied. Immutable.
 */
public record Task(String id, State state, String message, List<String> artifacts, long version) {
  /** A2A task states. */
  public enum State {
    SUBMITTED, WORKING, INPUT_REQUIRED, AUTH_REQUIRED, COMPLETED, CANCELED, FAILED, REJECTED;

    /** Completed, canceled, failed or rejected: nothing happens to the task any more. */
    public boolean isTerminal() {
      return compareTo(COMPLETED) >= 0;
    }

    /** Input- or auth-required: the request ended, the task waits for a follow-up. */
    public boolean isInterrupted() {
      return this == INPUT_REQUIRED || this == AUTH_REQUIRED;
    }
  }

  public Task {
    artifacts = List.copyOf(artifacts);
  }

  /** A new task, submitted, version 0. */
  public static Task created(String id) {
    return new Task(id, State.SUBMITTED, "", List.of(), 0);
  }

  /** This task with {@code event} applied. */
  public Task with(TaskEvent event) {
    if (event.state() == null) {
      List<String> more = new ArrayList<>(artifacts);
      more.add(event.text());
      return new Task(id, state, message, more, version + 1);
    }
    return new Task(id, event.state(), event.text(), artifacts, version + 1);
  }

  @Override
  public String toString() {
    return id + "@" + version + " " + state + (message.isEmpty() ? "" : " '" + message + "'")
        + (artifacts.isEmpty() ? "" : " " + artifacts);
  }
}
