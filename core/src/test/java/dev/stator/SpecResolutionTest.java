package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden tests for docs/spec.md §1 (schema) and §2 (resolution); named after the rules. */
class SpecResolutionTest {

  enum X { A, B, C, D, E }

  private static Machine<String> named(Schema<String> s) {
    return Machine.of(s).build();
  }

  // ---------------------------------------------------------------- §1 schema

  @Test
  void S1_enumOrderWithExceptionAppended() {
    Schema<X> s = Schema.of(X.class).build();
    assertThat(s.names()).containsExactly("A", "B", "C", "D", "E", "Exception");
    assertThat(s.states()).containsExactly(X.A, X.B, X.C, X.D, X.E);
  }

  enum WithEx { Foo, Exception, Bar }

  @Test
  void S1_declaredExceptionKeepsItsPlace() {
    Schema<WithEx> s = Schema.of(WithEx.class).build();
    assertThat(s.names()).containsExactly("Foo", "Exception", "Bar");
    try (Machine<WithEx> m = Machine.of(s).build()) {
      m.addError(new RuntimeException("x"));
      assertThat(m.is(WithEx.Exception)).isTrue();
    }
  }

  @Test
  void S1_namedOrderIsDeclarationOrder() {
    Schema<String> s = Schema.named("n").state("Z").state("Y", r -> r.require("Z")).build();
    assertThat(s.names()).containsExactly("Z", "Y", "Exception");
  }

  @Test
  void S2_unknownReferenceIsNamed() {
    assertThatThrownBy(() -> Schema.named("n").state("Ready", r -> r.require("Conected")).build())
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("state 'Ready' requires unknown state 'Conected'");
  }

  @Test
  void S2_selfReferenceIsNamed() {
    assertThatThrownBy(() -> Schema.of(X.class).state(X.A, r -> r.remove(X.A)).build())
        .isInstanceOf(SchemaException.class).hasMessageContaining("state 'A' removes itself");
  }

  @Test
  void S2_duplicateStateIsNamed() {
    assertThatThrownBy(() -> Schema.named("n").state("A").state("A").build())
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("state 'A' declared twice");
    assertThatThrownBy(() -> Schema.of(X.class).state(X.B).state(X.B).build())
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("state 'B' declared twice");
    Schema.SchemaData dup = new Schema.SchemaData("d", List.of(
        new Schema.StateData("A", List.of(), List.of(), List.of(), List.of(), false, false,
            List.of()),
        new Schema.StateData("A", List.of(), List.of(), List.of(), List.of(), false, false,
            List.of())));
    assertThatThrownBy(() -> Schema.fromData(dup)).isInstanceOf(SchemaException.class)
        .hasMessageContaining("declared twice");
  }

  @Test
  void S2_requireRemoveConflictIsNamed() {
    assertThatThrownBy(() -> Schema.of(X.class)
        .state(X.A, r -> r.require(X.B)).state(X.B, r -> r.remove(X.A)).build())
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("state 'A' requires 'B', which removes it");
    assertThatThrownBy(() -> Schema.of(X.class).state(X.A, r -> r.require(X.B).remove(X.B))
        .build()).hasMessageContaining("state 'A' requires 'B' and also removes it");
  }

  @Test
  void S2_requireAfterCycleIsShown() {
    assertThatThrownBy(() -> Schema.of(X.class)
        .state(X.A, r -> r.require(X.B))
        .state(X.B, r -> r.after(X.C))
        .state(X.C, r -> r.require(X.A)).build())
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("require/after cycle: A -> B -> C -> A");
  }

  @Test
  void S2_moreThan64StatesIsRefused() {
    Schema.Builder<String> b = Schema.named("big");
    for (int i = 0; i < 64; i++) b.state("S" + i);
    assertThatThrownBy(b::build).isInstanceOf(SchemaException.class)
        .hasMessageContaining("65 states (Exception included); at most 64");
  }

  @Test
  void S2_enumConstantOfAnotherTypeIsRefused() {
    @SuppressWarnings({"unchecked", "rawtypes"})
    Schema.Builder<Object> raw = (Schema.Builder) Schema.of(X.class);
    assertThatThrownBy(() -> raw.state(WithEx.Foo))
        .hasMessageContaining("state 'Foo' is not a constant of");
  }

  @Test
  void S3_exceptionIsAlwaysMulti() {
    Schema<X> s = Schema.of(X.class).build();
    try (Machine<X> m = Machine.of(s).build()) {
      m.addError(new RuntimeException("1"));
      m.addError(new RuntimeException("2"));
      assertThat(m.snapshot().tick("Exception")).isEqualTo(3);
      assertThat(m.lastError()).hasMessage("2");
    }
    assertThat(s.data().states().get(5).multi()).isTrue();
  }

  @Test
  void S4_dataRoundTripsAndHashIsStable() {
    Schema<X> s = Schema.of(X.class)
        .state(X.A, r -> r.require(X.B).add(X.C).tag("io"))
        .state(X.C, r -> r.remove(X.D).multi())
        .state(X.E, r -> r.after(X.A).auto())
        .build();
    Schema<String> copy = Schema.fromData(s.data());
    assertThat(copy.data()).isEqualTo(s.data());
    assertThat(copy.hash()).isEqualTo(s.hash()).hasSize(64);
    Schema<X> other = Schema.of(X.class)
        .state(X.A, r -> r.require(X.B).add(X.C).tag("net"))
        .state(X.C, r -> r.remove(X.D).multi())
        .state(X.E, r -> r.after(X.A).auto())
        .build();
    assertThat(other.hash()).isNotEqualTo(s.hash());
    assertThat(s.tags(X.A)).containsExactly("io");
  }

  @Test
  void H1_handlerOrderIsTopologicalWithTiesInSchemaOrder() {
    Schema<X> s = Schema.of(X.class)
        .state(X.A, r -> r.require(X.D))
        .state(X.B, r -> r.after(X.E))
        .build();
    // D before A (require), E before B (after); ties by schema order.
    assertThat(s.handlerOrder()).containsExactly("C", "D", "A", "E", "B", "Exception");
  }

  // ---------------------------------------------------------------- §2 resolution

  @Test
  void R1_addKeepsActiveRemoveKeepsOthersSetReplaces() {
    try (Machine<X> m = Machine.of(Schema.of(X.class).build()).build()) {
      m.add(X.A);
      m.add(X.B);
      assertThat(m.active()).containsExactly(X.A, X.B);
      m.remove(X.A);
      assertThat(m.active()).containsExactly(X.B);
      m.set(List.of(X.C, X.D), Args.NONE);
      assertThat(m.active()).containsExactly(X.C, X.D);
    }
  }

  @Test
  void R2_addPullsTargetsTransitively() {
    Schema<X> s = Schema.of(X.class)
        .state(X.A, r -> r.add(X.B)).state(X.B, r -> r.add(X.C)).build();
    try (Machine<X> m = Machine.of(s).build()) {
      assertThat(m.add(X.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(X.A, X.B, X.C);
    }
  }

  @Test
  void R2_pulledStatesAreOptional() {
    Schema<X> s = Schema.of(X.class)
        .state(X.A, r -> r.add(X.B)).state(X.B, r -> r.require(X.E)).build();
    try (Machine<X> m = Machine.of(s).build()) {
      assertThat(m.add(X.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(X.A);
    }
  }

  @Test
  void R2_activeStatesDoNotPullAgain() {
    Schema<X> s = Schema.of(X.class).state(X.A, r -> r.add(X.B)).build();
    try (Machine<X> m = Machine.of(s).build()) {
      m.add(X.A);
      m.remove(X.B);
      m.add(X.A); // A is already active: it does not enter, so it pulls nothing
      assertThat(m.active()).containsExactly(X.A);
    }
  }

  @Test
  void R3_requirementsCascade() {
    Schema<X> s = Schema.of(X.class)
        .state(X.B, r -> r.require(X.A)).state(X.C, r -> r.require(X.B)).build();
    try (Machine<X> m = Machine.of(s).build()) {
      m.add(List.of(X.A, X.B, X.C), Args.NONE);
      assertThat(m.active()).containsExactly(X.A, X.B, X.C);
      assertThat(m.remove(X.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).isEmpty();
      assertThat(m.add(X.C).status()).isEqualTo(Status.CANCELED);
    }
  }

  @Test
  void R4_calledStateThatRemovesAnActiveStateWins() {
    Schema<X> s = Schema.of(X.class).state(X.B, r -> r.remove(X.A)).build();
    try (Machine<X> m = Machine.of(s).build()) {
      m.add(X.A);
      assertThat(m.add(X.B).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(X.B);
    }
  }

  @Test
  void R4_activeStateThatRemovesACalledStateBlocksIt() {
    Schema<X> s = Schema.of(X.class).state(X.A, r -> r.remove(X.B)).build();
    try (Machine<X> m = Machine.of(s).build()) {
      m.add(X.A);
      assertThat(m.add(X.B).status()).isEqualTo(Status.CANCELED);
      assertThat(m.active()).containsExactly(X.A);
    }
  }

  @Test
  void R4_calledStateThatRemovesTheBlockerBackWins() {
    Schema<X> s = Schema.of(X.class)
        .state(X.A, r -> r.remove(X.B)).state(X.B, r -> r.remove(X.A)).build();
    try (Machine<X> m = Machine.of(s).build()) {
      m.add(X.A);
      assertThat(m.add(X.B).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(X.B);
    }
  }

  @Test
  void R4_ofTwoCalledStatesTheFirstNamedSurvives() {
    Schema<X> s = Schema.of(X.class)
        .state(X.A, r -> r.remove(X.B)).state(X.B, r -> r.remove(X.A)).build();
    try (Machine<X> m = Machine.of(s).build()) {
      assertThat(m.add(List.of(X.B, X.A), Args.NONE).status()).isEqualTo(Status.CANCELED);
      assertThat(m.set(List.of(X.B, X.A), Args.NONE).status()).isEqualTo(Status.CANCELED);
      assertThat(m.active()).isEmpty();
    }
    // Partially: as an auto mutation the survivor is the first named (schema order for auto).
    Schema<X> auto = Schema.of(X.class)
        .state(X.A, r -> r.remove(X.B).auto()).state(X.B, r -> r.remove(X.A).auto()).build();
    try (Machine<X> m = Machine.of(auto).build()) {
      m.add(X.C);
      assertThat(m.active()).containsExactly(X.A, X.C);
    }
  }

  @Test
  void R4_ofTwoPulledStatesTheFirstDeclaredSurvives() {
    Schema<X> s = Schema.of(X.class)
        .state(X.A, r -> r.add(X.C, X.B))
        .state(X.B, r -> r.remove(X.C))
        .state(X.C, r -> r.remove(X.B))
        .build();
    try (Machine<X> m = Machine.of(s).build()) {
      assertThat(m.add(X.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(X.A, X.B);
    }
  }

  enum W { Wet, Dry, Water }

  @Test
  void R5_wetDryWater() {
    Schema<W> s = Schema.of(W.class)
        .state(W.Wet, r -> r.require(W.Water))
        .state(W.Dry, r -> r.remove(W.Water))
        .state(W.Water, r -> r.add(W.Wet).remove(W.Dry))
        .build();
    try (Machine<W> m = Machine.of(s).build()) {
      assertThat(m.add(W.Dry).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.add(W.Water).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(W.Wet, W.Water);
      assertThat(m.add(W.Dry).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(W.Dry);
    }
  }

  @Test
  void R5_aTargetDroppedInR4ComesBackOnceItsRemoverIsGone() {
    // A adds C; C is removed by active B; A removes B: in R4 C is dropped (B not yet dropped
    // when C is visited), B is dropped by A, and R5 pulls C back.
    Schema<X> s = Schema.of(X.class)
        .state(X.A, r -> r.add(X.C).remove(X.B))
        .state(X.B, r -> r.remove(X.C))
        .build();
    try (Machine<X> m = Machine.of(s).build()) {
      m.add(X.B);
      assertThat(m.add(X.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(X.A, X.C);
    }
  }

  @Test
  void R5_removeBeatsAdd() {
    Schema<X> s = Schema.of(X.class)
        .state(X.A, r -> r.add(X.B)).state(X.C, r -> r.remove(X.B)).build();
    try (Machine<X> m = Machine.of(s).build()) {
      m.add(X.C);
      assertThat(m.add(X.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.active()).containsExactly(X.A, X.C);
    }
  }

  @Test
  void R6_addIsCanceledWhenACalledStateIsDroppedAndRemoveIsAccepted() {
    Schema<X> s = Schema.of(X.class).state(X.B, r -> r.require(X.A)).build();
    try (Machine<X> m = Machine.of(s).build()) {
      assertThat(m.add(List.of(X.C, X.B), Args.NONE).status()).isEqualTo(Status.CANCELED);
      assertThat(m.active()).isEmpty();
      assertThat(m.remove(X.D).status()).isEqualTo(Status.EXECUTED);
    }
  }

  @Test
  void R7_toggleDecidesWhenItRuns() {
    try (Machine<X> m = Machine.of(Schema.of(X.class).build()).build()) {
      assertThat(m.toggle(X.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.is(X.A)).isTrue();
      assertThat(m.toggle(X.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.is(X.A)).isFalse();
    }
    // Queued behind a handler that adds A: the toggle sees A active and removes it.
    Machine<X> m = Machine.of(Schema.of(X.class).build())
        .onState(X.B, e -> {
          e.machine().toggle(X.A);
          e.machine().add(X.A);
        })
        .build();
    m.add(X.B);
    // Queue: toggle(A) then add(A): toggle ran first and added A, then add(A) kept it.
    assertThat(m.is(X.A)).isTrue();
    assertThat(m.tick(X.A)).isEqualTo(1);
    m.close();
  }

  @Test
  void R8_multiStateEntersAgainAndTicksByTwo() {
    Schema<X> s = Schema.of(X.class).state(X.A, r -> r.multi()).build();
    Recorder<X> rec = new Recorder<>();
    try (Machine<X> m = rec.builder(s, false).build()) {
      m.add(X.A);
      rec.take();
      assertThat(m.add(X.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.tick(X.A)).isEqualTo(3);
      assertThat(rec.take()).containsExactly("anyEnter", "aEnter", "aA", "aState", "anyState");
    }
  }

  @Test
  void R9_noOpRunsOnlySelfHandlersAndKeepsClocks() {
    Schema<X> s = Schema.of(X.class).build();
    Recorder<X> rec = new Recorder<>();
    try (Machine<X> m = rec.builder(s, false).build()) {
      m.add(X.A);
      rec.take();
      long t = m.snapshot().time();
      assertThat(m.add(X.A).status()).isEqualTo(Status.EXECUTED);
      assertThat(rec.take()).containsExactly("aA");
      assertThat(m.snapshot().time()).isEqualTo(t);
      rec.veto.add("aA");
      assertThat(m.add(X.A).status()).isEqualTo(Status.CANCELED);
      assertThat(m.remove(X.B).status()).isEqualTo(Status.EXECUTED);
      assertThat(rec.take()).containsExactly("aA");
    }
  }

  @Test
  void R1_unknownNamedStateIsRefusedWithItsName() {
    try (Machine<String> m = named(Schema.named("n").state("A").build())) {
      assertThatThrownBy(() -> m.add("Nope"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("unknown state 'Nope' in schema n; known states: [A, Exception]");
      assertThat(m.activeNames()).isEmpty();
    }
  }

  enum Err { Busy, Exception }

  @Test
  void S2_exceptionCannotBeRemovedOrMadeToRequire() {
    assertThatThrownBy(() -> Schema.of(Err.class).state(Err.Busy, r -> r.remove(Err.Exception))
        .build()).isInstanceOf(SchemaException.class)
        .hasMessageContaining("state 'Busy' removes the built-in state Exception");
    assertThatThrownBy(() -> Schema.of(Err.class).state(Err.Exception, r -> r.require(Err.Busy))
        .build()).hasMessageContaining("the built-in state Exception requires [Busy]");
  }

  // ---------------------------------------------------------------- R10 auto

  @Test
  void R10_anAutoStateThatDoesNotActivateHasNoEffect() {
    Schema<String> s = Schema.named("r10")
        .state("November")
        .state("Charlie", r -> r.auto().remove("Kilo"))
        .state("Kilo", r -> r.auto().remove("November"))
        .build();
    try (Machine<String> m = Machine.of(s).build()) {
      assertThat(m.set("November").status()).isEqualTo(Status.EXECUTED);
      // Resolved together, Kilo removes November and Charlie removes Kilo; Kilo is dropped and
      // the auto mutation resolved again with Charlie alone, which leaves November active.
      assertThat(m.activeNames()).containsExactly("November", "Charlie");
      assertThat(m.snapshot().tick("November")).isEqualTo(1);
      assertThat(m.snapshot().tick("Kilo")).isZero();
    }
  }

  @Test
  void R10_anAutoStateMissingItsRequirementPullsInNothing() {
    List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
    Schema<String> s = Schema.named("r10r")
        .state("Go")
        .state("Needed")
        .state("Eager", r -> r.auto().require("Needed").add("Target"))
        .state("Target")
        .build();
    try (Machine<String> m = Machine.of(s).onAnyEnter(e -> ran.add(e.kind().name())).build()) {
      assertThat(m.add("Go").status()).isEqualTo(Status.EXECUTED);
      assertThat(m.activeNames()).containsExactly("Go");
      assertThat(m.snapshot().tick("Target")).isZero(); // not pulled in by an Eager that failed
      assertThat(ran).containsExactly("ADD"); // no auto transition at all
      m.add("Needed");
      assertThat(m.activeNames()).containsExactly("Go", "Needed", "Eager", "Target");
    }
  }

  // ---------------------------------------------------------------- R11 explanation

  private static List<String> texts(Resolution r) {
    return r.steps().stream().map(Resolution.Step::text).toList();
  }

  @Test
  void R11_explainReportsPullsRequirementsAndRemovalsInOrder() {
    Schema<String> s = Schema.named("Conn")
        .state("Idle")
        .state("Session", r -> r.remove("Idle"))
        .state("Connecting", r -> r.add("Session").require("Session"))
        .state("Logged", r -> r.require("Auth"))
        .state("Auth")
        .build();
    Resolution r = s.explain(MutationKind.ADD, List.of("Connecting", "Logged"), List.of("Idle"));
    assertThat(r.target()).containsExactly("Session", "Connecting");
    assertThat(r.accepted()).isFalse();
    assertThat(r.refusal()).isEqualTo("Logged requires Auth");
    assertThat(texts(r)).containsExactly(
        "Connecting is called (R1)",
        "Logged is called (R1)",
        "Connecting adds Session (R2)",
        "Logged is dropped: it requires Auth (R3)",
        "Idle is dropped: Session removes it (R4)");
    Resolution.Step pull = r.steps().get(2);
    assertThat(pull).isEqualTo(new Resolution.Step("R2", Resolution.Change.PULLED, "Session",
        "Connecting", "add"));
  }

  @Test
  void R11_explainSkipsAConflictingSecondPassTarget() {
    Schema<X> s = Schema.of(X.class)
        .state(X.A, r -> r.add(X.B, X.C))
        .state(X.C, r -> r.remove(X.B))
        .state(X.D, r -> r.remove(X.C))
        .build();
    try (Machine<X> m = Machine.of(s).build()) {
      m.add(X.D);
      Resolution r = s.explain(MutationKind.ADD, List.of("A"), List.of("D"));
      Result done = m.add(X.A);
      assertThat(done.status()).isEqualTo(Status.EXECUTED);
      assertThat(r.accepted()).isTrue();
      assertThat(r.target()).isEqualTo(m.activeNames());
      assertThat(r.steps()).extracting(Resolution.Step::change).contains(Resolution.Change.PULLED);
      assertThat(texts(r)).contains("C is dropped: D removes it (R4)");
    }
  }

  @Test
  void R11_explainGivesTheRefusalAMachineGives() {
    Schema<X> s = Schema.of(X.class).state(X.A, r -> r.remove(X.B)).build();
    try (Machine<X> m = Machine.of(s).build()) {
      m.add(X.A);
      Result refused = m.add(X.B);
      Resolution r = s.explain(MutationKind.ADD, List.of("B"), List.of("A"));
      assertThat(r.accepted()).isFalse();
      assertThat(r.refusal()).isEqualTo(refused.reason()).isEqualTo("B is removed by A");
      assertThat(texts(r)).containsExactly("B is called (R1)", "B is dropped: A removes it (R4)");
    }
  }

  @Test
  void R11_explainOfRemoveSetAndClose() {
    Schema<X> s = Schema.of(X.class).state(X.B, r -> r.require(X.A)).build();
    assertThat(texts(s.explain(MutationKind.REMOVE, List.of("A"), List.of("A", "B"))))
        .containsExactly("A is dropped by the call (R1)", "B is dropped: it requires A (R3)");
    assertThat(texts(s.explain(MutationKind.SET, List.of("C"), List.of("A"))))
        .containsExactly("C is called (R1)", "A is dropped: set does not name it (R1)");
    Resolution close = s.explain(MutationKind.CLOSE, List.of(), List.of("A"));
    assertThat(close.target()).isEmpty();
    assertThat(close.accepted()).isTrue();
    assertThat(texts(close)).containsExactly("A is dropped: the machine closes (R1)");
  }

  @Test
  void R11_explainRefusesUnknownAndRepeatedStates() {
    Schema<X> s = Schema.of(X.class).build();
    assertThatThrownBy(() -> s.explain(MutationKind.ADD, List.of("Nope"), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown state 'Nope'");
    assertThatThrownBy(() -> s.explain(MutationKind.ADD, List.of("A"), List.of("Zed")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown state 'Zed'");
    assertThatThrownBy(() -> s.explain(MutationKind.ADD, List.of("A", "A"), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'A' is called twice");
  }
}
