package dev.stator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * A slow, literal model of {@code docs/spec.md}: resolution (R1-R6), toggle (R7), multi (R8),
 * no-op (R9), clocks (C1), handler order (H1, P1, P4, P6), the error state's last error (E1) and
 * the auto mutation after a changing transition (Q3, Q4).
 *
 * <p>Written from the spec text with plain sets and lists, on purpose without looking like the
 * engine's bit masks: every step below quotes the rule it implements. States are indexes in
 * schema order. Handlers are modelled as the list of calls a machine with a handler in every slot
 * would make, e.g. {@code "exit B"}, {@code "pair A>B"} (A active before, B entering),
 * {@code "self A"}, {@code "anyEnter add"}.
 *
 * <p>Readings of the spec where its text leaves a choice (see the property test's report):
 * <ul>
 *   <li>R2/R4: a candidate's group in R4 is where it came from: a called state is "called", a
 *       state of {@code A} kept by R1 is "active", a state that only R2 brought in is "pulled"
 *       (so under {@code set} an active state pulled back in by {@code add} is "pulled").
 *   <li>R4 does not order the active states among themselves; it cannot matter, because the
 *       active set never holds two states of which one removes the other (R5).
 *   <li>R5: "in schema order" is read as: among the add targets of the entering survivors
 *       (states R5 pulls in that are not active are entering survivors too), the first in schema
 *       order that does not conflict is pulled next, until none is left. So of two targets that
 *       conflict the first in schema order wins, as R4 keeps the first in schema order of two
 *       pulled states that remove each other.
 *   <li>P1 self handlers run for states called by {@code add}/{@code set} (and auto) that were
 *       already active; a {@code remove} of an active state is an exit, not a self call.
 *   <li>R9 and P2: a self handler that refuses a no-op cancels it ({@code CANCELED}), as it
 *       would cancel a transition; R9 says only that the other handlers do not run.
 *   <li>Q4: the auto mutation names the auto states in schema order; with none, no mutation.
 *   <li>C2: the snapshot's count of processed mutations counts the mutations callers made
 *       (canceled and no-op ones included), not the machine's own auto mutations.
 * </ul>
 */
final class ReferenceModel {

  /** The kind of a mutation as the caller made it (toggle is decided when it runs, R7). */
  enum Kind { ADD, REMOVE, SET, TOGGLE, AUTO }

  /** Deliberately wrong variants, to prove that the properties can fail. */
  enum Variant {
    /** The model as the spec says. */
    SPEC,
    /**
     * R4 visits the called states from the first named to the last (wrong). Only observable
     * through the auto mutation: an add or set whose called states remove one another is
     * canceled whichever of them R4 keeps.
     */
    R4_CALLED_FIRST_TO_LAST,
    /** R4 visits the pulled states from the first in schema order to the last (wrong). */
    R4_PULLED_FIRST_TO_LAST,
    /** P1 runs exit handlers in handler order instead of reverse handler order (wrong). */
    P1_EXITS_IN_HANDLER_ORDER
  }

  /** One state: relations as sets of state indexes. */
  record State(String name, Set<Integer> require, Set<Integer> add, Set<Integer> remove,
      Set<Integer> after, boolean multi, boolean auto) {}

  /**
   * What one mutation did: its result and every handler call, the auto mutation's included.
   *
   * @param r5OrderSensitive whether R5 (in the mutation or its auto mutation) skipped an add
   *     target because of a state R5 itself had just pulled in, so that the order in which R5
   *     pulls targets decided the result
   * @param reentries how many multi states entered again (R8), the auto mutation's included
   * @param autoRan whether an auto mutation ran after it (Q4)
   */
  record Outcome(boolean executed, List<String> calls, boolean r5OrderSensitive, int reentries,
      boolean autoRan) {}

  private final List<State> states;
  private final List<Integer> handlerOrder;
  private final Variant variant;
  private final Set<Integer> active = new TreeSet<>();
  private final long[] ticks;
  private long processed;
  private @Nullable Throwable lastError;
  private Set<String> refusing = Set.of();
  private boolean r5OrderSensitive;
  private int reentries;
  private boolean autoRan;

  ReferenceModel(List<State> states, Variant variant) {
    this.states = List.copyOf(states);
    this.variant = variant;
    this.ticks = new long[states.size()];
    this.handlerOrder = handlerOrder(this.states);
  }

  ReferenceModel(List<State> states) {
    this(states, Variant.SPEC);
  }

  /**
   * Makes the negotiation handlers named by {@code calls} refuse (P2), e.g. {@code "enter B"},
   * {@code "pair A>B"}, {@code "self A"} or {@code "anyEnter"}; the others accept.
   */
  ReferenceModel refusing(Set<String> calls) {
    this.refusing = Set.copyOf(calls);
    return this;
  }

  // ------------------------------------------------------------------ reads

  Set<Integer> active() {
    return Collections.unmodifiableSet(active);
  }

  List<String> activeNames() {
    List<String> out = new ArrayList<>();
    for (int i : active) out.add(states.get(i).name());
    return out;
  }

  long[] ticks() {
    return ticks.clone();
  }

  long processed() {
    return processed;
  }

  @Nullable Throwable lastError() {
    return lastError;
  }

  List<String> handlerOrderNames() {
    List<String> out = new ArrayList<>();
    for (int i : handlerOrder) out.add(states.get(i).name());
    return out;
  }

  // ------------------------------------------------------------------ H1

  /**
   * H1: a topological order of the graph with an edge Y -> X whenever X requires Y or X is after
   * Y; among states whose predecessors are all placed, the first in schema order goes next.
   */
  static List<Integer> handlerOrder(List<State> states) {
    List<Integer> order = new ArrayList<>();
    Set<Integer> placed = new TreeSet<>();
    while (order.size() < states.size()) {
      int next = -1;
      for (int x = 0; x < states.size() && next < 0; x++) {
        State s = states.get(x);
        if (!placed.contains(x) && placed.containsAll(s.require()) && placed.containsAll(s.after())) {
          next = x;
        }
      }
      if (next < 0) throw new IllegalArgumentException("require/after cycle in " + states);
      order.add(next);
      placed.add(next);
    }
    return order;
  }

  // ------------------------------------------------------------------ mutations

  /**
   * Runs one mutation made by a caller (not from a handler), followed by the auto mutation (Q3,
   * Q4) if it changed something.
   *
   * @param called the called states in the caller's order
   * @param error the error of an error mutation (E1), or null
   */
  Outcome run(Kind kind, List<Integer> called, @Nullable Throwable error) {
    if (kind == Kind.AUTO) throw new IllegalArgumentException("auto is the machine's own");
    List<String> calls = new ArrayList<>();
    r5OrderSensitive = false;
    reentries = 0;
    autoRan = false;
    boolean executed = mutate(kind, called, error, calls);
    return new Outcome(executed, List.copyOf(calls), r5OrderSensitive, reentries, autoRan);
  }

  private boolean mutate(Kind asCalled, List<Integer> called, @Nullable Throwable error,
      List<String> calls) {
    if (asCalled != Kind.AUTO) processed++; // C2: mutations processed (the machine's auto is not one)
    Set<Integer> before = new TreeSet<>(active);
    // R7: toggle runs as remove if all its states are active when it runs, as add otherwise.
    Kind kind = asCalled;
    if (kind == Kind.TOGGLE) kind = before.containsAll(called) ? Kind.REMOVE : Kind.ADD;

    Set<Integer> target = resolve(kind, called, before);

    // R6: add/set are canceled if a called state is not in T; remove and auto are accepted.
    boolean accepted = switch (kind) {
      case ADD, SET -> target.containsAll(called);
      case REMOVE, AUTO -> true;
      case TOGGLE -> throw new AssertionError();
    };
    if (!accepted) return false; // resolution never runs handlers

    Set<Integer> exiting = minus(before, target);
    Set<Integer> entering = minus(target, before);
    // R8: a multi state called by add/set while active enters again (auto resolves like add).
    Set<Integer> calledBefore = new TreeSet<>();
    Set<Integer> reentering = new TreeSet<>();
    if (kind != Kind.REMOVE) {
      for (int x : called) {
        if (before.contains(x) && target.contains(x)) {
          calledBefore.add(x);
          if (states.get(x).multi()) reentering.add(x);
        }
      }
    }
    Set<Integer> enterers = new TreeSet<>(entering);
    enterers.addAll(reentering);

    if (exiting.isEmpty() && enterers.isEmpty()) {
      // R9: EXECUTED without a transition; only self handlers of called, already active states.
      for (int x : inHandlerOrder(calledBefore)) {
        if (!negotiate("self " + name(x), calls)) return false; // P2 (see the class comment)
      }
      if (error != null) lastError = error;
      return true;
    }

    // P1, negotiation; P2: a refusing handler cancels, no later handler runs, nothing changes.
    // The anyEnter entry also shows the event's entering and exiting states, in schema order.
    calls.add("anyEnter " + kind.name().toLowerCase(java.util.Locale.ROOT) + " +" + names(enterers)
        + " -" + names(exiting)); // P6
    if (refusing.contains("anyEnter")) return false;
    List<Integer> exitOrder = inHandlerOrder(exiting);
    if (variant != Variant.P1_EXITS_IN_HANDLER_ORDER) Collections.reverse(exitOrder);
    for (int x : exitOrder) {
      if (!negotiate("exit " + name(x), calls)) return false;
    }
    for (int y : inHandlerOrder(enterers)) {
      if (!negotiate("enter " + name(y), calls)) return false;
    }
    for (int y : inHandlerOrder(enterers)) {
      for (int x : inHandlerOrder(before)) {
        if (x != y && !negotiate("pair " + name(x) + ">" + name(y), calls)) return false;
      }
    }
    for (int x : inHandlerOrder(calledBefore)) {
      if (!negotiate("self " + name(x), calls)) return false;
    }
    reentries += reentering.size();

    // P3 and C1: +1 on activation and deactivation, +2 for a multi state entered again.
    for (int x : exiting) ticks[x] += 1;
    for (int x : entering) ticks[x] += 1;
    for (int x : reentering) ticks[x] += 2;
    active.clear();
    active.addAll(target);
    if (error != null) lastError = error; // E1

    // P4, final.
    List<Integer> endOrder = inHandlerOrder(exiting);
    Collections.reverse(endOrder);
    for (int x : endOrder) calls.add("end " + name(x));
    for (int y : inHandlerOrder(enterers)) calls.add("state " + name(y));
    calls.add("anyState");

    // Q3/Q4: one auto mutation after a changing transition, none after an auto transition.
    if (kind != Kind.AUTO) {
      List<Integer> autos = new ArrayList<>();
      for (int s = 0; s < states.size(); s++) {
        if (!states.get(s).auto() || active.contains(s)) continue;
        boolean removed = false;
        for (int r : active) removed |= states.get(r).remove().contains(s);
        if (!removed) autos.add(s);
      }
      // R10: accepted partially. Only the auto states that survive resolution are kept, and the
      // mutation is resolved again with just those, until every one of them survives: an auto
      // state that does not activate has no effect (it removes nothing and pulls in nothing).
      for (;;) {
        Set<Integer> autoTarget = resolve(Kind.AUTO, autos, active);
        List<Integer> survivors = new ArrayList<>();
        for (int x : autos) if (autoTarget.contains(x)) survivors.add(x);
        if (survivors.size() == autos.size()) break;
        autos = survivors;
      }
      if (!autos.isEmpty()) {
        autoRan = true;
        mutate(Kind.AUTO, autos, null, calls);
      }
    }
    return true;
  }

  // ------------------------------------------------------------------ R1-R5

  /** The target set T of a mutation of kind ADD, REMOVE, SET or AUTO (R1-R5). */
  Set<Integer> resolve(Kind kind, List<Integer> called, Set<Integer> a) {
    Set<Integer> calledSet = new LinkedHashSet<>(called);

    // R1: add: A + called; remove: A - called; set: called (auto resolves like add).
    Set<Integer> cand = new TreeSet<>();
    switch (kind) {
      case ADD, AUTO -> {
        cand.addAll(a);
        cand.addAll(calledSet);
      }
      case REMOVE -> {
        cand.addAll(a);
        cand.removeAll(calledSet);
      }
      case SET -> cand.addAll(calledSet);
      case TOGGLE -> throw new IllegalArgumentException("toggle is resolved as add or remove");
    }

    // R2: entering states (candidates not in A, plus called multi states already active) pull
    // in their add targets; newly pulled states that are not active pull in theirs.
    Set<Integer> reentering = new TreeSet<>();
    for (int x : calledSet) {
      if (kind != Kind.REMOVE && a.contains(x) && cand.contains(x) && states.get(x).multi()) {
        reentering.add(x);
      }
    }
    Deque<Integer> work = new ArrayDeque<>(minus(cand, a));
    work.addAll(reentering);
    List<Integer> pulled = new ArrayList<>();
    while (!work.isEmpty()) {
      int x = work.poll();
      for (int t : states.get(x).add()) {
        if (cand.contains(t)) continue;
        cand.add(t);
        pulled.add(t);
        if (!a.contains(t)) work.add(t);
      }
    }

    // R3: drop every candidate whose requirements are not all candidates, repeatedly.
    requirements(cand);

    // R4: visit pulled states from the last in schema order to the first, then active states,
    // then called states from the last named to the first; drop a visited state if any
    // candidate not yet dropped removes it.
    List<Integer> visits = new ArrayList<>();
    List<Integer> pulledDesc = new ArrayList<>(new TreeSet<>(pulled));
    if (variant != Variant.R4_PULLED_FIRST_TO_LAST) Collections.reverse(pulledDesc);
    visits.addAll(pulledDesc);
    for (int x : a) {
      if (!calledSet.contains(x) && !pulled.contains(x)) visits.add(x);
    }
    List<Integer> calledVisits = new ArrayList<>(calledSet);
    if (variant != Variant.R4_CALLED_FIRST_TO_LAST) Collections.reverse(calledVisits);
    visits.addAll(calledVisits);
    for (int v : visits) {
      if (!cand.contains(v)) continue;
      for (int u : cand) {
        if (u != v && states.get(u).remove().contains(v)) {
          cand.remove(v);
          break;
        }
      }
    }

    // R5: pull in the add targets of entering survivors again, in schema order, skipping a
    // target that removes or is removed by a state already in the result; then R3 again.
    Set<Integer> enteringSurvivors = minus(cand, a);
    for (int x : reentering) {
      if (cand.contains(x)) enteringSurvivors.add(x);
    }
    Set<Integer> pulledAgain = new TreeSet<>();
    while (true) {
      Set<Integer> targets = new TreeSet<>();
      for (int e : enteringSurvivors) targets.addAll(states.get(e).add());
      targets.removeAll(cand);
      Integer next = null;
      for (int t : targets) {
        if (!conflicts(t, cand)) {
          next = t;
          break;
        }
      }
      if (next == null) {
        // A target left out only because of a state R5 pulled in: the order decided.
        Set<Integer> earlier = minus(cand, pulledAgain);
        for (int t : targets) {
          r5OrderSensitive |= conflicts(t, pulledAgain) && !conflicts(t, earlier);
        }
        break;
      }
      cand.add(next);
      pulledAgain.add(next);
      if (!a.contains(next)) enteringSurvivors.add(next);
    }
    requirements(cand);
    return cand;
  }

  private void requirements(Set<Integer> cand) {
    boolean dropped = true;
    while (dropped) {
      dropped = false;
      for (int x : List.copyOf(cand)) {
        if (!cand.containsAll(states.get(x).require())) {
          cand.remove(x);
          dropped = true;
        }
      }
    }
  }

  private boolean conflicts(int t, Set<Integer> result) {
    for (int r : result) {
      if (states.get(r).remove().contains(t) || states.get(t).remove().contains(r)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ helpers

  private List<Integer> inHandlerOrder(Set<Integer> set) {
    List<Integer> out = new ArrayList<>();
    for (int x : handlerOrder) {
      if (set.contains(x)) out.add(x);
    }
    return out;
  }

  /** Records a negotiation handler call; whether it accepts. */
  private boolean negotiate(String call, List<String> calls) {
    calls.add(call);
    return !refusing.contains(call);
  }

  private String name(int x) {
    return states.get(x).name();
  }

  private List<String> names(Set<Integer> set) {
    List<String> out = new ArrayList<>();
    for (int x : new TreeSet<>(set)) out.add(name(x));
    return out;
  }

  private static Set<Integer> minus(Set<Integer> a, Set<Integer> b) {
    Set<Integer> out = new TreeSet<>(a);
    out.removeAll(b);
    return out;
  }
}
