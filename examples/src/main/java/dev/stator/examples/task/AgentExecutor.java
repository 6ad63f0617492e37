package dev.stator.examples.task;

/**
 * The agent behind a task, implemented by the user. {@link #execute} runs one request on a
 * thread of its own and publishes events through the sink; it must end the request with an
 * interrupted or terminal status (returning without one fails the task). Cancellation interrupts
 * {@code execute}; {@link #cancel} then runs, and may publish {@code CANCELED} itself (if it
 * returns without a terminal status, the actor publishes {@code CANCELED}). A throw from either
 * fails the task.
 */
public interface AgentExecutor {
  void execute(RequestContext context, EventSink events) throws Exception;

  void cancel(RequestContext context, EventSink events) throws Exception;

  /** One request: its id and message, and the task as it was when the request started. */
  record RequestContext(String taskId, String requestId, String message, Task task) {}

  /** Where an agent publishes events. Use from one thread at a time. */
  interface EventSink {
    /**
     * Publishes {@code event} and waits until it is persisted and fanned out. Returns false if it
     * was refused: the request already ended (canceled, or the task finished first), or the store
     * threw while saving it (the task then fails with that exception and this request is
     * interrupted). An event that ends the request (an interrupted or terminal status; for the
     * cancel hook, a terminal one) ends the caller's turn: it returns true with the calling
     * thread's interrupt status set, and the agent should return.
     */
    boolean emit(TaskEvent event);

    default boolean status(Task.State state, String text) {
      return emit(TaskEvent.status(state, text));
    }

    default boolean artifact(String text) {
      return emit(TaskEvent.artifact(text));
    }
  }
}
