package dev.stator.examples.task;

/**
 * An event an agent publishes about its task: a status change ({@code state} set) or an
 * artifact ({@code state} null).
 */
public record TaskEvent(Task.State state, String text) {
  public static TaskEvent status(Task.State state, String text) {
    return new TaskEvent(java.util.Objects.requireNonNull(state, "state"), text);
  }

  public static TaskEvent artifact(String text) {
    return new TaskEvent(null, text);
  }

  /** Whether this event ends the request that published it (an interrupted or terminal status). */
  public boolean endsRequest() {
    return state != null && (state.isTerminal() || state.isInterrupted());
  }

  public boolean isTerminal() {
    return state != null && state.isTerminal();
  }

  @Override
  public String toString() {
    return (state == null ? "artifact" : state.toString()) + " '" + text + "'";
  }
}
