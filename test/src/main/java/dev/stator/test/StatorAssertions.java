package dev.stator.test;

import dev.stator.Machine;
import dev.stator.MachineClosedException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assertions;

/**
 * JUnit 5 assertions for machines. A failure message names the machine, what was expected, the
 * active states, and, for a machine built with a {@link TransitionLog}, its recent transitions:
 *
 * <pre>
 * machine Conn#3: expected active [Connected] but was [Connecting, Backoff]
 * recent transitions:
 *   #1 add[Connecting] +Connecting
 *   #2 add[Backoff] +Backoff
 * </pre>
 *
 * <p>Thread safety: any thread; reads are the machine's (lock-free, never half a transition).
 */
public final class StatorAssertions {
  private static final Duration SETTLE = Duration.ofSeconds(10);

  private StatorAssertions() {}

  /**
   * Asserts that exactly {@code states} are active (among the states {@code S} names; the
   * built-in {@code Exception} is not counted unless {@code S} names it).
   */
  @SafeVarargs
  public static <S> void assertActive(Machine<S> machine, S... states) {
    Set<S> expected = new LinkedHashSet<>(Arrays.asList(states));
    Set<S> actual = machine.active();
    if (!actual.equals(expected)) {
      Assertions.fail(message(machine, "expected active " + expected + " but was " + actual));
    }
  }

  /** Asserts that all of {@code states} are active (others may be too). */
  @SafeVarargs
  public static <S> void assertIs(Machine<S> machine, S... states) {
    List<S> missing = Arrays.stream(states).filter(machine::not).toList();
    if (!missing.isEmpty()) {
      Assertions.fail(message(machine, "expected " + missing + " to be active but was "
          + machine.active()));
    }
  }

  /** Asserts that none of {@code states} is active. */
  @SafeVarargs
  public static <S> void assertNot(Machine<S> machine, S... states) {
    List<S> present = Arrays.stream(states).filter(machine::is).toList();
    if (!present.isEmpty()) {
      Assertions.fail(message(machine, "expected " + present + " to be inactive but was "
          + machine.active()));
    }
  }

  /**
   * Waits (in real time, up to 10 s) until the machine is quiescent: nothing queued and no
   * transition running ({@link Machine#whenIdle}). A closed machine is quiescent.
   */
  public static void awaitQuiescent(Machine<?> machine) {
    awaitQuiescent(machine, SETTLE);
  }

  /**
   * Waits, in real time up to {@code timeout}, until the machine is quiescent (see
   * {@link #awaitQuiescent(Machine)}); fails with the machine's state and log if it is not.
   * The wait is on real time, not the machine's (a fake time would never end it).
   */
  public static void awaitQuiescent(Machine<?> machine, Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (machine.isClosed()) return;
    try {
      machine.whenIdle().future().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof MachineClosedException) return;
      Assertions.fail(message(machine, "waiting for quiescence failed: " + e.getCause()), e);
    } catch (TimeoutException e) {
      Assertions.fail(message(machine, "not quiescent within " + timeout + " (real time): "
          + machine.queueSize() + " queued, a transition may be stuck"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      Assertions.fail(message(machine, "interrupted while waiting for quiescence"), e);
    }
  }

  /** A failure message: the machine, the problem, its active states and recent transitions. */
  static String message(Machine<?> machine, String problem) {
    StringBuilder sb = new StringBuilder("machine ").append(machine.id()).append(": ")
        .append(problem).append(" (active names ").append(machine.activeNames()).append(')');
    TransitionLog log = TransitionLog.of(machine);
    if (log == null) {
      sb.append("\n(no transition log: build the machine with .tracer(new TransitionLog()))");
    } else {
      sb.append("\nrecent transitions:");
      for (String line : log.lines()) sb.append("\n  ").append(line);
    }
    return sb.toString();
  }
}
