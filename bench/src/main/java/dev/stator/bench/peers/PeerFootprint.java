package dev.stator.bench.peers;

import dev.stator.bench.Retained;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Peers, workload 3 (heap part): create N instances (default 100,000) of the workload-2
 * connection per implementation, keep them alive in an array, and report
 * <ul>
 *   <li>wall time per instance for the N (after a first, discarded round of N/10 to load classes
 *       and warm up; the JMH figure is {@link LifecycleCreateBenchmark});
 *   <li>heap retained per instance: heap in use after GC with the N alive minus before, over N
 *       (the array's 4 bytes per slot included);
 *   <li>JOL bytes per instance: bytes reachable from one instance and not from another
 *       ({@link Retained#unique}), so shared schemas, builders and factories are not counted.
 * </ul>
 *
 * <p>Run (JDK 25), optionally writing the figures as JSON for {@code bench/chart.py}:
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar dev.stator.bench.peers.PeerFootprint [count] [--json file]
 * }</pre>
 */
public final class PeerFootprint {
  private PeerFootprint() {}

  public static void main(String[] args) throws IOException {
    int n = 100_000;
    Path json = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--json")) json = Path.of(args[++i]);
      else n = Integer.parseInt(args[i]);
    }
    Map<String, Supplier<Connection>> impls = new LinkedHashMap<>();
    impls.put("stator", StatorConnection::new);
    impls.put("floorSwitchLock", FloorConnection::new);
    impls.put("stateless4j", Stateless4jConnection::new);
    impls.put("squirrel", SquirrelConnection::new);
    impls.put("spring", SpringConnection::new);

    List<String> rows = new ArrayList<>();
    System.out.printf("%-16s %14s %16s %12s%n", "implementation", "create ns/inst",
        "heap B/inst", "JOL B/inst");
    for (Map.Entry<String, Supplier<Connection>> e : impls.entrySet()) {
      Supplier<Connection> make = e.getValue();
      Connection[] warm = new Connection[Math.max(1, n / 10)];
      for (int i = 0; i < warm.length; i++) warm[i] = make.get();
      warm = null;
      long before = Retained.usedAfterGc();
      Connection[] all = new Connection[n];
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) all[i] = make.get();
      long t1 = System.nanoTime();
      long after = Retained.usedAfterGc();
      Reference.reachabilityFence(all);
      double ns = (t1 - t0) / (double) n;
      double heap = (after - before) / (double) n;
      long jol = Retained.unique(all[0], all[1]);
      all = null;
      System.out.printf("%-16s %14.0f %16.0f %12d%n", e.getKey(), ns, heap, jol);
      rows.add(String.format("    {\"impl\": \"%s\", \"count\": %d, \"createNs\": %.1f, "
          + "\"heapBytes\": %.1f, \"jolBytes\": %d}", e.getKey(), n, ns, heap, jol));
    }
    if (json != null) {
      Files.writeString(json, "{\n  \"footprint\": [\n" + String.join(",\n", rows) + "\n  ]\n}\n");
      System.out.println("wrote " + json);
    }
  }
}
