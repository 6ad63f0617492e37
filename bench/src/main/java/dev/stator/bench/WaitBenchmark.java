package dev.stator.bench;

import dev.stator.Machine;
import dev.stator.Wait;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Spec W9: what do many pending waits on one machine cost?
 *
 * <p>Workload: one thread; a fresh machine of {@link Ten#SCHEMA}; register {@code n} waits
 * {@code when(Running)} that do not hold, cancel every other one (out of registration order),
 * then {@code add(Running)} completes the rest. One invocation is all of that; the score divided
 * by {@code n} is the cost per wait, which must not grow with {@code n} (the copy-on-write
 * registry it replaced took about 1 s for 20,000 waits and 60 s for 100,000).
 *
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar 'dev.stator.bench.WaitBenchmark'
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
public class WaitBenchmark {
  @Param({"1000", "20000", "100000"})
  int n;

  @Benchmark
  public int registerCancelComplete() {
    try (Machine<Ten> m = Machine.of(Ten.SCHEMA).build()) {
      m.add(Ten.BASE, dev.stator.Args.NONE);
      Wait[] waits = new Wait[n];
      for (int k = 0; k < n; k++) waits[k] = m.when(Ten.Running);
      for (int k = 0; k < n; k += 2) waits[k].cancel();
      m.add(Ten.Running);
      int done = 0;
      for (int k = 1; k < n; k += 2) done += waits[k].future().isCompletedExceptionally() ? 0 : 1;
      return done;
    }
  }
}
