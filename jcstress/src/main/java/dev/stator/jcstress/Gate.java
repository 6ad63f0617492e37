package dev.stator.jcstress;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import org.openjdk.jcstress.JCStress;
import org.openjdk.jcstress.Options;
import org.openjdk.jcstress.infra.Status;
import org.openjdk.jcstress.infra.collectors.DiskReadCollector;
import org.openjdk.jcstress.infra.collectors.InProcessCollector;
import org.openjdk.jcstress.infra.collectors.TestResult;

/**
 * Runs jcstress with the given options and turns its results into an exit code for the build:
 * every test must pass, and every control test (a class whose name ends with {@code Control})
 * must FAIL, proving that the run could observe a forbidden outcome. Exits 1 otherwise, or if a
 * selected test produced no result. Prints every test's outcomes with their counts, and how long
 * the run took.
 *
 * <p>{@code java -cp <classpath> dev.stator.jcstress.Gate -t 'dev\.stator\.jcstress\..*' -m quick}
 * takes jcstress's own options.
 */
public final class Gate {
  private Gate() {}

  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    Options opts = new Options(args);
    if (!opts.parse()) System.exit(2);
    JCStress jcstress = new JCStress(opts);
    SortedSet<String> selected = jcstress.getTests();
    try {
      jcstress.run();
    } catch (AssertionError expected) { // jcstress reports failed tests by throwing; graded below
    }

    InProcessCollector results = new InProcessCollector();
    DiskReadCollector reader = new DiskReadCollector(opts.getResultFile(), results);
    reader.dump();
    reader.close();

    Map<String, Verdict> verdicts = new TreeMap<>();
    for (String test : selected) verdicts.put(test, new Verdict());
    for (TestResult r : results.getTestResults()) {
      Verdict v = verdicts.computeIfAbsent(r.getName(), n -> new Verdict());
      v.runs++;
      v.samples += r.getTotalCount();
      if (r.status() != Status.NORMAL) v.errors.add(r.status() + " " + r.getMessages());
      if (!r.grading().isPassed) v.failed++;
      for (String outcome : r.getStateKeys()) {
        v.outcomes.merge(outcome, r.getCount(outcome), Long::sum);
      }
    }

    List<String> problems = new ArrayList<>();
    System.out.println();
    System.out.printf("Stator jcstress gate (%d s):%n", (System.nanoTime() - start) / 1_000_000_000L);
    for (Map.Entry<String, Verdict> e : verdicts.entrySet()) {
      String test = e.getKey();
      Verdict v = e.getValue();
      boolean control = test.endsWith("Control");
      String line = String.format("  %-60s %s: %d configurations, %,d samples, %d failed%s", test,
          control ? "control" : "test", v.runs, v.samples, v.failed,
          v.errors.isEmpty() ? "" : ", errors " + v.errors);
      System.out.println(line);
      v.outcomes.forEach((o, n) -> System.out.printf("      %-40s %,d%n", "[" + o + "]", n));
      if (v.runs == 0) {
        problems.add(test + ": no result");
      } else if (!v.errors.isEmpty()) {
        problems.add(test + ": " + v.errors);
      } else if (control && v.failed == 0) {
        problems.add(test + ": the control observed no forbidden outcome, so this run could not"
            + " have caught one either (run longer: -Djcstress.mode=default)");
      } else if (!control && v.failed > 0) {
        problems.add(test + ": FORBIDDEN outcome observed (see results/ for the counts)");
      }
    }
    if (problems.isEmpty()) {
      System.out.println("jcstress gate passed: no forbidden outcome, every control caught.");
      System.exit(0);
    }
    System.out.println("jcstress gate FAILED:");
    for (String p : problems) System.out.println("  " + p);
    System.exit(1);
  }

  private static final class Verdict {
    int runs;
    long samples;
    int failed;
    final List<String> errors = new ArrayList<>();
    final Map<String, Long> outcomes = new TreeMap<>();
  }
}
