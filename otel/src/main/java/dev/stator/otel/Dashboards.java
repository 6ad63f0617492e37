package dev.stator.otel;

import dev.stator.Schema;
import dev.stator.history.MachineInfo;
import dev.stator.history.Recording;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a Grafana dashboard (JSON model, schema version {@value #SCHEMA_VERSION}) for the
 * machines of one schema, reading the metrics {@link StatorTelemetry} (or the Micrometer
 * binder) exports, as a Prometheus data source names them ({@code stator.transitions} is
 * {@code stator_transitions_total}, attribute {@code stator.state} is label
 * {@code stator_state}). Import the file in Grafana as it is (Dashboards, New, Import); it asks
 * for a Prometheus data source through its {@code datasource} variable.
 *
 * <p>Panels: transitions per second by mutation kind and result; handler latency p50, p90 and
 * p99 by state and phase; errors, handler failures, timeouts and scope failures per second;
 * queue size and open machines; then one panel per state: the number of machines in which it is
 * active, over time.
 *
 * {@snippet :
 * String json = Dashboards.grafana(SCHEMA);                // library call
 * // or from a recording's schema, on the command line:
 * //   java -cp ... dev.stator.otel.Dashboards history.jsonl > conn-dashboard.json
 * }
 */
public final class Dashboards {
  /** The Grafana dashboard JSON schema version written. */
  public static final int SCHEMA_VERSION = 39;

  private Dashboards() {}

  /** The dashboard for {@code schema}, as JSON text. */
  public static String grafana(Schema<?> schema) {
    return grafana(schema.data());
  }

  /** The dashboard for a schema given as data, as JSON text. */
  public static String grafana(Schema.SchemaData schema) {
    return JsonText.write(model(schema)) + "\n";
  }

  /**
   * Writes a dashboard for each schema of a recording ({@code dev.stator.history} JSON lines):
   * {@code Dashboards <recording.jsonl | -> [output directory]}; with no directory the (first)
   * dashboard goes to standard output.
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: Dashboards <recording.jsonl | -> [output directory]");
      System.exit(2);
      return;
    }
    Recording recording;
    try (Reader in = args[0].equals("-")
        ? new InputStreamReader(System.in, StandardCharsets.UTF_8)
        : Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
      recording = Recording.read(in);
    }
    Map<String, Schema.SchemaData> schemas = new LinkedHashMap<>();
    for (MachineInfo m : recording.machines()) schemas.putIfAbsent(m.kind(), m.schema());
    if (schemas.isEmpty()) {
      System.err.println("the recording holds no machine");
      System.exit(1);
      return;
    }
    if (args.length == 1) {
      System.out.print(grafana(schemas.values().iterator().next()));
      return;
    }
    Path dir = Files.createDirectories(Path.of(args[1]));
    for (Schema.SchemaData s : schemas.values()) {
      Path out = dir.resolve(slug(s.name()) + "-dashboard.json");
      Files.writeString(out, grafana(s), StandardCharsets.UTF_8);
      System.out.println(out);
    }
  }

  /** The dashboard as maps and lists (the JSON model). */
  static Map<String, Object> model(Schema.SchemaData schema) {
    Objects.requireNonNull(schema, "schema");
    String kind = schema.name();
    String sel = "stator_machine_kind=\"" + promEscape(kind) + "\"";
    List<Object> panels = new ArrayList<>();
    Layout layout = new Layout();
    panels.add(row(layout, "Transitions and handlers"));
    panels.add(panel(layout, 12, "Transitions per second", "ops", List.of(
        target("A", "sum by (stator_mutation_kind, stator_transition_result) (rate("
            + "stator_transitions_total{" + sel + "}[$__rate_interval]))",
            "{{stator_mutation_kind}} {{stator_transition_result}}"))));
    List<Object> latency = new ArrayList<>();
    String[] refs = {"A", "B", "C"};
    double[] qs = {0.5, 0.9, 0.99};
    for (int i = 0; i < qs.length; i++) {
      latency.add(target(refs[i], "histogram_quantile(" + qs[i] + ", sum by (le, stator_state, "
          + "stator_handler_phase) (rate(stator_handler_duration_seconds_bucket{" + sel
          + "}[$__rate_interval])))", "p" + Math.round(qs[i] * 100)
          + " {{stator_state}} {{stator_handler_phase}}"));
    }
    panels.add(panel(layout, 12, "Handler latency (p50, p90, p99)", "s", latency));
    panels.add(panel(layout, 12, "Errors per second", "ops", List.of(
        target("A", "sum by (stator_state, error_type) (rate(stator_errors_total{" + sel
            + "}[$__rate_interval]))", "error {{stator_state}} {{error_type}}"),
        target("B", "sum by (stator_state, stator_handler_phase) (rate("
            + "stator_handler_failures_total{" + sel + "}[$__rate_interval]))",
            "handler failure {{stator_state}} {{stator_handler_phase}}"),
        target("C", "sum by (stator_state) (rate(stator_handler_timeouts_total{" + sel
            + "}[$__rate_interval]))", "timeout {{stator_state}}"),
        target("D", "sum by (stator_state) (rate(stator_scope_failures_total{" + sel
            + "}[$__rate_interval]))", "scope failure {{stator_state}}"))));
    panels.add(panel(layout, 12, "Queue size and open machines", "short", List.of(
        target("A", "sum(stator_queue_size{" + sel + "})", "queued mutations"),
        target("B", "sum(stator_machines{" + sel + "})", "open machines"))));
    panels.add(row(layout, "States (machines in which each state is active)"));
    for (Schema.StateData s : schema.states()) {
      panels.add(panel(layout, 8, s.name() + " active", "short", List.of(
          target("A", "sum(stator_state_active{" + sel + ",stator_state=\""
              + promEscape(s.name()) + "\"})", s.name()))));
    }
    for (int i = 0; i < panels.size(); i++) {
      @SuppressWarnings("unchecked")
      Map<String, Object> p = (Map<String, Object>) panels.get(i);
      p.put("id", i + 1);
    }

    Map<String, Object> datasource = new LinkedHashMap<>();
    datasource.put("name", "datasource");
    datasource.put("label", "Data source");
    datasource.put("type", "datasource");
    datasource.put("query", "prometheus");
    datasource.put("current", obj());
    datasource.put("hide", 0);
    datasource.put("refresh", 1);
    datasource.put("options", List.of());

    Map<String, Object> d = new LinkedHashMap<>();
    d.put("title", "Stator " + kind);
    d.put("uid", uid(kind));
    d.put("description", "Machines of schema " + kind + " (" + schema.states().size()
        + " states), from Stator's telemetry. Generated by dev.stator.otel.Dashboards.");
    d.put("tags", List.of("stator", kind));
    d.put("editable", true);
    d.put("graphTooltip", 1);
    d.put("schemaVersion", SCHEMA_VERSION);
    d.put("version", 1);
    d.put("refresh", "30s");
    d.put("time", obj("from", "now-1h", "to", "now"));
    d.put("timezone", "browser");
    d.put("templating", obj("list", List.of(datasource)));
    d.put("annotations", obj("list", List.of()));
    d.put("links", List.of());
    d.put("panels", panels);
    return d;
  }

  /** Places panels left to right on Grafana's 24-column grid, wrapping to new rows. */
  private static final class Layout {
    int x;
    int y;
    int rowHeight;

    Map<String, Object> place(int w, int h) {
      if (x + w > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      Map<String, Object> pos = new LinkedHashMap<>();
      pos.put("h", h);
      pos.put("w", w);
      pos.put("x", x);
      pos.put("y", y);
      x += w;
      rowHeight = Math.max(rowHeight, h);
      return pos;
    }

    Map<String, Object> fullRow() {
      if (x > 0) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      return place(24, 1);
    }
  }

  private static Map<String, Object> row(Layout layout, String title) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("type", "row");
    p.put("title", title);
    p.put("collapsed", false);
    p.put("gridPos", layout.fullRow());
    p.put("panels", List.of());
    return p;
  }

  private static Map<String, Object> panel(Layout layout, int width, String title, String unit,
      List<Object> targets) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("type", "timeseries");
    p.put("title", title);
    p.put("gridPos", layout.place(width, 8));
    p.put("datasource", obj("type", "prometheus", "uid", "${datasource}"));
    p.put("fieldConfig", obj("defaults", obj("unit", unit), "overrides", List.of()));
    p.put("options", obj("legend", obj("displayMode", "list", "placement", "bottom",
        "showLegend", true), "tooltip", obj("mode", "multi", "sort", "none")));
    p.put("targets", targets);
    return p;
  }

  private static Map<String, Object> target(String ref, String expr, String legend) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("refId", ref);
    t.put("datasource", obj("type", "prometheus", "uid", "${datasource}"));
    t.put("expr", expr);
    t.put("legendFormat", legend);
    t.put("range", true);
    return t;
  }

  /** An ordered JSON object from key, value, key, value, ... (Map.of has no stable order). */
  private static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  /** A stable uid of at most 40 characters (Grafana's limit). */
  static String uid(String kind) {
    String slug = slug(kind);
    String hash = Integer.toHexString(kind.hashCode());
    String base = "stator-" + slug;
    if (base.length() > 31) base = base.substring(0, 31);
    return base + "-" + hash;
  }

  private static String slug(String name) {
    String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-")
        .replaceAll("(^-|-$)", "");
    return s.isEmpty() ? "schema" : s;
  }

  private static String promEscape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
