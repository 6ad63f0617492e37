package dev.stator.supervision;

/**
 * A piece of work with no result that may throw: the body of {@link Supervisor#run} and
 * {@link Supervisor#fireAndForget}, and a teardown registered with {@link Lifespan#defer}.
 */
@FunctionalInterface
public interface Action {
  /** Does the work. */
  void run() throws Exception;
}
