package dev.stator.examples.diagram;

import dev.stator.Machine;
import dev.stator.diagram.Diagram;
import dev.stator.examples.DemoPart;
import dev.stator.examples.session.SessionClient;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Demo section: the session client's schema as diagram text (module {@code stator-diagram}),
 * with the states a machine of that schema has active highlighted; paste the Mermaid into any
 * Markdown viewer that renders it, or the DOT into Graphviz.
 */
public final class DiagramDemo implements DemoPart {
  @Override
  public String title() {
    return "diagrams";
  }

  @Override
  public Map<String, Long> run(PrintStream out) {
    Map<String, Long> figures = new LinkedHashMap<>();
    try (Machine<SessionClient.Conn> m = Machine.of(SessionClient.SCHEMA).id("diagram").build()) {
      m.add(SessionClient.Conn.Connecting);
      Diagram d = Diagram.of(SessionClient.SCHEMA).highlight(m.snapshot());
      String mermaid = d.mermaid();
      out.println("The session client's schema, active " + m.activeNames() + " highlighted:");
      out.println("```mermaid");
      out.print(mermaid);
      out.println("```");
      figures.put("states drawn",
          mermaid.lines().filter(l -> l.matches("  s\\d+[\\[(].*")).count());
      figures.put("relations drawn", mermaid.lines().filter(l -> l.contains("|")).count());
      figures.put("DOT lines", d.dot().lines().count());
    }
    figures.put("leaks", 0L);
    return figures;
  }
}
