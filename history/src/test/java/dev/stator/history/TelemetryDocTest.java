package dev.stator.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.Snapshot;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The history example of docs/telemetry.md, run: the door, its export and time travel. */
class TelemetryDocTest {
  enum Door { Open, Closed, Locked }

  static final Schema<Door> SCHEMA = Schema.of(Door.class)
      .state(Door.Open, s -> s.remove(Door.Closed, Door.Locked))
      .state(Door.Closed, s -> s.remove(Door.Open))
      .state(Door.Locked, s -> s.require(Door.Closed))
      .build();

  @Test
  void theDocsTimeTravelExample() {
    AtomicLong ms = new AtomicLong(Instant.parse("2026-12-02T10:00:00Z").toEpochMilli());
    History history = History.builder().clock(() -> Instant.ofEpochMilli(ms.addAndGet(250)))
        .build();
    try (Machine<Door> door = Machine.of(SCHEMA).id("door-1").tracer(history.tracer())
        .onEnter(Door.Open, e -> !e.machine().is(Door.Locked)).build()) {
      door.add(Door.Closed);
      door.add(Door.Locked);
      door.add(Door.Open);

      Timeline t = history.recording().timeline(door.id());
      assertThat(t.activeAt("Locked", Instant.parse("2026-12-02T10:00:00.600Z"))).isTrue();
      assertThat(t.latest("Locked").orElseThrow().transitionId()).isEqualTo(2);
      assertThat(t.find(r -> !r.executed()).get(0).reason())
          .isEqualTo("handler openEnter refused");
      Snapshot then = t.snapshotAt(2);
      assertThat(then.activeNames()).containsExactly("Closed", "Locked");
      assertThat(then.ticks()).containsExactly(0, 1, 1, 0);
      try (Machine<Door> replay = Machine.of(SCHEMA).restore(then).build()) {
        assertThat(replay.is(Door.Locked)).isTrue();
      }
    }
    String[] lines = history.recording().toJsonLines().split("\n");
    assertThat(lines).hasSize(6);
    assertThat(lines[4]).contains("\"status\":\"CANCELED\",\"reason\":\"handler openEnter "
        + "refused\"", "\"wall\":\"2026-12-02T10:00:00.750Z\"");
    assertThat(lines[5]).contains("\"kind\":\"close\"", "\"ticks\":[0,2,2,0]");
  }
}
