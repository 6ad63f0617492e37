package dev.stator.inspect;

import dev.stator.Schema.SchemaData;
import dev.stator.Schema.StateData;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.elk.alg.layered.options.LayeredMetaDataProvider;
import org.eclipse.elk.core.RecursiveGraphLayoutEngine;
import org.eclipse.elk.core.data.LayoutMetaDataService;
import org.eclipse.elk.core.math.ElkPadding;
import org.eclipse.elk.core.options.CoreOptions;
import org.eclipse.elk.core.options.Direction;
import org.eclipse.elk.core.options.EdgeRouting;
import org.eclipse.elk.core.util.BasicProgressMonitor;
import org.eclipse.elk.graph.ElkBendPoint;
import org.eclipse.elk.graph.ElkEdge;
import org.eclipse.elk.graph.ElkEdgeSection;
import org.eclipse.elk.graph.ElkNode;
import org.eclipse.elk.graph.util.ElkGraphUtil;

/**
 * A schema's diagram with coordinates: one node per state, one edge per relation (two states
 * that remove each other share one edge, marked mutual), laid out left to right by ELK layered.
 * Immutable; {@link #of} is thread-safe.
 *
 * @param width the drawing's width in pixels
 * @param height the drawing's height in pixels
 * @param nodes the states, in schema order
 * @param edges the relations, in schema order
 */
record SchemaLayout(double width, double height, List<Node> nodes, List<Edge> edges) {
  /* Design: ELK layered (org.eclipse.elk.alg.layered 0.10.0) is a maintained Sugiyama-style
   * layout in plain Java, so the page draws an SVG from coordinates and needs no browser
   * layout library and no npm step. Its jars are automatic modules (Automatic-Module-Name in
   * the manifest) with no split packages, so they work on the module path; the algorithm is
   * registered by hand (LayeredMetaDataProvider) instead of through ServiceLoader, which
   * keeps it independent of how the module graph is resolved. ELK's graph is an EMF model and
   * not thread-safe, so each call builds its own graph; layouts are cached per schema hash by
   * the caller (Api). Node sizes are estimated from the label (7.5 px per character of a
   * 13 px sans-serif font); the page centres the text. */

  /** A relation kind, as the page draws it. */
  enum Kind {
    REQUIRE, ADD, REMOVE, AFTER;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A state with its box. */
  record Node(String name, boolean auto, boolean multi, List<String> tags, double x, double y,
      double width, double height) {}

  /** A relation with its route: start, bend points, end. */
  record Edge(String from, String to, Kind kind, boolean mutual, List<double[]> points) {}

  private static final double NODE_HEIGHT = 34;

  static {
    LayoutMetaDataService.getInstance()
        .registerLayoutMetaDataProviders(new LayeredMetaDataProvider());
  }

  /** Lays out {@code schema}. */
  static SchemaLayout of(SchemaData schema) {
    List<StateData> states = schema.states();
    Map<String, StateData> byName = new HashMap<>();
    for (StateData s : states) byName.put(s.name(), s);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < states.size(); i++) index.put(states.get(i).name(), i);

    ElkNode graph = ElkGraphUtil.createGraph();
    graph.setProperty(CoreOptions.ALGORITHM, "org.eclipse.elk.layered");
    graph.setProperty(CoreOptions.DIRECTION, Direction.RIGHT);
    graph.setProperty(CoreOptions.EDGE_ROUTING, EdgeRouting.POLYLINE);
    graph.setProperty(CoreOptions.SPACING_NODE_NODE, 28.0);
    graph.setProperty(CoreOptions.PADDING, new ElkPadding(16));
    Map<String, ElkNode> elkNodes = new LinkedHashMap<>();
    for (StateData s : states) {
      ElkNode n = ElkGraphUtil.createNode(graph);
      n.setIdentifier(s.name());
      n.setDimensions(width(s), NODE_HEIGHT);
      elkNodes.put(s.name(), n);
    }
    List<Edge> plain = new ArrayList<>();
    for (StateData s : states) {
      for (String t : s.require()) plain.add(new Edge(s.name(), t, Kind.REQUIRE, false, List.of()));
      for (String t : s.add()) plain.add(new Edge(s.name(), t, Kind.ADD, false, List.of()));
      for (String t : s.remove()) {
        StateData other = byName.get(t);
        boolean mutual = other != null && other.remove().contains(s.name());
        if (mutual && index.get(t) < index.get(s.name())) continue; // drawn from the first
        plain.add(new Edge(s.name(), t, Kind.REMOVE, mutual, List.of()));
      }
      for (String t : s.after()) plain.add(new Edge(s.name(), t, Kind.AFTER, false, List.of()));
    }
    List<ElkEdge> elkEdges = new ArrayList<>();
    for (Edge e : plain) {
      elkEdges.add(ElkGraphUtil.createSimpleEdge(elkNodes.get(e.from()), elkNodes.get(e.to())));
    }

    new RecursiveGraphLayoutEngine().layout(graph, new BasicProgressMonitor());

    List<Node> nodes = new ArrayList<>();
    for (StateData s : states) {
      ElkNode n = elkNodes.get(s.name());
      nodes.add(new Node(s.name(), s.auto(), s.multi(), s.tags(), n.getX(), n.getY(),
          n.getWidth(), n.getHeight()));
    }
    List<Edge> edges = new ArrayList<>();
    for (int i = 0; i < plain.size(); i++) {
      Edge e = plain.get(i);
      List<double[]> points = new ArrayList<>();
      for (ElkEdgeSection sec : elkEdges.get(i).getSections()) {
        points.add(new double[] {sec.getStartX(), sec.getStartY()});
        for (ElkBendPoint b : sec.getBendPoints()) points.add(new double[] {b.getX(), b.getY()});
        points.add(new double[] {sec.getEndX(), sec.getEndY()});
      }
      edges.add(new Edge(e.from(), e.to(), e.kind(), e.mutual(), List.copyOf(points)));
    }
    return new SchemaLayout(graph.getWidth(), graph.getHeight(), List.copyOf(nodes),
        List.copyOf(edges));
  }

  private static double width(StateData s) {
    int chars = s.name().length() + (s.auto() || s.multi() ? 4 : 0);
    return Math.max(70, 20 + 7.5 * chars);
  }
}
