package dev.stator.diagram;

import dev.stator.Schema;
import dev.stator.Schema.SchemaData;
import dev.stator.Schema.StateData;
import dev.stator.Snapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A schema as diagram text: a Mermaid flowchart ({@link #mermaid()}) or a Graphviz DOT graph
 * ({@link #dot()}). States are nodes in schema order; each relation is an edge from the state
 * that declares it, labelled and drawn by kind:
 *
 * <table>
 *   <caption>Edges</caption>
 *   <tr><th>relation</th><th>label</th><th>Mermaid</th><th>DOT</th></tr>
 *   <tr><td>{@code require}</td><td>requires</td><td>{@code -->}</td><td>solid</td></tr>
 *   <tr><td>{@code add}</td><td>adds</td><td>{@code ==>}</td><td>bold</td></tr>
 *   <tr><td>{@code remove}</td><td>removes</td><td>{@code --x}</td><td>dashed, tee head</td></tr>
 *   <tr><td>{@code after}</td><td>after</td><td>{@code -.->}</td><td>dotted</td></tr>
 * </table>
 *
 * Two states that remove each other get one edge marked at both ends ("remove each other").
 * {@code auto} and {@code multi} states say so in their label (and Mermaid draws them as a
 * stadium and a subroutine). The built-in {@code Exception} state is drawn only if it has a
 * relation, another state names it, or it is highlighted. {@link #highlight} marks active
 * states ({@code classDef active} in Mermaid, a filled node in DOT).
 *
 * <p>Immutable and thread-safe: {@code highlight} returns a new diagram. Node identifiers are
 * {@code s0, s1, …} in schema order, so any state name is safe; labels are escaped.
 */
public final class Diagram {
  private final SchemaData schema;
  private final Set<String> active;

  private Diagram(SchemaData schema, Set<String> active) {
    this.schema = schema;
    this.active = active;
  }

  /** The diagram of a schema. */
  public static Diagram of(Schema<?> schema) {
    return of(Objects.requireNonNull(schema, "schema").data());
  }

  /** The diagram of a schema given as data (for example one read from a recording). */
  public static Diagram of(SchemaData schema) {
    return new Diagram(Objects.requireNonNull(schema, "schema"), Set.of());
  }

  /**
   * The same diagram with the named states highlighted as active.
   *
   * @throws IllegalArgumentException naming the first state the schema does not have
   */
  public Diagram highlight(Collection<String> activeStates) {
    Set<String> names = new LinkedHashSet<>();
    for (StateData s : schema.states()) names.add(s.name());
    Set<String> chosen = new LinkedHashSet<>();
    for (String a : Objects.requireNonNull(activeStates, "activeStates")) {
      if (!names.contains(a)) {
        throw new IllegalArgumentException("schema " + schema.name() + " has no state '" + a
            + "' to highlight; its states are " + names);
      }
      chosen.add(a);
    }
    return new Diagram(schema, Set.copyOf(chosen));
  }

  /** The same diagram with the snapshot's active states highlighted. */
  public Diagram highlight(Snapshot snapshot) {
    return highlight(Objects.requireNonNull(snapshot, "snapshot").activeNames());
  }

  /** The diagram as a Mermaid flowchart, one statement per line, ending with a newline. */
  public String mermaid() {
    Map<String, Integer> index = index();
    StringBuilder out = new StringBuilder("flowchart LR\n");
    List<StateData> shown = shown();
    for (StateData s : shown) {
      String id = "s" + index.get(s.name());
      String label = mermaidText(label(s));
      if (s.auto()) {
        out.append("  ").append(id).append("([\"").append(label).append("\"])\n");
      } else if (s.multi()) {
        out.append("  ").append(id).append("[[\"").append(label).append("\"]]\n");
      } else {
        out.append("  ").append(id).append("[\"").append(label).append("\"]\n");
      }
    }
    for (Edge e : edges()) {
      String link = switch (e.kind) {
        case REQUIRE -> "-->";
        case ADD -> "==>";
        case REMOVE -> e.mutual ? "x--x" : "--x";
        case AFTER -> "-.->";
      };
      out.append("  s").append(index.get(e.from)).append(' ').append(link).append('|')
          .append(e.label()).append("| s").append(index.get(e.to)).append('\n');
    }
    if (!active.isEmpty()) {
      out.append("  classDef active fill:#d4f7d4,stroke:#2e7d32,stroke-width:2px\n");
      List<String> ids = new ArrayList<>();
      for (StateData s : shown) {
        if (active.contains(s.name())) ids.add("s" + index.get(s.name()));
      }
      out.append("  class ").append(String.join(",", ids)).append(" active\n");
    }
    return out.toString();
  }

  /** The diagram as a Graphviz DOT digraph, ending with a newline. */
  public String dot() {
    Map<String, Integer> index = index();
    StringBuilder out = new StringBuilder("digraph ").append(dotText(schema.name()))
        .append(" {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for (StateData s : shown()) {
      out.append("  s").append(index.get(s.name())).append(" [label=")
          .append(dotText(label(s)));
      if (s.multi()) out.append(", peripheries=2");
      String style = s.auto() ? "rounded,dashed" : "rounded";
      if (active.contains(s.name())) {
        out.append(", style=\"").append(style).append(",filled\", fillcolor=\"#d4f7d4\"");
      } else if (s.auto()) {
        out.append(", style=\"").append(style).append('"');
      }
      out.append("];\n");
    }
    for (Edge e : edges()) {
      out.append("  s").append(index.get(e.from)).append(" -> s").append(index.get(e.to))
          .append(" [label=").append(dotText(e.label()));
      switch (e.kind) {
        case REQUIRE -> { }
        case ADD -> out.append(", style=bold");
        case REMOVE -> out.append(", style=dashed, color=\"#b71c1c\", arrowhead=tee")
            .append(e.mutual ? ", dir=both, arrowtail=tee" : "");
        case AFTER -> out.append(", style=dotted");
      }
      out.append("];\n");
    }
    return out.append("}\n").toString();
  }

  @Override
  public String toString() {
    return "Diagram[" + schema.name() + (active.isEmpty() ? "" : ", active " + active) + "]";
  }

  // ------------------------------------------------------------------ model

  private enum Kind { REQUIRE, ADD, REMOVE, AFTER }

  private record Edge(String from, String to, Kind kind, boolean mutual) {
    String label() {
      return switch (kind) {
        case REQUIRE -> "requires";
        case ADD -> "adds";
        case REMOVE -> mutual ? "remove each other" : "removes";
        case AFTER -> "after";
      };
    }
  }

  private Map<String, Integer> index() {
    Map<String, Integer> index = new HashMap<>();
    List<StateData> states = schema.states();
    for (int i = 0; i < states.size(); i++) index.put(states.get(i).name(), i);
    return index;
  }

  /** The states drawn: all but an Exception that nothing relates to and is not active. */
  private List<StateData> shown() {
    Set<String> referenced = new LinkedHashSet<>();
    for (StateData s : schema.states()) {
      referenced.addAll(s.require());
      referenced.addAll(s.add());
      referenced.addAll(s.remove());
      referenced.addAll(s.after());
    }
    List<StateData> out = new ArrayList<>();
    for (StateData s : schema.states()) {
      boolean quiet = s.require().isEmpty() && s.add().isEmpty() && s.remove().isEmpty()
          && s.after().isEmpty() && !referenced.contains(s.name());
      if (s.name().equals(Schema.EXCEPTION) && quiet && !active.contains(s.name())) continue;
      out.add(s);
    }
    return out;
  }

  /** Every relation as an edge, in schema order; a mutual removal once, from the first. */
  private List<Edge> edges() {
    Map<String, StateData> byName = new HashMap<>();
    for (StateData s : schema.states()) byName.put(s.name(), s);
    Map<String, Integer> index = index();
    List<Edge> out = new ArrayList<>();
    for (StateData s : schema.states()) {
      for (String t : s.require()) out.add(new Edge(s.name(), t, Kind.REQUIRE, false));
      for (String t : s.add()) out.add(new Edge(s.name(), t, Kind.ADD, false));
      for (String t : s.remove()) {
        StateData other = byName.get(t);
        boolean mutual = other != null && other.remove().contains(s.name());
        if (mutual && index.get(t) < index.get(s.name())) continue; // drawn from the first
        out.add(new Edge(s.name(), t, Kind.REMOVE, mutual));
      }
      for (String t : s.after()) out.add(new Edge(s.name(), t, Kind.AFTER, false));
    }
    return out;
  }

  private static String label(StateData s) {
    if (s.auto() && s.multi()) return s.name() + " (auto, multi)";
    if (s.auto()) return s.name() + " (auto)";
    if (s.multi()) return s.name() + " (multi)";
    return s.name();
  }

  /** Mermaid label text: quotes and markup characters as entity codes. */
  private static String mermaidText(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("#quot;");
        case '<' -> b.append("#lt;");
        case '>' -> b.append("#gt;");
        case '#' -> b.append("#35;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** A DOT double-quoted string. */
  private static String dotText(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') b.append('\\');
      if (c == '\n') {
        b.append("\\n");
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
