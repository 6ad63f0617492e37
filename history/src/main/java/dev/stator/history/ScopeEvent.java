package dev.stator.history;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Something that happened in a state's scope: a task started or ended, a resource (or held
 * context) became owned or was closed. The scope is named by its state and its
 * {@link #activation()} (the state's clock at the activation it belongs to, odd), so the tasks
 * and resources of the state active at a recorded moment are the events whose activation
 * equals the state's clock in that record. Immutable.
 *
 * @param sequence the event's position among the history's scope events
 * @param machineId the machine's id
 * @param state the scope's state
 * @param activation the state's clock at the scope's activation
 * @param kind what happened
 * @param name the task's name, or the resource's (its class name, or the hold's name)
 * @param wallNanos when, in nanoseconds since the epoch by the history's clock
 * @param failure what a task threw or a close threw ({@code "class: message"}), or {@code null}
 */
public record ScopeEvent(long sequence, String machineId, String state, long activation,
    Kind kind, String name, long wallNanos, @Nullable String failure) {

  /** Checks the fields. */
  public ScopeEvent {
    Objects.requireNonNull(machineId, "machineId");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
  }

  /** What happened in a scope. */
  public enum Kind {
    /** A task started (on its own thread). */
    TASK_STARTED,
    /** A task's body returned, or threw ({@link #failure()}). */
    TASK_ENDED,
    /** A task ended because it was cancelled (its scope ended, or it was cancelled). */
    TASK_CANCELLED,
    /** A resource became owned by the scope ({@code StateScope.open}). */
    RESOURCE_OPENED,
    /** A resource was closed as the scope closed. */
    RESOURCE_CLOSED,
    /** A context was entered and is held by the scope ({@code StateScope.hold}). */
    CONTEXT_HELD,
    /** A held context was exited as the scope closed. */
    CONTEXT_RELEASED
  }

  /** {@link #wallNanos()} as an instant. */
  public Instant wall() {
    return Instant.ofEpochSecond(Math.floorDiv(wallNanos, 1_000_000_000L),
        Math.floorMod(wallNanos, 1_000_000_000L));
  }
}
