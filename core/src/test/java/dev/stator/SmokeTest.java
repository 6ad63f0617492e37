package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SmokeTest {
  enum W { Wet, Dry, Water }

  @Test
  void wetDryWater() {
    Schema<W> s = Schema.of(W.class)
        .state(W.Wet, r -> r.require(W.Water))
        .state(W.Dry, r -> r.remove(W.Water))
        .state(W.Water, r -> r.add(W.Wet).remove(W.Dry))
        .build();
    List<String> calls = new ArrayList<>();
    class H {
      void wetState(Event<W> e) { calls.add("wetState"); }
      boolean dryExit(Event<W> e) { calls.add("dryExit"); return true; }
      void waterState(Event<W> e) { calls.add("waterState"); }
      void dryEnd(Event<W> e) { calls.add("dryEnd"); }
    }
    try (Machine<W> m = Machine.of(s).handlers(new H()).log().build()) {
      assertThat(m.add(W.Dry).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.add(W.Water).status()).isEqualTo(Status.EXECUTED);
      assertThat(m.activeNames()).containsExactly("Wet", "Water");
      assertThat(calls).containsExactly("dryExit", "dryEnd", "waterState", "wetState");
      assertThat(m.tick(W.Dry)).isEqualTo(2);
      assertThat(m.tick(W.Water)).isEqualTo(1);
    }
  }
}
