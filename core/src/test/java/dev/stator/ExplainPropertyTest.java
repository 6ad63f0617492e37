package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Scenarios.Op;
import dev.stator.Scenarios.Profile;
import dev.stator.Scenarios.Scenario;
import dev.stator.Scenarios.SchemaSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Spec R11 on random schemas and mutations: before each mutation of a machine without
 * handlers, {@link Schema#explain} of that mutation from the machine's active set predicts its
 * acceptance, refusal text and (for schemas without auto states, whose auto mutation would run
 * after it) the active set after it; and replaying the steps on the active set gives the target.
 */
class ExplainPropertyTest {

  @Property(tries = 500, afterFailure = AfterFailureMode.RANDOM_SEED)
  void R11_explanationAgreesWithTheMachine(@ForAll("mixed") Scenario sc) {
    check(sc);
  }

  @Property(tries = 500, afterFailure = AfterFailureMode.RANDOM_SEED)
  void R11_explanationAgreesWithTheMachineOnDenseSchemas(@ForAll("dense") Scenario sc) {
    check(sc);
  }

  @Provide
  Arbitrary<Scenario> mixed() {
    return Scenarios.scenarios(Profile.MIXED);
  }

  @Provide
  Arbitrary<Scenario> dense() {
    return Scenarios.scenarios(Profile.DENSE);
  }

  private static void check(Scenario sc) {
    SchemaSpec spec = sc.schema();
    Schema<String> schema = spec.build();
    boolean autos = schema.auto != 0;
    try (Machine<String> m = Machine.of(schema).build()) {
      for (int k = 0; k < sc.ops().size(); k++) {
        Op op = sc.ops().get(k);
        if (op.isError()) continue; // an error mutation carries the error as well
        List<String> names = spec.names(Scenarios.called(op, spec));
        List<String> before = m.activeNames();
        MutationKind kind = switch (op.modelKind()) {
          case ADD -> MutationKind.ADD;
          case REMOVE -> MutationKind.REMOVE;
          case SET -> MutationKind.SET;
          case TOGGLE -> before.containsAll(names) ? MutationKind.REMOVE : MutationKind.ADD;
          case AUTO -> MutationKind.AUTO;
        };
        Resolution r = schema.explain(kind, names, before);
        Result done = op.applyTo(m, spec, new IllegalStateException("op " + k));
        String where = "step " + k + " " + op.describe(spec) + " from " + before + ": " + sc;
        assertThat(done.status() == Status.EXECUTED).as(where).isEqualTo(r.accepted());
        if (!r.accepted()) assertThat(done.reason()).as(where).isEqualTo(r.refusal());
        if (!autos) {
          assertThat(m.activeNames()).as(where).isEqualTo(r.accepted() ? r.target() : before);
        }
        assertThat(replay(schema, before, r)).as(where).isEqualTo(r.target());
      }
    }
  }

  /** The active set with each step applied: what the steps say resolution did. */
  private static List<String> replay(Schema<String> schema, List<String> before, Resolution r) {
    Set<String> c = new LinkedHashSet<>(before);
    for (Resolution.Step s : r.steps()) {
      switch (s.change()) {
        case CALLED, PULLED -> c.add(s.state());
        case DROPPED -> c.remove(s.state());
        case SKIPPED -> { }
      }
    }
    List<String> out = new ArrayList<>();
    for (String n : schema.names()) if (c.contains(n)) out.add(n);
    return out;
  }
}
