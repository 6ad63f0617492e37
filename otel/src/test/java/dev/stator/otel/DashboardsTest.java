package dev.stator.otel;

import static dev.stator.otel.Fixtures.SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.history.History;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the generated dashboard against the structure of Grafana's dashboard JSON model
 * (grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model):
 * the required top-level fields, unique panel ids, a grid of 24 columns without overlaps,
 * data sources that refer to the dashboard's data source variable, unique refIds per panel.
 */
class DashboardsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Fails with what is wrong if {@code d} is not a valid Grafana dashboard model. */
  static void assertGrafanaDashboard(JsonNode d) {
    assertThat(d.isObject()).isTrue();
    assertThat(d.path("title").isTextual()).as("title").isTrue();
    assertThat(d.path("uid").asText()).as("uid").matches("[a-zA-Z0-9_-]{1,40}");
    assertThat(d.path("schemaVersion").isInt()).as("schemaVersion").isTrue();
    assertThat(d.path("version").isInt()).isTrue();
    assertThat(d.path("time").path("from").isTextual()).isTrue();
    assertThat(d.path("time").path("to").isTextual()).isTrue();
    assertThat(d.path("tags").isArray()).isTrue();
    assertThat(d.has("id")).as("no id: Grafana assigns it on import").isFalse();
    JsonNode vars = d.path("templating").path("list");
    assertThat(vars.isArray()).isTrue();
    Set<String> varNames = new HashSet<>();
    for (JsonNode v : vars) {
      assertThat(v.path("name").isTextual()).isTrue();
      assertThat(v.path("type").asText()).isIn("datasource", "query", "custom", "constant",
          "interval", "textbox", "adhoc");
      varNames.add(v.path("name").asText());
    }
    JsonNode panels = d.path("panels");
    assertThat(panels.isArray()).isTrue();
    Set<Integer> ids = new HashSet<>();
    List<int[]> boxes = new ArrayList<>();
    for (JsonNode p : panels) {
      String what = "panel " + p.path("title").asText();
      assertThat(p.path("id").isInt()).as(what + " id").isTrue();
      assertThat(ids.add(p.path("id").asInt())).as(what + " id unique").isTrue();
      assertThat(p.path("type").asText()).as(what).isIn("row", "timeseries", "stat", "gauge",
          "table", "text", "state-timeline");
      JsonNode g = p.path("gridPos");
      int x = g.path("x").asInt(-1);
      int y = g.path("y").asInt(-1);
      int w = g.path("w").asInt(-1);
      int h = g.path("h").asInt(-1);
      assertThat(x).as(what + " x").isBetween(0, 23);
      assertThat(w).as(what + " w").isBetween(1, 24);
      assertThat(x + w).as(what + " right edge").isLessThanOrEqualTo(24);
      assertThat(y).as(what + " y").isNotNegative();
      assertThat(h).as(what + " h").isPositive();
      for (int[] b : boxes) {
        boolean overlap = x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h;
        assertThat(overlap).as(what + " overlaps another panel").isFalse();
      }
      boxes.add(new int[] {x, y, w, h});
      if (p.path("type").asText().equals("row")) {
        assertThat(p.path("panels").isArray()).isTrue();
        continue;
      }
      assertThat(p.path("datasource").path("uid").asText()).as(what)
          .isEqualTo("${" + vars.get(0).path("name").asText() + "}");
      assertThat(varNames).contains("datasource");
      JsonNode targets = p.path("targets");
      assertThat(targets.size()).as(what + " targets").isPositive();
      Set<String> refs = new HashSet<>();
      for (JsonNode t : targets) {
        assertThat(refs.add(t.path("refId").asText())).as(what + " refId unique").isTrue();
        assertThat(t.path("expr").asText()).as(what + " expr").isNotBlank();
      }
      assertThat(p.path("fieldConfig").path("defaults").isObject()).isTrue();
    }
  }

  @Test
  void theDashboardOfASchemaIsAValidGrafanaModelWithAPanelPerState() throws Exception {
    JsonNode d = JSON.readTree(Dashboards.grafana(SCHEMA));
    assertGrafanaDashboard(d);
    assertThat(d.path("title").asText()).isEqualTo("Stator Conn");
    List<String> titles = new ArrayList<>();
    d.path("panels").forEach(p -> titles.add(p.path("title").asText()));
    assertThat(titles).contains("Transitions per second", "Handler latency (p50, p90, p99)",
        "Errors per second", "Queue size and open machines");
    for (String state : SCHEMA.names()) assertThat(titles).contains(state + " active");
    String all = d.toString();
    assertThat(all).contains("rate(stator_transitions_total{stator_machine_kind=\\\"Conn\\\"}")
        .contains("histogram_quantile(0.99, sum by (le, stator_state, stator_handler_phase) "
            + "(rate(stator_handler_duration_seconds_bucket{")
        .contains("stator_state_active{stator_machine_kind=\\\"Conn\\\",stator_state="
            + "\\\"Connected\\\"}");
  }

  @Test
  void theOutputIsStableAndAWideSchemaStillFitsTheGrid() throws Exception {
    assertThat(Dashboards.grafana(SCHEMA)).isEqualTo(Dashboards.grafana(SCHEMA.data()));
    Schema.Builder<String> b = Schema.named("A very long schema name with \"quotes\" & more");
    for (int i = 0; i < 40; i++) b.state("S" + i);
    Schema<String> wide = b.build();
    JsonNode d = JSON.readTree(Dashboards.grafana(wide));
    assertGrafanaDashboard(d);
    assertThat(d.path("panels").size()).isEqualTo(6 + wide.size());
  }

  @Test
  void theMainWritesADashboardPerSchemaOfARecording(@TempDir Path dir) throws Exception {
    History history = History.builder().build();
    try (Machine<Fixtures.Conn> m = Machine.of(SCHEMA).tracer(history.tracer()).build()) {
      m.add(Fixtures.Conn.Connecting);
    }
    Path recording = dir.resolve("run.jsonl");
    Files.writeString(recording, history.recording().toJsonLines());
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      Dashboards.main(new String[] {recording.toString(), dir.resolve("out").toString()});
    } finally {
      System.setOut(old);
    }
    Path written = dir.resolve("out/conn-dashboard.json");
    assertThat(out.toString(StandardCharsets.UTF_8).trim()).isEqualTo(written.toString());
    assertThat(Files.readString(written)).isEqualTo(Dashboards.grafana(SCHEMA));
  }
}
