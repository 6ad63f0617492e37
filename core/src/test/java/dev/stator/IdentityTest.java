package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** docs/spec.md §10 (identity): unique ids, and an enumeration of live machines that holds them weakly. */
class IdentityTest {
  enum S { A }

  static final Schema<S> SCHEMA = Schema.of(S.class).build();

  @Test
  void idsAreUniqueWithinTheProcess() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 1_000; i++) {
      try (Machine<S> m = Machine.of(SCHEMA).build()) {
        assertThat(ids.add(m.id())).isTrue();
      }
    }
    assertThat(ids).allMatch(id -> id.startsWith("S#"));
  }

  @Test
  void listedMachinesAreEnumeratedUntilClosed() {
    Machine<S> unlisted = Machine.of(SCHEMA).build();
    Machine<S> listed = Machine.of(SCHEMA).id("inspect-me").listed().build();
    assertThat(Machine.listed()).contains(listed).doesNotContain(unlisted);
    listed.close();
    unlisted.close();
    assertThat(Machine.listed()).doesNotContain(listed);
  }

  @Test
  void theListNeverKeepsAMachineAlive() {
    WeakReference<Machine<S>> ref = new WeakReference<>(Machine.of(SCHEMA).listed().build());
    for (int i = 0; i < 50 && ref.get() != null; i++) System.gc(); // bounded; GC is the subject
    assertThat(ref.get()).as("collected while listed").isNull();
    assertThat(Machine.listed()).allMatch(m -> m != null);
  }
}
