package dev.stator.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.Machine;
import dev.stator.Schema;
import java.io.StringReader;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecordingFormatTest {
  enum Door { Open, Closed, Locked }

  static final Schema<Door> SCHEMA = Schema.of(Door.class)
      .state(Door.Open, s -> s.remove(Door.Closed, Door.Locked).tag("visible"))
      .state(Door.Closed, s -> s.remove(Door.Open))
      .state(Door.Locked, s -> s.require(Door.Closed))
      .build();

  static Recording sample() {
    AtomicLong ms = new AtomicLong(1_700_000_000_000L);
    History history = History.builder().clock(() -> Instant.ofEpochMilli(ms.addAndGet(250)))
        .build();
    try (Machine<Door> m = Machine.of(SCHEMA).id("door \"front\"").tracer(history.tracer())
        .onEnter(Door.Open, e -> !e.machine().is(Door.Locked))
        .onState(Door.Locked, e -> { throw new IllegalStateException("jammed\nbolt"); })
        .build()) {
      m.add(Door.Closed);
      m.add(Door.Locked);
      m.add(Door.Open);
      m.remove(Door.Locked);
      m.add(Door.Open);
    }
    return history.recording();
  }

  @Test
  void aRecordingSurvivesExportAndImport() throws Exception {
    Recording original = sample();
    String text = original.toJsonLines();
    Recording back = Recording.read(new StringReader(text));
    assertThat(back).isEqualTo(original);
    assertThat(back.toJsonLines()).isEqualTo(text);
    assertThat(back.records()).hasSize(original.records().size());
    Timeline t = back.timeline("door \"front\"");
    assertThat(t.records().get(1).handlers()).extracting(HandlerCall::failure)
        .containsExactly("java.lang.IllegalStateException: jammed\nbolt");
    assertThat(t.find(r -> r.error() != null)).singleElement()
        .satisfies(r -> assertThat(r.entered()).containsExactly("Exception"));
    assertThat(t.machine().schema()).isEqualTo(SCHEMA.data());
    assertThat(Schema.fromData(t.machine().schema()).hash()).isEqualTo(SCHEMA.hash());
  }

  @Test
  void theFormatIsOneVersionedHeaderThenMachinesThenTransitions() {
    String[] lines = sample().toJsonLines().split("\n");
    assertThat(lines[0]).isEqualTo(
        "{\"format\":\"stator-history\",\"version\":1,\"firstSequence\":0}");
    assertThat(lines[1]).startsWith("{\"type\":\"machine\",\"id\":\"door \\\"front\\\"\","
        + "\"schema\":{\"name\":\"Door\",\"hash\":\"" + SCHEMA.hash() + "\",\"states\":["
        + "{\"name\":\"Open\",\"require\":[],\"add\":[],\"remove\":[\"Closed\",\"Locked\"],"
        + "\"after\":[],\"multi\":false,\"auto\":false,\"tags\":[\"visible\"]}");
    assertThat(lines[2]).startsWith("{\"type\":\"transition\",\"seq\":0,\"machine\":\"door "
        + "\\\"front\\\"\",\"id\":1,\"kind\":\"add\",\"called\":[\"Closed\"],\"source\":null,"
        + "\"before\":[],\"after\":[\"Closed\"],\"entered\":[\"Closed\"],\"ticks\":[0,1,0,0],"
        + "\"status\":\"EXECUTED\",\"reason\":null,\"error\":null,"
        + "\"wall\":\"2023-11-14T22:13:20.250Z\",\"nanos\":");
    for (String line : lines) assertThat(Json.parse(line)).isNotNull();
  }

  @Test
  void unknownFieldsAndLinesOfTheSameVersionAreIgnored() {
    String plain = sample().toJsonLines();
    String extended = plain.replace("\"firstSequence\":0}",
        "\"firstSequence\":0,\"producer\":\"later\"}")
        .replace("\"handlers\":[", "\"note\":{\"x\":[1,2]},\"handlers\":[")
        + "{\"type\":\"annotation\",\"x\":1}\n";
    assertThat(extended).isNotEqualTo(plain);
    assertThat(Recording.parse(extended)).isEqualTo(Recording.parse(plain));
  }

  @Test
  void aLaterVersionOrAnotherFormatIsRefusedNamingTheLine() {
    assertThatThrownBy(() -> Recording.parse(
        "{\"format\":\"stator-history\",\"version\":2,\"firstSequence\":0}\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("line 1: history format version 2 is not supported (this reader knows 1 "
            + "to 1)");
    assertThatThrownBy(() -> Recording.parse("{\"format\":\"other\"}\n"))
        .hasMessageContaining("line 1: not a Stator history");
    assertThatThrownBy(() -> Recording.parse(""))
        .hasMessage("empty input: not a Stator history");
    String text = sample().toJsonLines();
    String broken = text.replaceFirst("\"ticks\":\\[0,1,0,0\\]", "\"ticks\":[0,1]");
    assertThatThrownBy(() -> Recording.parse(broken))
        .hasMessageContaining("line 3: transition door \"front\"/1 has 2 clocks for 4 states");
    assertThatThrownBy(() -> Recording.parse(text.replaceFirst("\"kind\":\"add\",", "\"kind\":")))
        .hasMessageStartingWith("line 3: expected ',' or '}' at column");
  }

  @Test
  void jsonEscapesRoundTrip() {
    String nasty = "a\"b\\c\n\t\u0001\u2028é😀";
    StringBuilder sb = new StringBuilder();
    Json.string(sb, nasty);
    assertThat(Json.parse(sb.toString())).isEqualTo(nasty);
    assertThat(Json.parse("{\"a\":[1,-2,3.5,true,null]}").toString())
        .isEqualTo("{a=[1, -2, 3.5, true, null]}");
  }
}
