package dev.stator.bench;

import dev.stator.Machine;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Question 6 (JMH part): what does creating a machine cost?
 *
 * <p>Workload: {@code Machine.of(Ten.SCHEMA).build()} with the schema shared (one op = one
 * machine, returned to JMH so that it escapes); {@code statorWithHandlers} also binds a fresh
 * {@link TenHandlers} object (default 1 s handler timeout). The floors are created from shared
 * relation masks. {@code MillionMachines} is the companion that keeps 1,000,000 machines alive
 * and reports the heap they retain.
 *
 * <p>Target: &le; 500 ns per machine. Run (JDK 25):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar 'dev.stator.bench.CreateBenchmark' -prof gc
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
public class CreateBenchmark {
  private static final BitsetFloor.Relations RELATIONS = Ten.relations();

  @Benchmark
  public Machine<Ten> stator() {
    return Machine.of(Ten.SCHEMA).build();
  }

  @Benchmark
  public Machine<Ten> statorWithHandlers() {
    return Machine.of(Ten.SCHEMA).handlers(new TenHandlers()).build();
  }

  @Benchmark
  public SwitchFloor floorSwitchLock() {
    return new SwitchFloor();
  }

  @Benchmark
  public BitsetFloor floorBitsetLock() {
    return new BitsetFloor(RELATIONS);
  }
}
