package dev.stator;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Turns handler objects and lambdas into tables of direct calls, indexed by phase and state.
 *
 * <p>A handler object is scanned once per (schema, class): each method taking one
 * {@link Event}, or none, is matched against the names the schema allows and adapted to an
 * {@link Invoker} (a generated class, or a {@link MethodHandle}). No reflection happens per call.
 */
final class Binder {
  /* Design: what looks like a handler (spec P8). A method taking one Event is a handler by
   * shape, so a name the schema does not allow is an error. A method taking nothing is a handler
   * when its name is an allowed handler name (the event is then dropped); any other no-argument
   * method is the object's own business, unless it returns void or boolean and its name is a
   * near miss of an allowed name (edit distance, see typoLimit): that is a misspelled handler
   * that would otherwise be silently ignored, so it fails the bind with a suggestion. */
  static final int ENTER = 0;
  static final int EXIT = 1;
  static final int STATE = 2;
  static final int END = 3;
  static final int SELF = 4;
  static final int PAIR = 5;
  static final int ANY_ENTER = 6;
  static final int ANY_STATE = 7;
  private static final String[] SUFFIX = {"Enter", "Exit", "State", "End"};

  private Binder() {}

  /** A compiled handler: returns whether it accepts (final handlers always return true). */
  @FunctionalInterface
  interface Invoker {
    boolean call(@Nullable Object target, Event<?> event) throws Throwable;
  }

  /**
   * The handlers of one bound object (or one group of lambdas): per phase, an invoker and a name
   * for each state, and a mask of the states that have one.
   */
  static class Source {
    final @Nullable Object target;
    final Plan plan;

    Source(@Nullable Object target, Plan plan) {
      this.target = target;
      this.plan = plan;
    }
  }

  /** The handlers of one class (or one group of lambdas) for one schema. */
  static final class Plan {
    final int n;
    final @Nullable Invoker[][] byPhase = new Invoker[5][]; // ENTER..SELF, by state
    final @Nullable String[][] names = new String[5][];
    final long[] masks = new long[5];
    @Nullable Invoker[][] pairs; // [to][from]
    @Nullable String[][] pairNames;
    long pairTo;
    @Nullable Invoker anyEnter;
    @Nullable Invoker anyState;

    Plan(int n) {
      this.n = n;
      for (int p = 0; p < 5; p++) {
        byPhase[p] = new Invoker[n];
        names[p] = new String[n];
      }
    }

    /** Sets a slot; returns false if it is taken. */
    boolean put(int phase, int state, int from, Invoker inv, String name) {
      switch (phase) {
        case ANY_ENTER -> {
          if (anyEnter != null) return false;
          anyEnter = inv;
        }
        case ANY_STATE -> {
          if (anyState != null) return false;
          anyState = inv;
        }
        case PAIR -> {
          if (pairs == null) {
            pairs = new Invoker[n][];
            pairNames = new String[n][];
          }
          if (pairs[state] == null) {
            pairs[state] = new Invoker[n];
            pairNames[state] = new String[n];
          }
          if (pairs[state][from] != null) return false;
          pairs[state][from] = inv;
          pairNames[state][from] = name;
          pairTo |= 1L << state;
        }
        case ENTER, EXIT, STATE, END, SELF -> {
          if (byPhase[phase][state] != null) return false;
          byPhase[phase][state] = inv;
          names[phase][state] = name;
          masks[phase] |= 1L << state;
        }
        default -> throw new IllegalArgumentException("phase " + phase);
      }
      return true;
    }
  }

  /** Lambdas registered on a builder, grouped until a slot repeats. */
  static final class Lambdas extends Source {
    private final Schema<?> schema;

    Lambdas(Schema<?> schema) {
      super(null, new Plan(schema.size));
      this.schema = schema;
    }

    boolean gate(int phase, int state, int from, Predicate<?> p) {
      @SuppressWarnings("unchecked")
      Predicate<Object> pred = (Predicate<Object>) p;
      java.util.Objects.requireNonNull(p, "handler");
      return plan.put(phase, state, from, (t, e) -> pred.test(e), name(schema, phase, state, from));
    }

    boolean action(int phase, int state, Consumer<?> c) {
      @SuppressWarnings("unchecked")
      Consumer<Object> cons = (Consumer<Object>) c;
      java.util.Objects.requireNonNull(c, "handler");
      return plan.put(phase, state, -1, (t, e) -> {
        cons.accept(e);
        return true;
      }, name(schema, phase, state, -1));
    }
  }

  // ------------------------------------------------------------ names

  /** The handler-name prefix of a state: {@code Connected -> connected, NOT_READY -> notReady}. */
  static String prefix(String state) {
    if (state.equals(state.toUpperCase(java.util.Locale.ROOT)) && !state.equals(
        state.toLowerCase(java.util.Locale.ROOT))) {
      StringBuilder sb = new StringBuilder();
      for (String part : state.toLowerCase(java.util.Locale.ROOT).split("_")) {
        if (part.isEmpty()) continue;
        sb.append(sb.isEmpty() ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
      }
      return sb.toString();
    }
    return Character.toLowerCase(state.charAt(0)) + state.substring(1);
  }

  static String name(Schema<?> schema, int phase, int state, int from) {
    return switch (phase) {
      case ANY_ENTER -> "anyEnter";
      case ANY_STATE -> "anyState";
      case PAIR -> prefix(schema.names[from]) + cap(prefix(schema.names[state]));
      case SELF -> prefix(schema.names[state]) + cap(prefix(schema.names[state]));
      default -> prefix(schema.names[state]) + SUFFIX[phase];
    };
  }

  private static String cap(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  /**
   * Every handler name a schema allows, with its meaning {phase, state, from}, in schema order
   * (so suggestions are deterministic); clashes marked with a negative phase.
   */
  private static Map<String, int[]> names(Schema<?> schema) {
    Map<String, int[]> out = new LinkedHashMap<>();
    Set<String> clash = new HashSet<>();
    int n = schema.size;
    put(out, clash, "anyEnter", new int[] {ANY_ENTER, -1, -1});
    put(out, clash, "anyState", new int[] {ANY_STATE, -1, -1});
    for (int i = 0; i < n; i++) {
      for (int p = ENTER; p <= END; p++) put(out, clash, name(schema, p, i, -1), new int[] {p, i, -1});
      put(out, clash, name(schema, SELF, i, -1), new int[] {SELF, i, -1});
      for (int f = 0; f < n; f++) {
        if (f != i) put(out, clash, name(schema, PAIR, i, f), new int[] {PAIR, i, f});
      }
    }
    for (String c : clash) out.put(c, new int[] {-1, -1, -1});
    return out;
  }

  private static void put(Map<String, int[]> out, Set<String> clash, String name, int[] meaning) {
    if (out.putIfAbsent(name, meaning) != null) clash.add(name);
  }

  // ------------------------------------------------------------ binding objects

  private static final ConcurrentHashMap<Schema<?>, Map<String, int[]>> NAMES =
      new ConcurrentHashMap<>();
  private static final ClassValue<ConcurrentHashMap<Schema<?>, Plan>> PLANS = new ClassValue<>() {
    @Override
    protected ConcurrentHashMap<Schema<?>, Plan> computeValue(Class<?> type) {
      return new ConcurrentHashMap<>();
    }
  };

  static Source bind(Schema<?> schema, Object target, MethodHandles.Lookup lookup) {
    Class<?> type = target.getClass();
    Plan plan = PLANS.get(type).get(schema);
    if (plan == null) {
      plan = plan(schema, type, lookup);
      PLANS.get(type).putIfAbsent(schema, plan);
    }
    return new Source(target, plan);
  }

  private static Plan plan(Schema<?> schema, Class<?> type, MethodHandles.Lookup lookup) {
    Map<String, int[]> names = NAMES.computeIfAbsent(schema, Binder::names);
    Plan plan = new Plan(schema.size);
    Set<String> seen = new HashSet<>();
    Map<String, String> bound = new HashMap<>(); // handler name -> the method bound to it
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Method m : c.getDeclaredMethods()) {
        if (Modifier.isStatic(m.getModifiers()) || m.isSynthetic() || m.isBridge()) continue;
        boolean withEvent = m.getParameterCount() == 1 && m.getParameterTypes()[0] == Event.class;
        if (!withEvent && m.getParameterCount() != 0) continue;
        if (!seen.add(m.getName() + (withEvent ? "(Event)" : "()"))) continue; // overridden
        String where = c.getName() + "." + m.getName() + (withEvent ? "(Event)" : "()");
        int[] meaning = names.get(m.getName());
        if (meaning == null) {
          Class<?> r = m.getReturnType();
          String near = suggestion(m.getName(), names, withEvent);
          if (!withEvent && (near == null || !(r == void.class || r == boolean.class))) {
            continue; // not a handler: the object's own method
          }
          throw new IllegalArgumentException("handler method " + where
              + " names no state of schema " + schema.name
              + (near != null ? "; did you mean " + near + "?" : "")
              + "; states: " + schema.names()
              + "; handler names look like connectedEnter, connectedExit, connectedState, "
              + "connectedEnd, readyWorking, anyEnter, anyState");
        }
        if (meaning[0] < 0) {
          throw new IllegalArgumentException("handler method " + where
              + " is ambiguous in schema " + schema.name
              + ": its name fits more than one handler; rename a state or register a lambda");
        }
        int phase = meaning[0];
        boolean negotiation = phase == ENTER || phase == EXIT || phase == SELF || phase == PAIR
            || phase == ANY_ENTER;
        Class<?> ret = m.getReturnType();
        if (!(ret == void.class || (negotiation && ret == boolean.class))) {
          throw new IllegalArgumentException("handler method " + where + " returns "
              + ret.getName() + "; " + (negotiation ? "a negotiation handler returns boolean or "
              + "void" : "a final handler returns void"));
        }
        String other = bound.putIfAbsent(m.getName(), where);
        if (other != null) {
          throw new IllegalArgumentException("handler methods " + other + " and " + where
              + " are the same handler of schema " + schema.name + "; keep one");
        }
        plan.put(phase, meaning[1], meaning[2], invoker(type, m, lookup, where),
            m.getName());
      }
    }
    return plan;
  }

  /**
   * The allowed handler name nearest to {@code name} within the typo limit, or null. Ties go to
   * the first in schema order.
   */
  static @Nullable String suggestion(String name, Map<String, int[]> names, boolean withEvent) {
    int limit = typoLimit(name, withEvent);
    String best = null;
    int bestDistance = limit + 1;
    for (Map.Entry<String, int[]> e : names.entrySet()) {
      if (e.getValue()[0] < 0) continue; // ambiguous: never suggested
      int d = distance(name, e.getKey(), bestDistance);
      if (d < bestDistance) {
        best = e.getKey();
        bestDistance = d;
      }
    }
    return best;
  }

  /**
   * How many edits make a misspelling. A method taking an {@code Event} is meant as a handler,
   * so a looser limit only decides whether to suggest; a method taking nothing counts as a
   * misspelled handler only within a tight limit, so that short helper names ({@code run},
   * {@code go}) are never taken for handlers.
   */
  private static int typoLimit(String name, boolean withEvent) {
    int n = name.length();
    if (withEvent) return Math.max(2, n / 4);
    return n >= 8 ? 2 : n >= 5 ? 1 : 0;
  }

  /**
   * Optimal string alignment distance (Levenshtein with adjacent transpositions), stopping
   * early at {@code cap}: the result is exact below {@code cap} and at least {@code cap}
   * otherwise.
   */
  static int distance(String a, String b, int cap) {
    int n = a.length();
    int m = b.length();
    if (Math.abs(n - m) >= cap) return cap;
    int[] prev2 = new int[m + 1];
    int[] prev = new int[m + 1];
    int[] cur = new int[m + 1];
    for (int j = 0; j <= m; j++) prev[j] = j;
    for (int i = 1; i <= n; i++) {
      cur[0] = i;
      int rowMin = cur[0];
      for (int j = 1; j <= m; j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        int v = Math.min(Math.min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          v = Math.min(v, prev2[j - 2] + 1);
        }
        cur[j] = v;
        rowMin = Math.min(rowMin, v);
      }
      if (rowMin >= cap) return cap;
      int[] t = prev2;
      prev2 = prev;
      prev = cur;
      cur = t;
    }
    return Math.min(prev[m], cap);
  }

  private static Invoker invoker(Class<?> type, Method m, MethodHandles.Lookup lookup,
      String where) {
    Invoker direct = generated(m);
    if (direct != null) return direct;
    MethodHandle mh;
    try {
      mh = MethodHandles.privateLookupIn(m.getDeclaringClass(), lookup).unreflect(m);
    } catch (IllegalAccessException e) {
      throw new IllegalArgumentException("cannot access handler method " + where + ": open its "
          + "package to dev.stator.core, or bind with Builder.handlers(target, lookup)", e);
    }
    if (m.getParameterCount() == 0) mh = MethodHandles.dropArguments(mh, 1, Event.class);
    MethodType exact = MethodType.methodType(boolean.class, Object.class, Event.class);
    if (m.getReturnType() == void.class) {
      MethodHandle yes = MethodHandles.dropArguments(
          MethodHandles.constant(boolean.class, true), 0, Object.class, Event.class);
      mh = MethodHandles.foldArguments(yes, mh.asType(
          MethodType.methodType(void.class, Object.class, Event.class)));
    }
    MethodHandle call = mh.asType(exact);
    return new MethodInvoker(call);
  }

  /** A handler whose return value is ignored (void methods), generated like {@link Invoker}. */
  @FunctionalInterface
  interface VoidInvoker {
    void call(@Nullable Object target, Event<?> event) throws Throwable;
  }

  /** A negotiation handler method that takes no event, generated like {@link Invoker}. */
  @FunctionalInterface
  interface EventlessGate {
    boolean call(@Nullable Object target) throws Throwable;
  }

  /** A void handler method that takes no event, generated like {@link Invoker}. */
  @FunctionalInterface
  interface EventlessAction {
    void call(@Nullable Object target) throws Throwable;
  }

  /**
   * A class generated for one public method of a public class (LambdaMetafactory, from this
   * package, so it implements the package's own interfaces): a direct call the JIT can inline,
   * unlike a method handle kept in a field. Null where the method is not accessible from here;
   * the caller then falls back to a method handle.
   */
  private static @Nullable Invoker generated(Method m) {
    Class<?> owner = m.getDeclaringClass();
    if (!Modifier.isPublic(m.getModifiers()) || !Modifier.isPublic(owner.getModifiers())
        || (owner.getEnclosingClass() != null && !Modifier.isStatic(owner.getModifiers()))) {
      return null;
    }
    try {
      MethodHandles.Lookup here = MethodHandles.lookup();
      MethodHandle impl = here.unreflect(m);
      boolean gate = m.getReturnType() == boolean.class;
      boolean eventless = m.getParameterCount() == 0;
      Class<?> sam = eventless ? (gate ? EventlessGate.class : EventlessAction.class)
          : (gate ? Invoker.class : VoidInvoker.class);
      Class<?> ret = gate ? boolean.class : void.class;
      MethodType erased = eventless ? MethodType.methodType(ret, Object.class)
          : MethodType.methodType(ret, Object.class, Event.class);
      MethodType exact = eventless ? MethodType.methodType(ret, owner)
          : MethodType.methodType(ret, owner, Event.class);
      java.lang.invoke.CallSite site = java.lang.invoke.LambdaMetafactory.metafactory(here, "call",
          MethodType.methodType(sam), erased, impl, exact);
      Object fn = site.getTarget().invoke();
      return switch (fn) {
        case EventlessGate g -> new EventlessGateCall(g);
        case EventlessAction a -> new EventlessActionCall(a);
        case VoidInvoker v -> new VoidCall(v);
        default -> (Invoker) fn;
      };
    } catch (Throwable e) { // not accessible from this module, or anything else: fall back
      return null;
    }
  }

  /** Adapts a generated void handler. */
  private record VoidCall(VoidInvoker handler) implements Invoker {
    @Override
    public boolean call(@Nullable Object target, Event<?> event) throws Throwable {
      handler.call(target, event);
      return true;
    }
  }

  /** Adapts a generated negotiation handler that takes no event. */
  private record EventlessGateCall(EventlessGate handler) implements Invoker {
    @Override
    public boolean call(@Nullable Object target, Event<?> event) throws Throwable {
      return handler.call(target);
    }
  }

  /** Adapts a generated void handler that takes no event. */
  private record EventlessActionCall(EventlessAction handler) implements Invoker {
    @Override
    public boolean call(@Nullable Object target, Event<?> event) throws Throwable {
      handler.call(target);
      return true;
    }
  }

  /** Calls one handler method through an exact method handle. */
  private record MethodInvoker(MethodHandle handle) implements Invoker {
    @Override
    public boolean call(@Nullable Object target, Event<?> event) throws Throwable {
      return (boolean) handle.invokeExact(target, event);
    }
  }

  static List<Source> none() {
    return List.of();
  }
}
