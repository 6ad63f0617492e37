package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The invariant checker of the concurrency tests flags what it must (so its silence counts). */
class MachineInvariantsTest {
  enum T { A, B, C }

  static final Schema<T> SCHEMA = Schema.of(T.class)
      .state(T.A, r -> r.remove(T.B))
      .state(T.C, r -> r.require(T.A))
      .build();
  static final MachineInvariants INVARIANTS = new MachineInvariants(SCHEMA);

  @Test
  void consistentSetsPass() {
    assertThat(INVARIANTS.violations(0b000)).isEmpty();
    assertThat(INVARIANTS.violations(0b101)).isEmpty(); // A, C
    assertThat(INVARIANTS.violations(0b010)).isEmpty(); // B
  }

  @Test
  void aStateWithoutItsRequirementIsFlagged() {
    assertThat(INVARIANTS.violations(0b100)).singleElement().asString()
        .contains("C is active without its requirements [A]");
  }

  @Test
  void twoStatesThatRemoveEachOtherAreFlagged() {
    assertThat(INVARIANTS.violations(0b011)).singleElement().asString()
        .contains("A is active together with [B]");
  }

  @Test
  void aLiveMachinePasses() {
    try (Machine<T> m = Machine.of(SCHEMA).build()) {
      m.add(T.A);
      m.add(T.C);
      m.set(T.B); // A and C go
      assertThat(INVARIANTS.violations(m)).isEmpty();
      assertThat(m.activeNames()).containsExactly("B");
    }
  }
}
