package dev.stator.examples.server;

import dev.stator.Event;
import dev.stator.Machine;
import dev.stator.StateScope;
import dev.stator.Tracer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Collects, per state, what went wrong in the transitions that started and stopped it: a final
 * handler ({@code xState}) that threw, a scope whose close failed. The caller that made the
 * mutation takes them after its {@code Result} completed and throws them.
 *
 * <p>LIBRARY GAP: a mutation's {@code Result} is {@code EXECUTED} even when a final handler of
 * its transition threw (the state stays active with part of its resources) or a scope it ended
 * failed to close. Those failures only become later error mutations ({@code Exception},
 * {@code lastError()} keeping one at a time), so a caller that must know whether "start stage
 * k" or "stop stage k" worked has to collect them through a tracer, as here.
 *
 * <p>Thread safety: the machine calls it on its draining thread; {@link #take} may be called from
 * any thread after the {@code Result} of the mutation completed (which happens-after the
 * transition and its scope closes).
 */
final class StageFailures extends Tracer {
  // LIBRARY GAP: Result does not carry the failures of final handlers and scope closes of its
  // transition; this tracer collects them per state so that start/stop of a stage can throw them.
  private final Map<String, String> stateOfHandler;
  private final ConcurrentHashMap<String, Throwable> failures = new ConcurrentHashMap<>();

  /** Watches the {@code xState} handlers and the scopes of {@code states}. */
  StageFailures(Iterable<? extends Enum<?>> states) {
    Map<String, String> m = new ConcurrentHashMap<>();
    for (Enum<?> s : states) {
      String n = s.name();
      m.put(Character.toLowerCase(n.charAt(0)) + n.substring(1) + "State", n);
    }
    this.stateOfHandler = Map.copyOf(m);
  }

  @Override
  public void handlerEnd(Event<?> event, String handler, boolean accepted, Throwable failure) {
    if (failure == null) return;
    String state = stateOfHandler.get(handler);
    if (state != null) record(state, failure);
  }

  @Override
  public void scopeClosed(Machine<?> machine, StateScope<?> scope, Throwable failure) {
    if (failure != null) record(scope.state(), failure);
  }

  private void record(String state, Throwable failure) {
    failures.merge(state, failure, (first, next) -> {
      if (first != next) first.addSuppressed(next);
      return first;
    });
  }

  /** Removes and returns what went wrong for {@code state} since the last call, or null. */
  Throwable take(String state) {
    return failures.remove(Objects.requireNonNull(state, "state"));
  }
}
