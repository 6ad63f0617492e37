package dev.stator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * An immutable list of states and their relations, shared by every machine of one kind.
 *
 * <p>A schema is built once, validated at {@link Builder#build()}, and then shared: machines hold
 * only their own active set and clocks. States are identified by a Java enum (typed and
 * refactorable, {@link #of(Class)}) or by names ({@link #named(String)}, {@link #fromData}).
 *
 * <p>Relations of a state {@code X}:
 * <ul>
 *   <li>{@code require(Y)}: {@code X} can be active only while {@code Y} is active;
 *   <li>{@code add(Y)}: activating {@code X} also tries to activate {@code Y};
 *   <li>{@code remove(Y)}: {@code X} and {@code Y} are never active together, and activating
 *       {@code X} deactivates {@code Y};
 *   <li>{@code after(Y)}: {@code X}'s handlers run after {@code Y}'s (ordering only).
 * </ul>
 * Flags: {@code multi} (activating an active state enters it again) and {@code auto} (activated
 * whenever it can be, after each transition). Tags are free-form labels.
 *
 * <p>Every schema has the built-in {@code multi} state {@value #EXCEPTION}, used for errors. An
 * enum may declare a constant named {@code Exception}; otherwise the state is appended after the
 * declared ones. At most {@value #MAX_STATES} states are supported, {@code Exception} included.
 *
 * <p>Validation, at {@link Builder#build()}, rejects, naming the states involved: a reference to
 * an unknown state, a state that refers to itself, a duplicate state, a state that requires
 * another while either of the two removes the other, a cycle of {@code require} and
 * {@code after} relations, more than {@value #MAX_STATES} states, and a relation that would
 * refuse errors. One {@link SchemaException} lists every problem found (spec S2).
 *
 * <p>Thread safety: a schema is immutable and safe to share between threads.
 *
 * @param <S> the type that names a state: an enum, or {@link String} for named schemas
 */
public final class Schema<S> {
  /* Design: every state has an index in schema order (an enum's ordinal, or declaration order
   * for names). Relations are stored as 64-bit masks indexed by state, so the resolver works
   * with a handful of long operations and no allocation. The handler order (a topological order
   * of require and after, ties broken by index) is computed here once. */

  /** The name of the built-in error state. */
  public static final String EXCEPTION = "Exception";

  /** The largest number of states a schema can hold, {@code Exception} included. */
  public static final int MAX_STATES = 64;

  final String name;
  final String[] names;
  final @Nullable Object[] values; // the S of each index; null for an implicit Exception
  final int size;
  final int exception;
  final long[] require;
  final long[] add;
  final long[] remove;
  final long[] removedBy; // removedBy[i]: the states whose remove relation names i
  final long[] after;
  final long multi;
  final long auto;
  final List<Set<String>> tags;
  final int[] handlerOrder; // state indexes, in handler order
  final int[] rank; // rank[state] = position in handlerOrder
  final @Nullable Class<?> enumClass;
  private final Map<String, Integer> byName;
  private final List<S> states;
  private final String hash;

  private Schema(
      String name, List<StateData> data, @Nullable Class<?> enumClass, List<@Nullable S> objs) {
    this.name = name;
    this.enumClass = enumClass;
    this.size = data.size();
    this.names = new String[size];
    this.values = objs.toArray();
    this.byName = new LinkedHashMap<>();
    for (int i = 0; i < size; i++) {
      names[i] = data.get(i).name();
      byName.put(names[i], i);
    }
    this.exception = byName.get(EXCEPTION);
    this.require = new long[size];
    this.add = new long[size];
    this.remove = new long[size];
    this.removedBy = new long[size];
    this.after = new long[size];
    long multi = 0;
    long auto = 0;
    List<Set<String>> tags = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      StateData d = data.get(i);
      require[i] = mask(d.require());
      add[i] = mask(d.add());
      remove[i] = mask(d.remove());
      after[i] = mask(d.after());
      if (d.multi()) multi |= 1L << i;
      if (d.auto()) auto |= 1L << i;
      tags.add(Collections.unmodifiableSet(new LinkedHashSet<>(d.tags())));
    }
    for (int i = 0; i < size; i++) {
      for (long m = remove[i]; m != 0; m &= m - 1) {
        removedBy[Long.numberOfTrailingZeros(m)] |= 1L << i;
      }
    }
    this.multi = multi;
    this.auto = auto;
    this.tags = List.copyOf(tags);
    this.handlerOrder = computeHandlerOrder();
    this.rank = new int[size];
    for (int k = 0; k < size; k++) rank[handlerOrder[k]] = k;
    List<S> list = new ArrayList<>();
    for (Object o : values) {
      if (o != null) {
        @SuppressWarnings("unchecked")
        S s = (S) o;
        list.add(s);
      }
    }
    this.states = List.copyOf(list);
    this.hash = computeHash();
  }

  // ---------------------------------------------------------------- factories

  /**
   * Starts a schema whose states are the constants of {@code type}, in declaration order.
   *
   * @param type the enum that names the states
   * @return a builder; states without relations need not be mentioned
   */
  public static <E extends Enum<E>> Builder<E> of(Class<E> type) {
    Objects.requireNonNull(type, "type");
    E[] constants = type.getEnumConstants();
    List<String> names = new ArrayList<>();
    for (E e : constants) names.add(e.name());
    return new Builder<>(type.getSimpleName(), type, names, Arrays.asList(constants));
  }

  /**
   * Starts a schema whose states are named by strings, in the order they are declared with
   * {@link Builder#state}.
   *
   * @param name the schema's name, used in messages and logs
   */
  public static Builder<String> named(String name) {
    requireName(name, "schema name");
    return new Builder<>(name, null, new ArrayList<>(), new ArrayList<>());
  }

  /**
   * Builds a named schema from exported data (see {@link #data()}), validating it as a builder
   * would.
   */
  public static Schema<String> fromData(SchemaData data) {
    Objects.requireNonNull(data, "data");
    Builder<String> b = named(data.name());
    for (StateData s : data.states()) {
      b.state(s.name(), r -> {
        r.require.addAll(s.require());
        r.add.addAll(s.add());
        r.remove.addAll(s.remove());
        r.after.addAll(s.after());
        r.multi |= s.multi();
        r.auto |= s.auto();
        r.tags.addAll(s.tags());
      });
    }
    return b.build();
  }

  // ---------------------------------------------------------------- queries

  /** The schema's name. */
  public String name() {
    return name;
  }

  /** The number of states, {@code Exception} included. */
  public int size() {
    return size;
  }

  /**
   * The states that can be named with {@code S}, in schema order. For an enum schema that does
   * not declare {@code Exception}, the built-in state is not in this list.
   */
  public List<S> states() {
    return states;
  }

  /** The names of all states in schema order, {@code Exception} included. */
  public List<String> names() {
    return List.of(names);
  }

  /** Whether a state of this name exists. */
  public boolean has(String stateName) {
    return byName.containsKey(stateName);
  }

  /** The names of the states in handler order (see {@code docs/spec.md}, rule H1). */
  public List<String> handlerOrder() {
    List<String> out = new ArrayList<>(size);
    for (int i : handlerOrder) out.add(names[i]);
    return out;
  }

  /** The tags of a state. */
  public Set<String> tags(S state) {
    return tags.get(indexOf(state));
  }

  /** This schema as plain data: names, relations, flags and tags, in schema order. */
  public SchemaData data() {
    List<StateData> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(new StateData(names[i], namesOf(require[i]), namesOf(add[i]), namesOf(remove[i]),
          namesOf(after[i]), (multi >>> i & 1) != 0, (auto >>> i & 1) != 0,
          List.copyOf(tags.get(i))));
    }
    return new SchemaData(name, out);
  }

  /**
   * A stable hash of {@link #data()}: equal for schemas with the same names, order, relations,
   * flags and tags, on any JVM. Hex-encoded SHA-256 of a canonical text form.
   */
  public String hash() {
    return hash;
  }

  /**
   * Explains how a machine of this schema resolves a mutation from an active set (spec R1–R6):
   * the target, whether resolution accepts it and why not, and every step, reported by the
   * engine's own resolution code. Pure: no machine is involved and no handler runs, so a
   * mutation that resolution accepts may still be refused by a handler.
   *
   * @param kind {@code ADD}, {@code REMOVE}, {@code SET}, {@code AUTO} (resolved once, like
   *     {@code ADD}) or {@code CLOSE}; a toggle is the add or remove it runs as
   * @param called the called states' names in the caller's order (the order decides between
   *     called states that remove each other, R4)
   * @param active the names of the active states before
   * @throws IllegalArgumentException for an unknown state name (the message names it) or a
   *     state named twice in {@code called}
   */
  public Resolution explain(MutationKind kind, List<String> called, Collection<String> active) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(called, "called");
    Objects.requireNonNull(active, "active");
    byte[] order = new byte[called.size()];
    long calledMask = 0;
    int k = 0;
    for (String n : called) {
      int i = indexOfName(Objects.requireNonNull(n, "called state"));
      if ((calledMask >>> i & 1) != 0) {
        throw new IllegalArgumentException("state '" + n + "' is called twice");
      }
      calledMask |= 1L << i;
      order[k++] = (byte) i;
    }
    long before = 0;
    for (String n : active) before |= 1L << indexOfName(Objects.requireNonNull(n, "active state"));
    Resolution.Collector x = new Resolution.Collector(this);
    long target = Resolver.resolve(this, kind, calledMask, order, before, x);
    boolean accepted = kind == MutationKind.REMOVE || kind == MutationKind.AUTO
        || kind == MutationKind.CLOSE || (calledMask & ~target) == 0;
    return new Resolution(kind, List.copyOf(called), namesOf(before), namesOf(target), accepted,
        accepted ? null : Resolver.refusal(this, calledMask & ~target, target), x.steps);
  }

  @Override
  public String toString() {
    return "Schema[" + name + ", " + size + " states]";
  }

  // ---------------------------------------------------------------- internals

  /** The index of a state, or an {@link IllegalArgumentException} that names it. */
  int indexOf(S state) {
    if (state instanceof Enum<?> e && e.getDeclaringClass() == enumClass) {
      return e.ordinal();
    }
    if (state instanceof String s && enumClass == null) {
      Integer i = byName.get(s);
      if (i != null) return i;
    }
    Objects.requireNonNull(state, "state");
    throw new IllegalArgumentException(
        "unknown state '" + state + "' in schema " + name + "; known states: " + names());
  }

  /** The index of a state by name, or an {@link IllegalArgumentException} that names it. */
  int indexOfName(String stateName) {
    Integer i = byName.get(stateName);
    if (i == null) {
      throw new IllegalArgumentException(
          "unknown state '" + stateName + "' in schema " + name + "; known states: " + names());
    }
    return i;
  }

  /** The mask in rank space: bit k set when the state at handler position k is in mask. */
  long toRank(long mask) {
    long r = 0;
    for (long m = mask; m != 0; m &= m - 1) r |= 1L << rank[Long.numberOfTrailingZeros(m)];
    return r;
  }

  long maskOf(Iterable<? extends S> states) {
    long m = 0;
    for (S s : states) m |= 1L << indexOf(s);
    return m;
  }

  List<String> namesOf(long mask) {
    List<String> out = new ArrayList<>(Long.bitCount(mask));
    for (long m = mask; m != 0; m &= m - 1) out.add(names[Long.numberOfTrailingZeros(m)]);
    return List.copyOf(out);
  }

  @SuppressWarnings("unchecked")
  @Nullable S valueAt(int index) {
    return (S) values[index];
  }

  private long mask(List<String> refs) {
    long m = 0;
    for (String r : refs) m |= 1L << byName.get(r);
    return m;
  }

  private int[] computeHandlerOrder() {
    // Kahn's algorithm; an edge j -> i when i requires j or i is after j; ready ties by index.
    long[] before = new long[size];
    for (int i = 0; i < size; i++) before[i] = require[i] | after[i];
    int[] out = new int[size];
    long done = 0;
    for (int k = 0; k < size; k++) {
      int pick = -1;
      for (int i = 0; i < size; i++) {
        if ((done >>> i & 1) == 0 && (before[i] & ~done) == 0) {
          pick = i;
          break;
        }
      }
      if (pick < 0) throw new IllegalStateException("cycle survived validation");
      out[k] = pick;
      done |= 1L << pick;
    }
    return out;
  }

  private String computeHash() {
    StringBuilder sb = new StringBuilder("stator-schema-v1\n").append(name).append('\n');
    for (StateData s : data().states()) {
      sb.append(s.name()).append("|r=").append(s.require()).append("|a=").append(s.add())
          .append("|x=").append(s.remove()).append("|o=").append(s.after())
          .append("|m=").append(s.multi()).append("|u=").append(s.auto())
          .append("|t=").append(s.tags()).append('\n');
    }
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest(sb.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  private static void requireName(String name, String what) {
    Objects.requireNonNull(name, what);
    if (name.isBlank()) throw new IllegalArgumentException(what + " must not be blank");
  }

  // ---------------------------------------------------------------- data

  /**
   * A schema as plain data, for export, import, remote handshakes and persistence.
   *
   * @param name the schema's name
   * @param states the states in schema order
   */
  public record SchemaData(String name, List<StateData> states) {
    /**
     * Copies the list; validates nothing else (see {@link Schema#fromData}).
     *
     * @throws NullPointerException naming the field (and the schema) if {@code name},
     *     {@code states} or one of the states is null
     */
    public SchemaData {
      Objects.requireNonNull(name, "SchemaData: name is null");
      states = copy("schema '" + name + "'", "states", states);
    }
  }

  /**
   * One state as plain data. Relation lists hold state names.
   *
   * @param name the state's name
   * @param require states that must be active while this one is
   * @param add states activated together with this one
   * @param remove states that cannot be active together with this one
   * @param after states whose handlers run before this one's
   * @param multi whether activating it while active enters it again
   * @param auto whether it is activated whenever it can be
   * @param tags free-form labels
   */
  public record StateData(String name, List<String> require, List<String> add,
      List<String> remove, List<String> after, boolean multi, boolean auto, List<String> tags) {
    /**
     * Copies the lists.
     *
     * @throws NullPointerException naming the field and the state if {@code name}, a list, or
     *     an element of a list is null (use {@code List.of()} for none)
     */
    public StateData {
      Objects.requireNonNull(name, "StateData: name is null");
      String where = "state '" + name + "'";
      require = copy(where, "require", require);
      add = copy(where, "add", add);
      remove = copy(where, "remove", remove);
      after = copy(where, "after", after);
      tags = copy(where, "tags", tags);
    }
  }

  /** {@link List#copyOf}, with a message naming the owner and the field for a null. */
  private static <T> List<T> copy(String owner, String field, @Nullable List<T> list) {
    if (list == null) {
      throw new NullPointerException(owner + ": " + field + " is null; use List.of() for none");
    }
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) == null) {
        throw new NullPointerException(owner + ": " + field + " holds null at index " + i);
      }
    }
    return List.copyOf(list);
  }

  // ---------------------------------------------------------------- builder

  /**
   * Collects states and relations; {@link #build()} validates them. Not thread-safe; a builder
   * is used by one thread and then discarded.
   *
   * @param <S> the type that names a state
   */
  public static final class Builder<S> {
    private final String name;
    private final @Nullable Class<?> enumClass;
    private final List<String> order;
    private final List<@Nullable S> objs;
    private final Map<String, Relations<S>> specs = new LinkedHashMap<>();
    private final Map<String, Integer> declared = new LinkedHashMap<>(); // name -> declarations

    private Builder(String name, @Nullable Class<?> enumClass, List<String> order,
        List<@Nullable S> objs) {
      this.name = name;
      this.enumClass = enumClass;
      this.order = order;
      this.objs = new ArrayList<>(objs);
    }

    /** Declares a state without relations (needed for named schemas; harmless for enums). */
    public Builder<S> state(S state) {
      return state(state, r -> {});
    }

    /**
     * Declares a state and its relations.
     *
     * <p>A state declared twice is not refused here: {@link #build()} reports it with every other
     * problem (spec S2). The first declaration's relations are the ones kept.
     *
     * @param state the state
     * @param relations sets the state's relations and flags, e.g. {@code r -> r.require(A)}
     * @return this builder
     * @throws IllegalArgumentException if the state names no constant of this schema's enum, or
     *     a named state's name is blank
     */
    public Builder<S> state(S state, Consumer<Relations<S>> relations) {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(relations, "relations");
      String n = nameOf(state);
      if (enumClass == null) requireName(n, "state name");
      Relations<S> r = new Relations<>(this);
      relations.accept(r);
      Integer seen = declared.merge(n, 1, Integer::sum);
      if (seen > 1) return this; // reported by build()
      if (enumClass == null) {
        order.add(n);
        objs.add(state);
      }
      specs.put(n, r);
      return this;
    }

    /**
     * Validates the states and relations and returns the schema.
     *
     * @return the schema
     * @throws SchemaException listing every problem found (spec S2), each naming the states
     *     involved
     */
    public Schema<S> build() {
      List<String> names = new ArrayList<>(order);
      List<@Nullable S> values = new ArrayList<>(objs);
      if (!names.contains(EXCEPTION)) {
        names.add(EXCEPTION);
        @SuppressWarnings("unchecked")
        S ex = enumClass == null ? (S) EXCEPTION : null;
        values.add(ex);
      }
      List<String> problems = new ArrayList<>();
      for (Map.Entry<String, Integer> d : declared.entrySet()) {
        int times = d.getValue();
        if (times > 1) {
          problems.add("state '" + d.getKey() + "' declared "
              + (times == 2 ? "twice" : times + " times"));
        }
      }
      List<StateData> data = new ArrayList<>(names.size());
      for (String n : names) {
        Relations<S> r = specs.get(n);
        boolean isException = n.equals(EXCEPTION);
        if (r == null) {
          data.add(new StateData(n, List.of(), List.of(), List.of(), List.of(), isException,
              false, List.of()));
        } else {
          data.add(new StateData(n, List.copyOf(r.require), List.copyOf(r.add),
              List.copyOf(r.remove), List.copyOf(r.after), r.multi || isException, r.auto,
              List.copyOf(r.tags)));
        }
      }
      problems.addAll(validate(data));
      if (!problems.isEmpty()) throw new SchemaException(name, problems);
      return new Schema<>(name, data, enumClass, values);
    }

    String nameOf(S state) {
      if (enumClass != null) {
        if (!(state instanceof Enum<?> e) || e.getDeclaringClass() != enumClass) {
          throw new IllegalArgumentException("state '" + state + "' is not a constant of "
              + enumClass.getName() + " (schema " + name + ")");
        }
        return e.name();
      }
      return state.toString();
    }
  }

  /**
   * The relations and flags of one state, set inside {@link Builder#state(Object, Consumer)}.
   *
   * @param <S> the type that names a state
   */
  public static final class Relations<S> {
    private final Builder<S> owner;
    final List<String> require = new ArrayList<>();
    final List<String> add = new ArrayList<>();
    final List<String> remove = new ArrayList<>();
    final List<String> after = new ArrayList<>();
    final List<String> tags = new ArrayList<>();
    boolean multi;
    boolean auto;

    private Relations(Builder<S> owner) {
      this.owner = owner;
    }

    /** This state can be active only while all of {@code states} are active. */
    @SafeVarargs
    public final Relations<S> require(S... states) {
      return names(require, states);
    }

    /** Activating this state also tries to activate {@code states}. */
    @SafeVarargs
    public final Relations<S> add(S... states) {
      return names(add, states);
    }

    /** This state is never active together with any of {@code states}. */
    @SafeVarargs
    public final Relations<S> remove(S... states) {
      return names(remove, states);
    }

    /** This state's handlers run after the handlers of {@code states}. */
    @SafeVarargs
    public final Relations<S> after(S... states) {
      return names(after, states);
    }

    /** Activating this state while it is active enters it again. */
    public Relations<S> multi() {
      multi = true;
      return this;
    }

    /** This state is activated whenever it can be, after each transition. */
    public Relations<S> auto() {
      auto = true;
      return this;
    }

    /** Adds free-form labels. */
    public Relations<S> tag(String... labels) {
      for (String t : labels) tags.add(Objects.requireNonNull(t, "tag"));
      return this;
    }

    @SafeVarargs
    private Relations<S> names(List<String> into, S... states) {
      for (S s : states) into.add(owner.nameOf(Objects.requireNonNull(s, "state")));
      return this;
    }
  }

  // ---------------------------------------------------------------- validation

  /*
   * Validation collects every problem and never stops at the first kind (spec S2): each state's
   * own problems in schema order, then the size, then every require/after cycle. A reference to
   * an unknown state, or to the state itself, is reported once and left out of the later checks,
   * so it cannot cause a second, derived message.
   */
  private static List<String> validate(List<StateData> data) {
    List<String> problems = new ArrayList<>();
    Map<String, Integer> idx = new LinkedHashMap<>();
    for (int i = 0; i < data.size(); i++) idx.putIfAbsent(data.get(i).name(), i);
    for (StateData s : data) {
      check(problems, idx, s, "requires", s.require());
      check(problems, idx, s, "adds", s.add());
      check(problems, idx, s, "removes", s.remove());
      check(problems, idx, s, "is after", s.after());
      for (String r : s.require()) {
        if (!idx.containsKey(r) || r.equals(s.name())) continue;
        StateData other = data.get(idx.get(r));
        if (s.remove().contains(r)) {
          problems.add("state '" + s.name() + "' requires '" + r + "' and also removes it");
        } else if (other.remove().contains(s.name())) {
          problems.add("state '" + s.name() + "' requires '" + r + "', which removes it");
        }
      }
      if (!s.name().equals(EXCEPTION) && s.remove().contains(EXCEPTION)) {
        problems.add("state '" + s.name() + "' removes the built-in state Exception, which would "
            + "refuse errors while it is active; call removeError() in a handler instead");
      }
      if (s.name().equals(EXCEPTION)) {
        List<String> req = new ArrayList<>(s.require());
        req.remove(EXCEPTION); // reported as a self reference
        if (!req.isEmpty()) {
          problems.add("the built-in state Exception requires " + req
              + ", which would refuse errors while those are inactive");
        }
      }
    }
    if (data.size() > MAX_STATES) {
      problems.add("schema has " + data.size() + " states (Exception included); at most "
          + MAX_STATES + " are supported");
    }
    for (String cycle : findCycles(data, idx)) problems.add("require/after cycle: " + cycle);
    return problems;
  }

  private static void check(List<String> problems, Map<String, Integer> idx, StateData s,
      String verb, List<String> refs) {
    for (String r : refs) {
      if (!idx.containsKey(r)) {
        problems.add("state '" + s.name() + "' " + verb + " unknown state '" + r + "'");
      } else if (r.equals(s.name())) {
        problems.add("state '" + s.name() + "' " + verb + " itself");
      }
    }
  }

  /** One cycle per back edge of a depth-first search, in the order found. */
  private static List<String> findCycles(List<StateData> data, Map<String, Integer> idx) {
    int n = data.size();
    int[] color = new int[n]; // 0 new, 1 on stack, 2 done
    int[] parent = new int[n];
    List<String> out = new ArrayList<>();
    for (int start = 0; start < n; start++) {
      if (color[start] == 0) dfs(start, data, idx, color, parent, out);
    }
    return out;
  }

  private static void dfs(int v, List<StateData> data, Map<String, Integer> idx, int[] color,
      int[] parent, List<String> out) {
    color[v] = 1;
    Set<String> edges = new LinkedHashSet<>(data.get(v).require());
    edges.addAll(data.get(v).after());
    for (String e : edges) {
      Integer target = idx.get(e);
      if (target == null || target == v) continue; // reported by check()
      int w = target;
      if (color[w] == 1) {
        List<String> path = new ArrayList<>();
        path.add(data.get(w).name());
        for (int u = v; u != w; u = parent[u]) path.add(data.get(u).name());
        path.add(data.get(w).name());
        Collections.reverse(path);
        out.add(String.join(" -> ", path));
      } else if (color[w] == 0) {
        parent[w] = v;
        dfs(w, data, idx, color, parent, out);
      }
    }
    color[v] = 2;
  }
}
