package dev.stator.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A short run of {@link InspectorCost}: its figures are for docs/inspector.md, not asserted. */
class InspectorCostTest {
  @Test
  void aShortCostRunCompletesAndTheClientGetsEveryRecordOrIsToldItSampledOrToResync()
      throws Exception {
    InspectorCost.Figures f = InspectorCost.run(Duration.ofMillis(500), 2_000, 20_000);
    assertThat(f.made()).isPositive();
    assertThat(f.received() + f.sampled() == f.made() || f.resyncs() > 0).as("%s", f).isTrue();
    assertThat(f.aloneNs()).isPositive();
    assertThat(f.inspectedNs()).isPositive();
  }
}
