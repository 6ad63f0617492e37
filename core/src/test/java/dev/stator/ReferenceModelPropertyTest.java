package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Scenarios.Op;
import dev.stator.Scenarios.Profile;
import dev.stator.Scenarios.Scenario;
import dev.stator.Scenarios.SchemaSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Property tests of {@code docs/spec.md} against {@link ReferenceModel}: random schemas
 * ({@link Scenarios}) and random mutation sequences run on a machine and on the model, step by
 * step; the result, the active set, every clock, the number of processed mutations, the last
 * error and (with handlers bound) every handler call must agree, and the engine's state must
 * satisfy the invariants of R5 and C1 after every step.
 *
 * <p>Each property runs 1,000 tries with a fresh random seed every run
 * ({@code afterFailure = RANDOM_SEED}), so CI keeps exploring and a previous run's failure cannot
 * pin it. On failure jqwik prints the shrunk scenario (as builder source) and the seed; to replay
 * it, copy the seed into the property's {@code @Property(seed = "...")} locally.
 */
class ReferenceModelPropertyTest {
  private static final int TRIES = 1000;

  // ================================================================== properties

  @Property(tries = TRIES, afterFailure = AfterFailureMode.RANDOM_SEED)
  void R1_R6_resolutionMatchesReferenceModel(@ForAll("mixed") Scenario sc) {
    check(sc, ReferenceModel.Variant.SPEC, Mode.PLAIN);
  }

  @Property(tries = TRIES, afterFailure = AfterFailureMode.RANDOM_SEED)
  void R5_resultIsConflictFreeAndRequirementsHold(@ForAll("dense") Scenario sc) {
    check(sc, ReferenceModel.Variant.SPEC, Mode.PLAIN);
  }

  @Property(tries = TRIES, afterFailure = AfterFailureMode.RANDOM_SEED)
  void C1_ticksOddExactlyWhileActive(@ForAll("multi") Scenario sc) {
    check(sc, ReferenceModel.Variant.SPEC, Mode.PLAIN);
  }

  @Property(tries = TRIES, afterFailure = AfterFailureMode.RANDOM_SEED)
  void R7_Q1_Q2_Q3_toggleDecidesWhenItRunsNotWhenQueued(@ForAll("toggles") Scenario sc) {
    check(sc, ReferenceModel.Variant.SPEC, Mode.QUEUED);
  }

  @Property(tries = TRIES, afterFailure = AfterFailureMode.RANDOM_SEED)
  void R8_R9_multiReentryAndNoOpsMatchReferenceModel(@ForAll("multi") Scenario sc) {
    check(sc, ReferenceModel.Variant.SPEC, Mode.HANDLERS);
  }

  @Property(tries = TRIES, afterFailure = AfterFailureMode.RANDOM_SEED)
  void Q4_autoMutationFollowsEveryChangingTransition(@ForAll("auto") Scenario sc) {
    check(sc, ReferenceModel.Variant.SPEC, Mode.HANDLERS);
  }

  @Property(tries = TRIES, afterFailure = AfterFailureMode.RANDOM_SEED)
  void P1_P4_P6_handlerOrderMatchesReferenceModel(@ForAll("mixed") Scenario sc) {
    check(sc, ReferenceModel.Variant.SPEC, Mode.HANDLERS);
  }

  @Property(tries = TRIES, afterFailure = AfterFailureMode.RANDOM_SEED)
  void P2_refusingNegotiationHandlerCancelsTheTransition(@ForAll("mixed") Scenario sc,
      @ForAll("refusals") List<Refusal> refusals) {
    Set<String> refusing = new TreeSet<>();
    for (Refusal r : refusals) refusing.add(r.call(sc.schema()));
    Statistics.label("refusing").collect(refusing.size());
    String mismatch = firstMismatch(sc, ReferenceModel.Variant.SPEC, Mode.HANDLERS, refusing,
        true);
    assertThat(mismatch).as("engine vs reference model, refusing %s", refusing).isNull();
  }

  @Property(tries = TRIES, afterFailure = AfterFailureMode.RANDOM_SEED)
  void P7_handlerGroupsRunInBindingOrderWithinEachSlot(@ForAll("mixed") Scenario sc) {
    check(sc, ReferenceModel.Variant.SPEC, Mode.TWO_GROUPS);
  }

  @Property(tries = TRIES, afterFailure = AfterFailureMode.RANDOM_SEED)
  void H1_S1_S3_handlerOrderAndSchemaOrderMatchReferenceModel(@ForAll("schemas") SchemaSpec spec) {
    Schema<String> schema = spec.build(); // S2: valid by construction, so build() must accept
    ReferenceModel model = new ReferenceModel(spec.modelStates());
    List<String> declared = spec.states().stream().map(Scenarios.StateSpec::name).toList();
    assertThat(schema.names()).as("S1 schema order").isEqualTo(declared);
    if (!spec.exceptionDeclared()) {
      assertThat(schema.names().getLast()).as("S1 Exception appended").isEqualTo("Exception");
    }
    assertThat(schema.data().states().get(spec.exception()).multi()).as("S3").isTrue();
    assertThat(schema.handlerOrder()).as("H1 handler order").isEqualTo(model.handlerOrderNames());
  }

  /**
   * The properties can fail: the same scenarios, checked against deliberately wrong models, must
   * produce mismatches. Deterministic (fixed seed) and cheap; the real model must agree on all.
   */
  @Example
  void R4_P1_wrongReferenceModelsAreCaught() {
    Random random = new Random(20_260_101L);
    var mixed = Scenarios.scenarios(Profile.MIXED).generator(1000);
    var auto = Scenarios.scenarios(Profile.AUTO).generator(1000);
    int pulled = 0;
    int called = 0;
    int exits = 0;
    for (int k = 0; k < 200; k++) {
      Scenario sc = mixed.next(random).value();
      Scenario sa = auto.next(random).value();
      for (Scenario x : List.of(sc, sa)) {
        assertThat(firstMismatch(x, ReferenceModel.Variant.SPEC, Mode.HANDLERS, false))
            .as("the spec model on %s", x).isNull();
      }
      if (firstMismatch(sc, ReferenceModel.Variant.R4_PULLED_FIRST_TO_LAST, Mode.PLAIN, false)
          != null) {
        pulled++;
      }
      if (firstMismatch(sa, ReferenceModel.Variant.R4_CALLED_FIRST_TO_LAST, Mode.PLAIN, false)
          != null) {
        called++;
      }
      if (firstMismatch(sc, ReferenceModel.Variant.P1_EXITS_IN_HANDLER_ORDER, Mode.HANDLERS, false)
          != null) {
        exits++;
      }
    }
    assertThat(pulled).as("R4 pulled states visited first to last").isGreaterThan(0);
    assertThat(called).as("R4 called states visited first to last").isGreaterThan(0);
    assertThat(exits).as("P1 exits in handler order").isGreaterThan(0);
  }

  /**
   * R5 pulls the add targets of the entering survivors in schema order: of two targets that
   * conflict, the first in schema order is pulled, as R4 keeps the first in schema order of two
   * pulled states that remove each other (not the target of the first source: E1's B, as the
   * engine once did; found by the property).
   */
  @Test
  void R5_addTargetsArePulledAgainInSchemaOrder() {
    Schema<String> schema = Schema.named("R5")
        .state("A", r -> r.remove("B"))
        .state("B")
        .state("K", r -> r.remove("A"))
        .state("E1", r -> r.add("B"))
        .state("E2", r -> r.add("A").remove("K"))
        .build();
    try (Machine<String> m = Machine.of(schema).build()) {
      m.add("K");
      // R2 pulls B and A; R4 drops B (A removes it), A (active K removes it), K (E2 removes it);
      // R5: targets A and B are both free again; A comes first in schema order and blocks B.
      assertThat(m.add(List.of("E1", "E2"), Args.NONE).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.activeNames()).containsExactly("A", "E1", "E2");
    }
  }

  /** The same through the auto mutation (Q4), the way the property first found it. */
  @Test
  void R5_addTargetsArePulledAgainInSchemaOrder_inTheAutoMutation() {
    Schema<String> schema = Schema.named("R5auto")
        .state("A", r -> r.remove("B"))
        .state("B")
        .state("K", r -> r.remove("A"))
        .state("E1", r -> r.add("B").auto())
        .state("E2", r -> r.add("A").remove("K").auto())
        .build();
    try (Machine<String> m = Machine.of(schema).build()) {
      // add K, then auto [E1, E2] resolves against {K} exactly as the add above.
      assertThat(m.add("K").status()).isEqualTo(Status.EXECUTED);
      assertThat(m.activeNames()).containsExactly("A", "E1", "E2");
    }
  }

  /**
   * R5 in schema order, also for the targets of states that R5 itself pulls in: B (pulled again
   * as E's target) pulls A, and A comes before C in schema order, so A is pulled and C, which A
   * removes, is skipped. This is the result R2 and R4 give without K (C is dropped in R4 as the
   * later of two pulled states that conflict). Found by the property; the engine once pulled
   * E's targets B and C first and A only in a second round, where it conflicted with C.
   */
  @Test
  void R5_targetsOfStatesPulledByR5TakeTheirTurnInSchemaOrder() {
    Schema<String> schema = Schema.named("R5rounds")
        .state("A", r -> r.remove("C"))
        .state("B", r -> r.add("A"))
        .state("C")
        .state("K", r -> r.remove("A", "B", "C"))
        .state("E", r -> r.add("B", "C").remove("K"))
        .build();
    try (Machine<String> m = Machine.of(schema).build()) {
      m.add("K");
      // R2 pulls B, C and A; R4 drops them all (K removes them), then K (E removes it);
      // R5 pulls B, then A (B's target, before C in schema order); C conflicts with A.
      assertThat(m.add("E").status()).isEqualTo(Status.EXECUTED);
      assertThat(m.activeNames()).containsExactly("A", "B", "E");
    }
  }

  /**
   * P1: an exit handler runs for a state that is exiting, and the event says so (B is not the
   * first state of the schema: Event.isExiting once tested bit 0 whatever the state).
   */
  @Test
  void P1_exitHandlerSeesItsStateExiting() {
    Schema<String> schema = Schema.named("Exiting")
        .state("A", r -> r.remove("B"))
        .state("B")
        .build();
    List<String> seen = new ArrayList<>();
    try (Machine<String> m = Machine.of(schema)
        .onExit("B", e -> seen.add(e.isExiting("B") + " " + e.exitingNames()))
        .build()) {
      m.add("B");
      m.add("A"); // A removes B: B exits
      assertThat(seen).containsExactly("true [B]");
    }
  }

  // ================================================================== generators

  @Provide
  Arbitrary<Scenario> mixed() {
    return Scenarios.scenarios(Profile.MIXED);
  }

  @Provide
  Arbitrary<Scenario> dense() {
    return Scenarios.scenarios(Profile.DENSE);
  }

  @Provide
  Arbitrary<Scenario> multi() {
    return Scenarios.scenarios(Profile.MULTI);
  }

  @Provide
  Arbitrary<Scenario> auto() {
    return Scenarios.scenarios(Profile.AUTO);
  }

  @Provide
  Arbitrary<Scenario> toggles() {
    return Scenarios.scenarios(Profile.TOGGLES);
  }

  /** A negotiation handler that refuses (P2): 0 enter, 1 exit, 2 self, 3 pair, 4 anyEnter. */
  record Refusal(int slot, int state, int from) {
    String call(SchemaSpec s) {
      String x = s.name(state % s.size());
      String f = s.name(from % s.size());
      return switch (slot) {
        case 0 -> "enter " + x;
        case 1 -> "exit " + x;
        case 2 -> "self " + x;
        case 3 -> f.equals(x) ? "self " + x : "pair " + f + ">" + x;
        default -> "anyEnter";
      };
    }
  }

  @Provide
  Arbitrary<List<Refusal>> refusals() {
    Arbitrary<Integer> slot = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(0)),
        Tuple.of(3, Arbitraries.just(1)), Tuple.of(2, Arbitraries.just(2)),
        Tuple.of(3, Arbitraries.just(3)), Tuple.of(1, Arbitraries.just(4)));
    Arbitrary<Integer> state = Arbitraries.integers().between(0, Scenarios.MAX_DECLARED)
        .withDistribution(RandomDistribution.uniform());
    return Combinators.combine(slot, state, state).as(Refusal::new).list().ofMinSize(1)
        .ofMaxSize(3);
  }

  @Provide
  Arbitrary<SchemaSpec> schemas() {
    return Arbitraries.oneOf(Scenarios.schemas(Profile.MIXED), Scenarios.schemas(Profile.DENSE));
  }

  // ================================================================== checking

  /** How the machine is run. */
  enum Mode {
    /** No handlers bound; every mutation from the test thread. */
    PLAIN,
    /** A lambda in every handler slot, recording its calls. */
    HANDLERS,
    /** Every slot twice, in two groups (P7). */
    TWO_GROUPS,
    /**
     * The first transition that changes something queues all later mutations from its
     * {@code anyState} handler (Q1); they run in FIFO order (Q2) after its auto mutation (Q3).
     */
    QUEUED
  }

  private static void check(Scenario sc, ReferenceModel.Variant variant, Mode mode) {
    String mismatch = firstMismatch(sc, variant, mode, true);
    assertThat(mismatch).as("engine vs reference model").isNull();
  }

  /**
   * Runs the scenario on a machine and on the model; the first disagreement, or null.
   *
   * @param collect whether to collect jqwik statistics (only inside a property)
   */
  static @Nullable String firstMismatch(Scenario sc, ReferenceModel.Variant variant, Mode mode,
      boolean collect) {
    return firstMismatch(sc, variant, mode, Set.of(), collect);
  }

  /** As above, with the negotiation handlers named by {@code refusing} refusing (P2). */
  static @Nullable String firstMismatch(Scenario sc, ReferenceModel.Variant variant, Mode mode,
      Set<String> refusing, boolean collect) {
    Tally tally = new Tally();
    String bad = run(sc, variant, mode, refusing, tally);
    if (collect) tally.report(mode);
    return bad;
  }

  /** What a scenario exercised, for jqwik's statistics in the test report. */
  private static final class Tally {
    int executed;
    int canceled;
    int noOps;
    int r5Decided;
    int reentries;
    int autos;
    int refused;

    void report(Mode mode) {
      if (executed + canceled == 0) return;
      Statistics.label("steps executed/canceled").collect(
          executed > 0 && canceled > 0 ? "both" : executed > 0 ? "only executed" : "only canceled");
      if (mode == Mode.HANDLERS || mode == Mode.TWO_GROUPS) {
        Statistics.label("has a no-op step (R9)").collect(noOps > 0);
      }
      if (mode == Mode.HANDLERS || mode == Mode.TWO_GROUPS) {
        Statistics.label("has a step canceled by a handler (P2)").collect(refused > 0);
      }
      Statistics.label("has a multi re-entry (R8)").collect(reentries > 0);
      Statistics.label("has an auto mutation (Q4)").collect(autos > 0);
      Statistics.label("R5 order decided a result").collect(r5Decided > 0);
    }
  }

  private static @Nullable String run(Scenario sc, ReferenceModel.Variant variant, Mode mode,
      Set<String> refusing, Tally tally) {
    SchemaSpec spec = sc.schema();
    Schema<String> schema = spec.build();
    ReferenceModel model = new ReferenceModel(spec.modelStates(), variant).refusing(refusing);
    List<String> log = new ArrayList<>();
    int groups = mode == Mode.TWO_GROUPS ? 2 : 1;
    // A long timeout keeps the watchdog's code path without risking a spurious abandon.
    Machine.Builder<String> b = Machine.of(schema).handlerTimeout(Duration.ofMinutes(5));
    if (mode == Mode.HANDLERS || mode == Mode.TWO_GROUPS) {
      register(b, schema, log, groups, refusing);
    }
    List<Op> ops = sc.ops();
    int[] running = {-1}; // QUEUED: the op the test thread is running
    int[] trigger = {-1}; // QUEUED: the op whose anyState handler queued the rest
    List<Result> tickets = new ArrayList<>();
    List<String> notQueued = new ArrayList<>();
    if (mode == Mode.QUEUED) {
      if (ops.stream().anyMatch(Op::isError)) { // they would jump the queue (E1, Q3)
        throw new IllegalArgumentException("QUEUED scenarios have no error mutations: " + sc);
      }
      b.onAnyState(e -> {
        if (trigger[0] >= 0 || running[0] < 0) return;
        trigger[0] = running[0];
        for (int j = running[0] + 1; j < ops.size(); j++) {
          Result t = ops.get(j).applyTo(e.machine(), spec, new IllegalStateException("op " + j));
          if (t.status() != Status.QUEUED) notQueued.add(j + ": " + t.status());
          tickets.add(t);
        }
      });
    }
    try (Machine<String> m = b.build()) {
      for (int k = 0; k < ops.size() && trigger[0] < 0; k++) {
        Op op = ops.get(k);
        String where = "step " + k + ": " + op.describe(spec) + " with active "
            + model.activeNames();
        Throwable error = op.isError() ? new IllegalStateException("op " + k) : null;
        log.clear();
        running[0] = k;
        Result r = op.applyTo(m, spec, error);
        running[0] = -1;
        ReferenceModel.Outcome exp = model.run(op.modelKind(), Scenarios.called(op, spec), error);
        if (exp.r5OrderSensitive()) tally.r5Decided++;
        tally.reentries += exp.reentries();
        if (exp.autoRan()) tally.autos++;
        if (exp.executed()) tally.executed++;
        else tally.canceled++;
        if (!exp.executed() && !exp.calls().isEmpty()) tally.refused++;
        if (exp.executed() && exp.calls().stream().noneMatch(c -> c.startsWith("anyEnter"))) {
          tally.noOps++;
        }
        String bad = compareResult(where, r, exp.executed());
        if (bad == null && (mode == Mode.HANDLERS || mode == Mode.TWO_GROUPS)) {
          List<String> expected = expand(exp.calls(), groups);
          if (!log.equals(expected)) {
            bad = where + ": handler calls\n      engine: " + log + "\n      model:  " + expected;
          }
        }
        if (bad == null && !notQueued.isEmpty()) {
          bad = where + ": Q1: mutations made from a handler were not queued: " + notQueued;
        }
        if (bad == null && trigger[0] >= 0) { // the queued ops ran before the call returned
          for (int j = k + 1; j < ops.size() && bad == null; j++) {
            Op q = ops.get(j);
            String qw = "queued step " + j + ": " + q.describe(spec) + " with active "
                + model.activeNames();
            ReferenceModel.Outcome qe = model.run(q.modelKind(), Scenarios.called(q, spec), null);
            if (qe.r5OrderSensitive()) tally.r5Decided++;
            tally.reentries += qe.reentries();
            if (qe.autoRan()) tally.autos++;
            if (qe.executed()) tally.executed++;
            else tally.canceled++;
            bad = compareResult(qw, tickets.get(j - k - 1), qe.executed());
          }
          if (bad == null && m.queueSize() != 0) bad = "Q1: queue not drained: " + m.queueSize();
        }
        if (bad == null) bad = compareState(where, m, model);
        if (bad == null) bad = invariants(where, m);
        if (bad != null) return bad;
      }
    }
    return null;
  }

  private static @Nullable String compareResult(String where, Result r, boolean executed) {
    Status want = executed ? Status.EXECUTED : Status.CANCELED;
    if (r.status() != want) return where + ": result " + r.status() + ", model says " + want;
    return null;
  }

  private static @Nullable String compareState(String where, Machine<String> m,
      ReferenceModel model) {
    Snapshot s = m.snapshot();
    if (!s.activeNames().equals(model.activeNames())) {
      return where + ": active " + s.activeNames() + ", model says " + model.activeNames();
    }
    if (!Arrays.equals(s.ticks(), model.ticks())) {
      return where + ": clocks " + clocks(s.names(), s.ticks()) + ", model says "
          + clocks(s.names(), model.ticks());
    }
    if (s.queueTick() != model.processed()) {
      return where + ": queue tick " + s.queueTick() + ", model says " + model.processed();
    }
    if (m.lastError() != model.lastError()) {
      return where + ": lastError " + m.lastError() + ", model says " + model.lastError();
    }
    return null;
  }

  /** R5 and C1 on the engine alone, from its public API. */
  static @Nullable String invariants(String where, Machine<String> m) {
    Snapshot s = m.snapshot();
    List<Schema.StateData> data = m.schema().data().states();
    for (int i = 0; i < data.size(); i++) {
      Schema.StateData d = data.get(i);
      boolean on = s.is(d.name());
      if (on != (s.tick(d.name()) % 2 == 1)) {
        return where + ": C1 clock of " + d.name() + " is " + s.tick(d.name()) + " but it is "
            + (on ? "active" : "inactive");
      }
      if (!on) continue;
      for (String r : d.require()) {
        if (!s.is(r)) return where + ": R5 " + d.name() + " is active without " + r;
      }
      for (String r : d.remove()) {
        if (s.is(r)) return where + ": R5 " + d.name() + " and " + r + " are both active";
      }
    }
    return null;
  }

  private static String clocks(List<String> names, long[] ticks) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < ticks.length; i++) {
      if (ticks[i] != 0) sb.append(sb.length() > 1 ? ", " : "").append(names.get(i)).append('=')
          .append(ticks[i]);
    }
    return sb.append('}').toString();
  }

  // ================================================================== handlers

  /**
   * A recording lambda in every slot, {@code groups} times (each round is one group, P7); the
   * negotiation handlers whose call is in {@code refusing} return false (P2).
   */
  private static void register(Machine.Builder<String> b, Schema<String> schema, List<String> log,
      int groups, Set<String> refusing) {
    List<String> names = schema.names();
    for (int g = 1; g <= groups; g++) {
      String tag = groups == 1 ? "" : " #" + g;
      b.onAnyEnter(e -> {
        log.add("anyEnter " + e.kind().name().toLowerCase(Locale.ROOT) + " +" + e.enteringNames()
            + " -" + e.exitingNames() + tag);
        return !refusing.contains("anyEnter");
      });
      for (String x : names) {
        b.onEnter(x, e -> negotiate(log, "enter " + x, tag, refusing));
        b.onExit(x, e -> negotiate(log, "exit " + x, tag, refusing));
        b.onState(x, e -> log.add("state " + x + tag));
        b.onEnd(x, e -> log.add("end " + x + tag));
        for (String y : names) {
          String call = x.equals(y) ? "self " + x : "pair " + x + ">" + y;
          b.onPair(x, y, e -> negotiate(log, call, tag, refusing));
        }
      }
      b.onAnyState(e -> log.add("anyState" + tag));
    }
  }

  private static boolean negotiate(List<String> log, String call, String tag,
      Set<String> refusing) {
    log.add(call + tag);
    return !refusing.contains(call);
  }

  /** The model's slot calls, each once per group in binding order (P7). */
  private static List<String> expand(List<String> calls, int groups) {
    if (groups == 1) return calls;
    List<String> out = new ArrayList<>();
    for (String c : calls) {
      for (int g = 1; g <= groups; g++) out.add(c + " #" + g);
    }
    return out;
  }
}
