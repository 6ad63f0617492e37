package dev.stator.examples;

import dev.stator.examples.diagram.DiagramDemo;
import dev.stator.examples.rpc.RpcDemo;
import dev.stator.examples.server.ServerDemo;
import dev.stator.examples.session.SessionDemo;
import dev.stator.examples.task.TaskDemo;
import dev.stator.examples.telemetry.TelemetryDemo;
import dev.stator.history.History;
import dev.stator.inspect.Inspector;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The runnable demo: three components that are usually written by hand with locks, flags and
 * events, built on Stator instead, each run end to end with the machines' transition logs,
 * followed by a summary table.
 *
 * <p>Run it with {@code mvn -q -pl examples -am package exec:exec -DskipTests}. It starts an
 * inspector on loopback (port 7070, or any free port when 7070 is taken) over a shared
 * {@link History} and prints its address; with {@code --inspect} (pass
 * {@code -Ddemo.args=--inspect} to Maven) it keeps the inspector open after the summary until
 * Enter or Ctrl-C.
 */
public final class Demo {
  private Demo() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = System.out;
    logTo(out);
    long start = System.nanoTime();
    out.println("Stator demo: relational state machines that act as actors");
    boolean keepOpen = List.of(args).contains("--inspect");
    History history = History.builder().capacity(10_000).build();
    Inspector inspector = startInspector(history);
    out.println("inspector: " + inspector.url());
    List<DemoPart> parts = List.of(new TaskDemo(history.tracer()),
        new SessionDemo(history.tracer()), new ServerDemo(history.tracer()),
        new RpcDemo(), new TelemetryDemo(), new DiagramDemo());
    Map<String, Map<String, Long>> figures = new LinkedHashMap<>();
    int n = 0;
    for (DemoPart part : parts) {
      out.println();
      out.println("== " + (++n) + ". " + part.title() + " ==");
      figures.put(part.title(), part.run(out));
    }
    out.println();
    out.println("== summary ==");
    long leaks = 0;
    for (Map.Entry<String, Map<String, Long>> e : figures.entrySet()) {
      List<String> cells = new ArrayList<>();
      for (Map.Entry<String, Long> f : e.getValue().entrySet()) {
        cells.add(f.getKey() + " " + f.getValue());
        if (f.getKey().equals("leaks")) leaks += f.getValue();
      }
      out.printf("%-22s %s%n", e.getKey(), String.join(", ", cells));
    }
    out.printf("%-22s %d%n", "leaks (total)", leaks);
    out.printf("%-22s %.1f s%n", "time", (System.nanoTime() - start) / 1e9);
    if (keepOpen) {
      out.println("inspector open at " + inspector.url() + " (Enter or Ctrl-C to stop)");
      System.in.read();
    }
    inspector.close();
    if (leaks != 0) System.exit(1);
  }

  /** An inspector on loopback port 7070, or on any free port when 7070 is taken. */
  private static Inspector startInspector(History history) {
    try {
      return Inspector.builder().bind("127.0.0.1").port(7070).history(history).start();
    } catch (RuntimeException taken) {
      return Inspector.builder().bind("127.0.0.1").port(0).history(history).start();
    }
  }

  /** Sends java.util.logging (where System.Logger goes by default) to {@code out}, one line each. */
  private static void logTo(PrintStream out) {
    Logger root = Logger.getLogger("");
    for (var h : root.getHandlers()) root.removeHandler(h);
    ConsoleHandler handler = new ConsoleHandler() {
      {
        setOutputStream(out);
      }

      @Override
      public synchronized void publish(LogRecord r) {
        super.publish(r);
        flush();
      }
    };
    handler.setFormatter(new Formatter() {
      @Override
      public String format(LogRecord r) {
        String level = r.getLevel().intValue() >= Level.WARNING.intValue()
            ? r.getLevel().getName() + " " : "";
        String thrown = r.getThrown() == null ? "" : " (" + r.getThrown() + ")";
        return "  " + level + formatMessage(r) + thrown + System.lineSeparator();
      }
    });
    handler.setLevel(Level.INFO);
    root.addHandler(handler);
  }
}
