package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/spec.md S2 (every problem of a schema reported by {@code build()} in one exception) and
 * S4 (null fields of schema data named): what a new user trips over when a schema is wrong.
 */
class SchemaValidationTest {

  enum X { A, B, C, D }

  private static Schema.StateData plain(String name) {
    return new Schema.StateData(name, List.of(), List.of(), List.of(), List.of(), false, false,
        List.of());
  }

  @Test
  void S2_duplicateStateIsReportedByBuildNotByState() {
    Schema.Builder<String> named = Schema.named("n").state("A").state("B");
    assertThatCode(() -> named.state("A", r -> r.require("B"))).doesNotThrowAnyException();
    SchemaException e = catchThrowableOfType(SchemaException.class, named::build);
    assertThat(e.problems()).containsExactly("state 'A' declared twice");
    assertThat(e).hasMessage("invalid schema n: state 'A' declared twice");

    Schema.Builder<X> byEnum = Schema.of(X.class).state(X.B);
    assertThatCode(() -> byEnum.state(X.B).state(X.B)).doesNotThrowAnyException();
    assertThatThrownBy(byEnum::build).isInstanceOf(SchemaException.class)
        .hasMessage("invalid schema X: state 'B' declared 3 times");

    Schema.SchemaData dup = new Schema.SchemaData("d", List.of(plain("A"), plain("A")));
    assertThatThrownBy(() -> Schema.fromData(dup)).isInstanceOf(SchemaException.class)
        .hasMessage("invalid schema d: state 'A' declared twice");
  }

  @Test
  void S2_everyProblemIsReportedInOneException() {
    Schema.Builder<String> b = Schema.named("Conn")
        .state("Session")
        .state("Ready", r -> r.require("Conected").after("Ready"))
        .state("Connected", r -> r.require("Session").remove("Exception"))
        .state("Session", r -> r.remove("Connected"))
        .state("Worker", r -> r.require("Idle"))
        .state("Idle", r -> r.after("Worker").add("Nowhere"));
    SchemaException e = catchThrowableOfType(SchemaException.class, b::build);
    assertThat(e.problems()).containsExactly(
        "state 'Session' declared twice",
        "state 'Ready' requires unknown state 'Conected'",
        "state 'Ready' is after itself",
        "state 'Connected' removes the built-in state Exception, which would refuse errors while "
            + "it is active; call removeError() in a handler instead",
        "state 'Idle' adds unknown state 'Nowhere'",
        "require/after cycle: Worker -> Idle -> Worker");
    assertThat(e.getMessage()).startsWith("invalid schema Conn, 6 problems:\n  - state 'Session'")
        .contains("\n  - state 'Ready' requires unknown state 'Conected'\n")
        .endsWith("\n  - require/after cycle: Worker -> Idle -> Worker");
  }

  @Test
  void S2_conflictsAndCyclesAreReportedTogetherWithUnknownReferences() {
    // The old validation returned after the first kind of problem: unknown references hid
    // both the require/remove conflict and the cycle.
    SchemaException e = catchThrowableOfType(SchemaException.class, () -> Schema.of(X.class)
        .state(X.A, r -> r.require(X.B))
        .state(X.B, r -> r.remove(X.A).require(X.C))
        .state(X.C, r -> r.require(X.B))
        .state(X.D, r -> r.tag("t")).build());
    assertThat(e.problems()).containsExactly(
        "state 'A' requires 'B', which removes it",
        "require/after cycle: B -> C -> B");

    SchemaException both = catchThrowableOfType(SchemaException.class, () -> Schema.named("n")
        .state("A", r -> r.require("Missing", "B"))
        .state("B", r -> r.remove("A")).build());
    assertThat(both.problems()).containsExactly(
        "state 'A' requires unknown state 'Missing'",
        "state 'A' requires 'B', which removes it");
  }

  @Test
  void S2_everyCycleIsShown() {
    SchemaException e = catchThrowableOfType(SchemaException.class, () -> Schema.of(X.class)
        .state(X.A, r -> r.require(X.B))
        .state(X.B, r -> r.after(X.A))
        .state(X.C, r -> r.after(X.D))
        .state(X.D, r -> r.require(X.C)).build());
    assertThat(e.problems()).containsExactly(
        "require/after cycle: A -> B -> A",
        "require/after cycle: C -> D -> C");
  }

  @Test
  void S2_selfReferenceIsReportedOnceNotAsACycleOrConflict() {
    SchemaException e = catchThrowableOfType(SchemaException.class, () -> Schema.of(X.class)
        .state(X.A, r -> r.require(X.A).remove(X.A)).build());
    assertThat(e.problems()).containsExactly("state 'A' requires itself",
        "state 'A' removes itself");
  }

  @Test
  void S2_tooManyStatesIsReportedWithTheOtherProblems() {
    Schema.Builder<String> b = Schema.named("big");
    for (int i = 0; i < 64; i++) b.state("S" + i);
    b.state("S0").state("S1", r -> r.require("Nope"));
    SchemaException e = catchThrowableOfType(SchemaException.class, b::build);
    assertThat(e.problems()).containsExactly(
        "state 'S0' declared twice",
        "state 'S1' declared twice",
        "schema has 65 states (Exception included); at most 64 are supported");
    // The second declaration of S1 is discarded (the first one's relations are kept), so its
    // unknown reference is not validated; the duplicate is what the user must fix.
  }

  @Test
  void S2_aValidSchemaStillBuilds() {
    Schema<X> s = Schema.of(X.class)
        .state(X.B, r -> r.require(X.A))
        .state(X.C, r -> r.remove(X.D).after(X.B))
        .build();
    assertThat(s.handlerOrder()).containsExactly("A", "B", "C", "D", "Exception");
  }

  @Test
  void S4_nullListInStateDataNamesTheFieldAndTheState() {
    assertThatThrownBy(() -> new Schema.StateData("Ready", null, List.of(), List.of(), List.of(),
        false, false, List.of()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("state 'Ready': require is null; use List.of() for none");
    assertThatThrownBy(() -> new Schema.StateData("Ready", List.of(), List.of(), List.of(), null,
        false, false, List.of()))
        .hasMessage("state 'Ready': after is null; use List.of() for none");
    assertThatThrownBy(() -> new Schema.StateData("Ready", List.of(), List.of(), List.of(),
        List.of(), false, false, null))
        .hasMessage("state 'Ready': tags is null; use List.of() for none");
    List<String> withNull = new ArrayList<>(Arrays.asList("Session", null));
    assertThatThrownBy(() -> new Schema.StateData("Ready", List.of(), List.of(), withNull,
        List.of(), false, false, List.of()))
        .hasMessage("state 'Ready': remove holds null at index 1");
    assertThatThrownBy(() -> new Schema.StateData(null, List.of(), List.of(), List.of(),
        List.of(), false, false, List.of()))
        .hasMessage("StateData: name is null");
  }

  @Test
  void S4_nullStatesInSchemaDataNamesTheFieldAndTheSchema() {
    assertThatThrownBy(() -> new Schema.SchemaData("Conn", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("schema 'Conn': states is null; use List.of() for none");
    List<Schema.StateData> withNull = new ArrayList<>();
    withNull.add(plain("A"));
    withNull.add(null);
    assertThatThrownBy(() -> new Schema.SchemaData("Conn", withNull))
        .hasMessage("schema 'Conn': states holds null at index 1");
  }
}
