package dev.stator.diagram;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.Schema.SchemaData;
import dev.stator.Schema.StateData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiagramTest {
  enum Door { Open, Closed, Locked }

  static final Schema<Door> DOOR = Schema.of(Door.class)
      .state(Door.Open, s -> s.remove(Door.Closed, Door.Locked))
      .state(Door.Closed, s -> s.remove(Door.Open))
      .state(Door.Locked, s -> s.require(Door.Closed))
      .build();

  enum Conn { Session, Connecting, Connected, Ready, Heartbeat, Exception }

  static final Schema<Conn> CONN = Schema.of(Conn.class)
      .state(Conn.Connecting, s -> s.add(Conn.Session).remove(Conn.Connected))
      .state(Conn.Connected, s -> s.require(Conn.Session).remove(Conn.Connecting))
      .state(Conn.Ready, s -> s.require(Conn.Connected).auto().after(Conn.Connected))
      .state(Conn.Heartbeat, s -> s.multi().require(Conn.Connected))
      .build();

  static final String DOOR_MERMAID = """
      flowchart LR
        s0["Open"]
        s1["Closed"]
        s2["Locked"]
        s0 x--x|remove each other| s1
        s0 --x|removes| s2
        s2 -->|requires| s1
      """;

  @Test
  void mermaidDrawsEveryRelationOnceAndHidesAnUnrelatedException() {
    assertThat(Diagram.of(DOOR).mermaid()).isEqualTo(DOOR_MERMAID);
  }

  @Test
  void mermaidMarksAutoMultiAndTheActiveStates() {
    assertThat(Diagram.of(CONN).highlight(List.of("Session", "Connected")).mermaid())
        .isEqualTo("""
            flowchart LR
              s0["Session"]
              s1["Connecting"]
              s2["Connected"]
              s3(["Ready (auto)"])
              s4[["Heartbeat (multi)"]]
              s1 ==>|adds| s0
              s1 x--x|remove each other| s2
              s2 -->|requires| s0
              s3 -->|requires| s2
              s3 -.->|after| s2
              s4 -->|requires| s2
              classDef active fill:#d4f7d4,stroke:#2e7d32,stroke-width:2px
              class s0,s2 active
            """);
  }

  @Test
  void dotDrawsTheSameGraph() {
    assertThat(Diagram.of(CONN).highlight(List.of("Ready", "Session", "Connected")).dot())
        .isEqualTo("""
            digraph "Conn" {
              rankdir=LR;
              node [shape=box, style=rounded];
              s0 [label="Session", style="rounded,filled", fillcolor="#d4f7d4"];
              s1 [label="Connecting"];
              s2 [label="Connected", style="rounded,filled", fillcolor="#d4f7d4"];
              s3 [label="Ready (auto)", style="rounded,dashed,filled", fillcolor="#d4f7d4"];
              s4 [label="Heartbeat (multi)", peripheries=2];
              s1 -> s0 [label="adds", style=bold];
              s1 -> s2 [label="remove each other", style=dashed, color="#b71c1c", arrowhead=tee, dir=both, arrowtail=tee];
              s2 -> s0 [label="requires"];
              s3 -> s2 [label="requires"];
              s3 -> s2 [label="after", style=dotted];
              s4 -> s2 [label="requires"];
            }
            """);
  }

  @Test
  void theExceptionStateIsDrawnWhenRelatedOrActive() {
    Schema<String> s = Schema.named("w")
        .state("Worker", r -> r.require(Schema.EXCEPTION))
        .build();
    assertThat(Diagram.of(s).mermaid()).contains("[\"Exception (multi)\"]")
        .contains("-->|requires|");
    Schema<String> quiet = Schema.named("q").state("Idle").build();
    assertThat(Diagram.of(quiet).mermaid()).doesNotContain("Exception");
    assertThat(Diagram.of(quiet).highlight(List.of(Schema.EXCEPTION)).mermaid())
        .contains("Exception (multi)").contains("class s1 active");
  }

  @Test
  void namesAreEscapedAndNodeIdsNeverComeFromNames() {
    SchemaData data = new SchemaData("odd \"schema\"", List.of(
        new StateData("a \"b\" <c> #1", List.of(), List.of(), List.of(), List.of(), false, false,
            List.of()),
        new StateData("back\\slash", List.of("a \"b\" <c> #1"), List.of(), List.of(),
            List.of(), false, false, List.of())));
    Diagram d = Diagram.of(data);
    assertThat(d.mermaid()).contains("s0[\"a #quot;b#quot; #lt;c#gt; #35;1\"]")
        .contains("s1 -->|requires| s0");
    assertThat(d.dot()).startsWith("digraph \"odd \\\"schema\\\"\" {")
        .contains("s0 [label=\"a \\\"b\\\" <c> #1\"];")
        .contains("s1 [label=\"back\\\\slash\"];");
  }

  @Test
  void highlightingAnUnknownStateNamesIt() {
    assertThatThrownBy(() -> Diagram.of(DOOR).highlight(List.of("Open", "Ajar")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("schema Door has no state 'Ajar' to highlight; its states are "
            + "[Open, Closed, Locked, Exception]");
  }

  @Test
  void aSnapshotHighlightsWhatIsActive() {
    try (Machine<Door> m = Machine.of(DOOR).build()) {
      m.add(Door.Closed, Door.Locked);
      assertThat(Diagram.of(DOOR).highlight(m.snapshot()).mermaid())
          .endsWith("  class s1,s2 active\n");
    }
  }

  /** The README shows the Door diagram; it must be what the library draws. */
  @Test
  void theReadmeDiagramIsTheGeneratedOne() throws IOException {
    String readme = Files.readString(Path.of("..", "README.md"));
    assertThat(readme).contains("```mermaid\n" + DOOR_MERMAID + "```");
  }
}
