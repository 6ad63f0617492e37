/**
 * Stator test kit: {@link dev.stator.test.FakeTime}, a time that moves only when a test advances
 * it; {@link dev.stator.test.TransitionLog}, a tracer that keeps the recent transitions; and
 * {@link dev.stator.test.StatorAssertions}, JUnit 5 assertions on active sets and quiescence.
 *
 * <p>Depends on {@code dev.stator.core} and the JUnit 5 API.
 */
module dev.stator.test {
  requires transitive dev.stator.core;
  requires transitive org.junit.jupiter.api;
  requires static org.jspecify;

  exports dev.stator.test;
}
