package dev.stator;

/**
 * The status of a mutation, as {@link Result#status()} and {@link Result#await} report it. A
 * top-level type, so that {@code Status.QUEUED} reads without a nested or static import.
 */
public enum Status {
  /** Ran and was accepted: the active set now reflects it (it may have changed nothing). */
  EXECUTED,
  /** Ran and was refused: nothing changed; {@link Result#reason()} says why. */
  CANCELED,
  /** Waiting in the machine's queue. */
  QUEUED
}
