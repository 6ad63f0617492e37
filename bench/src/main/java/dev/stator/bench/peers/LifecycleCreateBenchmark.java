package dev.stator.bench.peers;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Peers, workload 3 (time part): creating one instance of the workload-2 connection, ready for
 * its first event in Disconnected (one op = one instance, returned so that it escapes).
 *
 * <p>What "ready" costs per implementation: Stator builds the machine, binds the handler object
 * and adds Disconnected (running its entry handler); squirrel and Spring create from their shared
 * builder/factory and start the machine (running the initial entry action); stateless4j builds
 * its per-instance configuration and machine; the floor allocates. The heap part (100,000
 * instances kept alive, retained bytes each) is {@link PeerFootprint}.
 *
 * <p>Warm-up: 5 x 1 s (10 x 1 s for Spring Statemachine, whose reactive event path is still
 * getting faster after 5 s); see docs/benchmarks.md.
 *
 * <p>Run (JDK 25):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar 'dev.stator.bench.peers.LifecycleCreateBenchmark' -prof gc
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
public class LifecycleCreateBenchmark {

  @Benchmark
  public Connection stator() {
    return new StatorConnection();
  }

  @Benchmark
  public Connection floorSwitchLock() {
    return new FloorConnection();
  }

  @Benchmark
  public Connection stateless4j() {
    return new Stateless4jConnection();
  }

  @Benchmark
  public Connection squirrel() {
    return new SquirrelConnection();
  }

  @Benchmark
  @Warmup(iterations = 10, time = 1)
  public Connection spring() {
    return new SpringConnection();
  }
}
