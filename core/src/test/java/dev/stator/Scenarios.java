package dev.stator;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;

/**
 * Random schemas and mutation sequences for the property tests, and the glue that runs one
 * mutation on a machine and on the {@link ReferenceModel}.
 *
 * <p>Schemas have 1..16 declared states named {@code S0..S15} plus the built-in
 * {@code Exception}, which is either appended by the engine (S1) or declared at a random position
 * with relations of its own. Relations are generated freely and then repaired so that the schema
 * passes validation (S2): self references and duplicates go, a {@code require}/{@code after}
 * edge that would close a cycle goes, and a {@code remove} between a state and one it requires
 * goes. A state's removes are made mutual with a chance of 40% (as in most real schemas; R4's
 * visiting order is only observable with states that remove each other). All repairs are
 * deterministic, so jqwik can shrink the raw relation lists.
 *
 * <p>Mutations use the public API: {@code add}/{@code remove}/{@code set} of 1..3 distinct states
 * in a random caller's order (the collection forms), their single-state forms, {@code toggle}
 * (single-state only in the API), {@code addError} with and without a state, and
 * {@code removeError}.
 */
final class Scenarios {
  private Scenarios() {}

  static final String EXCEPTION = Schema.EXCEPTION;

  // ================================================================== profiles

  /**
   * How dense the generated schemas and which mutations are likely.
   *
   * @param relations weight of a non-empty relation list (against 10 for an empty one), for
   *     require, add, remove, after
   * @param multiPercent chance that a state is multi
   * @param autoPercent chance that a state is auto
   * @param kinds weight of each {@link OpKind}, in declaration order
   */
  record Profile(int[] relations, int multiPercent, int autoPercent, int[] kinds) {
    static final Profile MIXED = new Profile(new int[] {3, 3, 4, 2}, 20, 10,
        new int[] {5, 3, 3, 2, 3, 2, 4, 1, 1, 1});
    /** Many relations: resolution has lots of conflicts to settle. */
    static final Profile DENSE = new Profile(new int[] {5, 6, 8, 3}, 15, 10,
        new int[] {5, 3, 3, 2, 3, 2, 4, 0, 0, 0});
    /** Many multi states and adds of active states: re-entries (R8) and no-ops (R9). */
    static final Profile MULTI = new Profile(new int[] {2, 3, 3, 2}, 60, 5,
        new int[] {8, 4, 2, 1, 2, 2, 2, 2, 1, 1});
    /** Many auto states (Q4). */
    static final Profile AUTO = new Profile(new int[] {3, 3, 4, 2}, 15, 45,
        new int[] {4, 2, 4, 3, 2, 2, 4, 1, 1, 1});
    /** Toggles first (R7), without error mutations (they jump the queue, E1). */
    static final Profile TOGGLES = new Profile(new int[] {3, 3, 4, 2}, 20, 15,
        new int[] {3, 2, 3, 2, 2, 2, 10, 0, 0, 0});
  }

  // ================================================================== schema specs

  /** One state as generated, relations as indexes in schema order. */
  record StateSpec(String name, List<Integer> require, List<Integer> add, List<Integer> remove,
      List<Integer> after, boolean multi, boolean auto) {}

  /**
   * A schema as generated.
   *
   * @param states every state in schema order, Exception included
   * @param exceptionDeclared whether Exception is declared (else the engine appends it)
   */
  record SchemaSpec(List<StateSpec> states, boolean exceptionDeclared) {
    int size() {
      return states.size();
    }

    int exception() {
      for (int i = 0; i < states.size(); i++) {
        if (states.get(i).name().equals(EXCEPTION)) return i;
      }
      throw new IllegalStateException("no Exception");
    }

    String name(int i) {
      return states.get(i).name();
    }

    List<String> names(List<Integer> idx) {
      return idx.stream().map(this::name).toList();
    }

    /** Builds the engine's schema through the public builder. */
    Schema<String> build() {
      Schema.Builder<String> b = Schema.named("P");
      for (StateSpec s : states) {
        if (s.name().equals(EXCEPTION) && !exceptionDeclared) continue;
        Consumer<Schema.Relations<String>> rel = r -> {
          r.require(names(s.require()).toArray(String[]::new));
          r.add(names(s.add()).toArray(String[]::new));
          r.remove(names(s.remove()).toArray(String[]::new));
          r.after(names(s.after()).toArray(String[]::new));
          if (s.multi()) r.multi();
          if (s.auto()) r.auto();
        };
        b.state(s.name(), rel);
      }
      return b.build();
    }

    /** The same schema for the reference model. */
    List<ReferenceModel.State> modelStates() {
      List<ReferenceModel.State> out = new ArrayList<>();
      for (StateSpec s : states) {
        out.add(new ReferenceModel.State(s.name(), new TreeSet<>(s.require()),
            new TreeSet<>(s.add()), new TreeSet<>(s.remove()), new TreeSet<>(s.after()),
            s.multi() || s.name().equals(EXCEPTION), s.auto()));
      }
      return out;
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder("Schema.named(\"P\")");
      for (StateSpec s : states) {
        if (s.name().equals(EXCEPTION) && !exceptionDeclared) continue;
        sb.append("\n      .state(\"").append(s.name()).append("\", r -> r");
        rel(sb, "require", s.require());
        rel(sb, "add", s.add());
        rel(sb, "remove", s.remove());
        rel(sb, "after", s.after());
        if (s.multi()) sb.append(".multi()");
        if (s.auto()) sb.append(".auto()");
        sb.append(")");
      }
      return sb.append(".build()").toString();
    }

    private void rel(StringBuilder sb, String verb, List<Integer> targets) {
      if (targets.isEmpty()) return;
      sb.append('.').append(verb).append('(');
      for (int k = 0; k < targets.size(); k++) {
        sb.append(k == 0 ? "" : ", ").append('"').append(name(targets.get(k))).append('"');
      }
      sb.append(')');
    }
  }

  /**
   * The raw, unrepaired relations of one state; with {@code mutual}, each state it removes
   * removes it back (as {@code Open} and {@code Closed} do in most real schemas).
   */
  private record Raw(List<Integer> require, List<Integer> add, List<Integer> remove,
      List<Integer> after, boolean multi, boolean auto, boolean mutual) {}

  /** The most declared states (Exception not included). */
  static final int MAX_DECLARED = 16;

  /**
   * Schemas of 1..16 declared states plus Exception, valid by construction. Generated without
   * flatMap (relation targets are taken modulo the number of states) so that jqwik can shrink
   * the state list.
   */
  static Arbitrary<SchemaSpec> schemas(Profile p) {
    int m = MAX_DECLARED + 1;
    Arbitrary<Raw> raw = Combinators.combine(relation(m, p.relations()[0]),
            relation(m, p.relations()[1]), relation(m, p.relations()[2]),
            relation(m, p.relations()[3]), percent(p.multiPercent()), percent(p.autoPercent()),
            percent(40))
        .as(Raw::new);
    Arbitrary<Integer> exceptionAt = Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.just(-1)), // appended by the engine
        Tuple.of(1, uniform(0, MAX_DECLARED)));
    return Combinators.combine(exceptionAt, raw.list().ofMinSize(2).ofMaxSize(m))
        .as((at, raws) -> repair(raws.size() - 1, Math.min(at, raws.size() - 1), raws));
  }

  private static Arbitrary<List<Integer>> relation(int m, int weight) {
    return Arbitraries.frequencyOf(
        Tuple.of(10, Arbitraries.just(List.of())),
        Tuple.of(weight, uniform(0, m - 1).list().ofMinSize(1).ofMaxSize(2)));
  }

  /** Integers without jqwik's default bias towards small values (they still shrink to min). */
  private static Arbitrary<Integer> uniform(int min, int max) {
    return Arbitraries.integers().between(min, max).withDistribution(RandomDistribution.uniform());
  }

  private static Arbitrary<Boolean> percent(int pc) {
    return uniform(0, 99).map(x -> x >= 100 - pc); // shrinks to false
  }

  /** Makes the raw relations valid (S2); deterministic so that shrinking keeps working. */
  private static SchemaSpec repair(int declared, int exceptionAt, List<Raw> raws) {
    int m = declared + 1;
    boolean exceptionDeclared = exceptionAt >= 0;
    int ex = exceptionDeclared ? exceptionAt : declared;
    List<String> names = new ArrayList<>();
    for (int i = 0, k = 0; i < m; i++) names.add(i == ex ? EXCEPTION : "S" + k++);

    List<List<Integer>> require = new ArrayList<>();
    List<List<Integer>> add = new ArrayList<>();
    List<List<Integer>> remove = new ArrayList<>();
    List<List<Integer>> after = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      Raw r = raws.get(i);
      boolean implicit = i == ex && !exceptionDeclared; // the engine's Exception has none
      require.add(implicit ? new ArrayList<>() : clean(i, m, r.require()));
      add.add(implicit ? new ArrayList<>() : clean(i, m, r.add()));
      remove.add(implicit ? new ArrayList<>() : clean(i, m, r.remove()));
      after.add(implicit ? new ArrayList<>() : clean(i, m, r.after()));
    }
    for (int i = 0; i < m; i++) {
      if (!raws.get(i).mutual()) continue;
      for (int j : List.copyOf(remove.get(i))) {
        boolean implicit = j == ex && !exceptionDeclared;
        if (!implicit && !remove.get(j).contains(i)) remove.get(j).add(i);
      }
    }
    // No require/after cycle: keep an edge only if its target does not already depend on i.
    List<List<Integer>> deps = new ArrayList<>();
    for (int i = 0; i < m; i++) deps.add(new ArrayList<>());
    for (int i = 0; i < m; i++) {
      for (List<List<Integer>> rel : List.of(require, after)) {
        List<Integer> kept = new ArrayList<>();
        for (int j : rel.get(i)) {
          if (!dependsOn(deps, j, i)) {
            kept.add(j);
            deps.get(i).add(j);
          }
        }
        rel.set(i, kept);
      }
    }
    // S2: nothing removes Exception, and Exception requires nothing (errors are always taken).
    require.get(ex).clear();
    for (int i = 0; i < m; i++) remove.get(i).remove(Integer.valueOf(ex));
    // No state requires another while either of the two removes the other.
    for (int i = 0; i < m; i++) {
      for (int j : require.get(i)) {
        remove.get(i).remove(Integer.valueOf(j));
        remove.get(j).remove(Integer.valueOf(i));
      }
    }
    List<StateSpec> states = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      Raw r = raws.get(i);
      boolean isEx = i == ex;
      states.add(new StateSpec(names.get(i), List.copyOf(require.get(i)), List.copyOf(add.get(i)),
          List.copyOf(remove.get(i)), List.copyOf(after.get(i)), r.multi() || isEx,
          r.auto() && (!isEx || exceptionDeclared)));
    }
    return new SchemaSpec(List.copyOf(states), exceptionDeclared);
  }

  private static List<Integer> clean(int self, int m, List<Integer> targets) {
    Set<Integer> out = new LinkedHashSet<>();
    for (int j : targets) out.add(j % m);
    out.remove(self);
    return new ArrayList<>(out);
  }

  /** Whether {@code from} reaches {@code to} over the kept require/after edges. */
  private static boolean dependsOn(List<List<Integer>> deps, int from, int to) {
    if (from == to) return true;
    Set<Integer> seen = new TreeSet<>();
    List<Integer> stack = new ArrayList<>(List.of(from));
    while (!stack.isEmpty()) {
      int x = stack.remove(stack.size() - 1);
      if (x == to) return true;
      if (seen.add(x)) stack.addAll(deps.get(x));
    }
    return false;
  }

  // ================================================================== mutations

  /** The public API call a generated mutation makes. */
  enum OpKind {
    /** {@code add(Collection, Args)}. */ ADD,
    /** {@code remove(Collection, Args)}. */ REMOVE,
    /** {@code set(Collection, Args)}. */ SET,
    /** {@code add(S)}. */ ADD_ONE,
    /** {@code remove(S)}. */ REMOVE_ONE,
    /** {@code set(S)}. */ SET_ONE,
    /** {@code toggle(S)}. */ TOGGLE,
    /** {@code addError(Throwable)}. */ ADD_ERROR,
    /** {@code addError(S, Throwable)}. */ ADD_ERROR_WITH,
    /** {@code removeError()}. */ REMOVE_ERROR
  }

  /** One mutation: the API call and the states it names, in the caller's order. */
  record Op(OpKind kind, List<Integer> states) {
    /**
     * This mutation for a schema of {@code s.size()} states: indexes taken modulo the size,
     * duplicates dropped, one state for the single-state calls.
     */
    Op fit(SchemaSpec s) {
      Set<Integer> fitted = new LinkedHashSet<>();
      for (int i : states) fitted.add(i % s.size());
      List<Integer> list = List.copyOf(fitted);
      return switch (kind) {
        case ADD, REMOVE, SET -> new Op(kind, list);
        case ADD_ERROR, REMOVE_ERROR -> new Op(kind, List.of(s.exception()));
        default -> new Op(kind, List.of(list.get(0)));
      };
    }

    /** The kind the reference model runs. */
    ReferenceModel.Kind modelKind() {
      return switch (kind) {
        case ADD, ADD_ONE, ADD_ERROR, ADD_ERROR_WITH -> ReferenceModel.Kind.ADD;
        case REMOVE, REMOVE_ONE, REMOVE_ERROR -> ReferenceModel.Kind.REMOVE;
        case SET, SET_ONE -> ReferenceModel.Kind.SET;
        case TOGGLE -> ReferenceModel.Kind.TOGGLE;
      };
    }

    boolean isError() {
      return kind == OpKind.ADD_ERROR || kind == OpKind.ADD_ERROR_WITH;
    }

    /** Runs this mutation on a machine; {@code error} is used by the error mutations. */
    Result applyTo(Machine<String> m, SchemaSpec s, Throwable error) {
      List<String> names = s.names(states);
      String first = names.get(0);
      return switch (kind) {
        case ADD -> m.add(names, Args.NONE);
        case REMOVE -> m.remove(names, Args.NONE);
        case SET -> m.set(names, Args.NONE);
        case ADD_ONE -> m.add(first);
        case REMOVE_ONE -> m.remove(first);
        case SET_ONE -> m.set(first);
        case TOGGLE -> m.toggle(first);
        case ADD_ERROR -> m.addError(error);
        case ADD_ERROR_WITH -> m.addError(first, error);
        case REMOVE_ERROR -> m.removeError();
      };
    }

    /** The call as Java source, e.g. {@code add(List.of("S1", "S0"))}. */
    String describe(SchemaSpec s) {
      List<String> quoted = s.names(states).stream().map(n -> '"' + n + '"').toList();
      String list = "List.of(" + String.join(", ", quoted) + "), Args.NONE";
      String one = quoted.get(0);
      return switch (kind) {
        case ADD -> "add(" + list + ")";
        case REMOVE -> "remove(" + list + ")";
        case SET -> "set(" + list + ")";
        case ADD_ONE -> "add(" + one + ")";
        case REMOVE_ONE -> "remove(" + one + ")";
        case SET_ONE -> "set(" + one + ")";
        case TOGGLE -> "toggle(" + one + ")";
        case ADD_ERROR -> "addError(error)";
        case ADD_ERROR_WITH -> "addError(" + one + ", error)";
        case REMOVE_ERROR -> "removeError()";
      };
    }
  }

  /** A schema and a sequence of mutations on a fresh machine of it. */
  record Scenario(SchemaSpec schema, List<Op> ops) {
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder("\n  schema: ").append(schema).append("\n  ops:");
      for (int k = 0; k < ops.size(); k++) {
        sb.append("\n    ").append(k).append(": ").append(ops.get(k).describe(schema));
      }
      return sb.append('\n').toString();
    }
  }

  /** Random schemas with 1..30 random mutations each. */
  static Arbitrary<Scenario> scenarios(Profile p) {
    return Combinators.combine(schemas(p), ops(p).list().ofMinSize(1).ofMaxSize(30))
        .as((schema, ops) -> new Scenario(schema, ops.stream().map(o -> o.fit(schema)).toList()));
  }

  private static Arbitrary<Op> ops(Profile p) {
    List<Tuple.Tuple2<Integer, Arbitrary<? extends OpKind>>> kinds = new ArrayList<>();
    OpKind[] all = OpKind.values();
    for (int k = 0; k < all.length; k++) {
      if (p.kinds()[k] > 0) kinds.add(Tuple.of(p.kinds()[k], Arbitraries.just(all[k])));
    }
    @SuppressWarnings({"unchecked", "rawtypes"})
    Arbitrary<OpKind> kind = Arbitraries.frequencyOf(kinds.toArray(new Tuple.Tuple2[0]));
    Arbitrary<List<Integer>> states = uniform(0, MAX_DECLARED).list().uniqueElements()
        .ofMinSize(1).ofMaxSize(3);
    return Combinators.combine(kind, states).as(Op::new);
  }

  /** The states the reference model sees as called by {@code op}, in the caller's order. */
  static List<Integer> called(Op op, SchemaSpec s) {
    int ex = s.exception();
    return switch (op.kind()) {
      case ADD_ERROR, REMOVE_ERROR -> List.of(ex);
      case ADD_ERROR_WITH -> op.states().get(0) == ex ? List.of(ex, ex) : List.of(op.states().get(0), ex);
      default -> op.states();
    };
  }
}
