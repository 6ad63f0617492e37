package dev.stator.bench;

import dev.stator.Machine;
import java.lang.ref.Reference;

/**
 * Question 6 (heap part): create 1,000,000 machines of {@link Ten#SCHEMA} (default
 * configuration), keep them all alive in an array, and report the wall time and the heap they
 * retain (heap in use after GC, before and after; the 4 MB array included). The first round runs
 * on a cold JVM, as an application would; a second round, after dropping the first, shows the
 * warmed-up rate.
 *
 * <p>Target: &lt; 0.5 s and &lt; 0.5 GB for 1,000,000. Run (JDK 25):
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar dev.stator.bench.MillionMachines [count]
 * }</pre>
 */
public final class MillionMachines {
  private MillionMachines() {}

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    for (int round = 1; round <= 2; round++) {
      long before = Retained.usedAfterGc();
      long t0 = System.nanoTime();
      Machine<?>[] all = new Machine<?>[n];
      for (int i = 0; i < n; i++) all[i] = Machine.of(Ten.SCHEMA).build();
      long t1 = System.nanoTime();
      long after = Retained.usedAfterGc();
      Reference.reachabilityFence(all);
      double seconds = (t1 - t0) / 1e9;
      double mb = (after - before) / 1e6;
      System.out.printf("round %d (%s): %,d machines in %.3f s (%.0f ns each); retained %.1f MB "
          + "(%.0f B per machine)%n", round, round == 1 ? "cold JVM" : "warm", n, seconds,
          (t1 - t0) / (double) n, mb, (after - before) / (double) n);
      System.out.printf("RESULT million.round%d.seconds %.3f%n", round, seconds);
      System.out.printf("RESULT million.round%d.retainedMB %.1f%n", round, mb);
      all = null;
    }
  }
}
