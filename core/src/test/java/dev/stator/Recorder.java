package dev.stator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Test fixture: registers a lambda on every handler slot of a schema and records the names of
 * the handlers called, in order. Handlers listed in {@link #veto} return false; those in
 * {@link #fail} throw.
 */
final class Recorder<S> {
  final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  final Set<String> veto = new HashSet<>();
  final Set<String> fail = new HashSet<>();

  Machine.Builder<S> builder(Schema<S> schema, boolean pairs) {
    Machine.Builder<S> b = Machine.of(schema);
    b.onAnyEnter(this::gate);
    for (S s : schema.states()) {
      b.onEnter(s, this::gate).onExit(s, this::gate).onState(s, this::act).onEnd(s, this::act);
      b.onPair(s, s, this::gate);
      if (pairs) {
        for (S t : schema.states()) {
          if (t != s) b.onPair(s, t, this::gate);
        }
      }
    }
    b.onAnyState(this::act);
    return b;
  }

  Machine<S> machine(Schema<S> schema) {
    return builder(schema, true).build();
  }

  private boolean gate(Event<S> e) {
    String h = e.handler();
    calls.add(h);
    if (fail.contains(h)) throw new IllegalStateException("boom in " + h);
    return !veto.contains(h);
  }

  private void act(Event<S> e) {
    String h = e.handler();
    calls.add(h);
    if (fail.contains(h)) throw new IllegalStateException("boom in " + h);
  }

  List<String> take() {
    synchronized (calls) {
      List<String> out = List.copyOf(calls);
      calls.clear();
      return out;
    }
  }
}
