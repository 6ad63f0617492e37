/**
 * Stator history: a bounded, queryable record of a machine's transitions, with time travel
 * ({@code Timeline.snapshotAt}) and a versioned JSON-lines export.
 *
 * <p>Depends on {@code dev.stator.core} only. The public API is the package
 * {@code dev.stator.history}.
 */
module dev.stator.history {
  requires transitive dev.stator.core;
  requires static org.jspecify;

  exports dev.stator.history;
}
