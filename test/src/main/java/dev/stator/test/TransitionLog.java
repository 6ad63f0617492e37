package dev.stator.test;

import dev.stator.Event;
import dev.stator.Machine;
import dev.stator.MutationKind;
import dev.stator.Tracer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A tracer that keeps the most recent transitions of the machines it is added to, one line each
 * ({@code #3 add[B] +B}, {@code #4 add[C] CANCELED: C requires A}), for failure messages:
 * {@link StatorAssertions} finds the log of a machine built with one and prints it when an
 * assertion fails.
 *
 * {@snippet :
 * Machine<Conn> m = Machine.of(schema).tracer(new TransitionLog()).build();
 * }
 *
 * <p>Thread safety: the tracer calls come from the machine's draining thread; {@link #lines}
 * may be read from any thread (the lines are kept under the log's lock).
 */
public final class TransitionLog extends Tracer {
  private static final Map<Machine<?>, TransitionLog> LOGS =
      Collections.synchronizedMap(new WeakHashMap<>()); // machines held weakly

  private final int capacity;
  private final ArrayDeque<String> lines = new ArrayDeque<>(); // guarded by this

  /** A log of the last 50 transitions. */
  public TransitionLog() {
    this(50);
  }

  /**
   * A log of the last {@code capacity} transitions.
   *
   * @param capacity how many lines to keep; positive
   */
  public TransitionLog(int capacity) {
    if (capacity <= 0) throw new IllegalArgumentException("capacity must be positive: " + capacity);
    this.capacity = capacity;
  }

  /** The log of the transitions of {@code machine}, if it was built with one; else null. */
  static @org.jspecify.annotations.Nullable TransitionLog of(Machine<?> machine) {
    return LOGS.get(machine);
  }

  @Override
  public void machineStarted(Machine<?> machine) {
    LOGS.put(machine, this);
  }

  @Override
  public void machineRestored(Machine<?> machine, dev.stator.Snapshot snapshot) {
    LOGS.put(machine, this);
    add("restored " + machine.activeNames());
  }

  @Override
  public void transitionEnd(Event<?> e, boolean executed) {
    StringBuilder sb = new StringBuilder().append('#').append(e.transitionId()).append(' ')
        .append(e.kind().name().toLowerCase(java.util.Locale.ROOT));
    if (e.kind() != MutationKind.CLOSE) sb.append(e.calledNames());
    if (!executed) {
      sb.append(" CANCELED");
      if (!e.refusal().isEmpty()) sb.append(": ").append(e.refusal());
    } else {
      for (String s : e.enteringNames()) sb.append(" +").append(s);
      for (String s : e.exitingNames()) sb.append(" -").append(s);
      if (e.enteringNames().isEmpty() && e.exitingNames().isEmpty()) sb.append(" (no change)");
    }
    add(sb.toString());
  }

  @Override
  public void machineClosed(Machine<?> machine) {
    add("closed");
  }

  private synchronized void add(String line) {
    if (lines.size() == capacity) lines.removeFirst();
    lines.addLast(line);
  }

  /** The kept lines, oldest first. */
  public synchronized List<String> lines() {
    return new ArrayList<>(lines);
  }

  @Override
  public String toString() {
    return String.join("\n", lines());
  }
}
