package dev.stator.bench.peers;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Peers, workload 2: the 6-state connection lifecycle of {@link Connection} with a guard on
 * CONNECT and entry/exit actions that count, one thread.
 *
 * <p>Each invocation runs one {@link Connection#cycle()}: five transitions, 1 guard call, 5 entry
 * and 5 exit actions; one op = one transition. Stator runs with its default configuration (a
 * bound handler object and the 1 s handler timeout, so the watchdog path is on). The floor is
 * {@link FloorConnection} (enum + switch + lock).
 *
 * <p>Warm-up: 5 x 1 s (10 x 1 s for Spring Statemachine, whose reactive event path is still
 * getting faster after 5 s); see docs/benchmarks.md.
 *
 * <p>Run (JDK 25):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar 'dev.stator.bench.peers.LifecycleBenchmark' -prof gc
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
public class LifecycleBenchmark {
  StatorConnection stator;
  FloorConnection floorSwitch;
  Stateless4jConnection stateless4j;
  SquirrelConnection squirrel;
  SpringConnection spring;

  @Setup(Level.Trial)
  public void setUp() {
    stator = new StatorConnection();
    floorSwitch = new FloorConnection();
    stateless4j = new Stateless4jConnection();
    squirrel = new SquirrelConnection();
    spring = new SpringConnection();
  }

  @Benchmark
  @OperationsPerInvocation(5)
  public void stator() {
    stator.cycle();
  }

  @Benchmark
  @OperationsPerInvocation(5)
  public void floorSwitchLock() {
    floorSwitch.cycle();
  }

  @Benchmark
  @OperationsPerInvocation(5)
  public void stateless4j() {
    stateless4j.cycle();
  }

  @Benchmark
  @OperationsPerInvocation(5)
  public void squirrel() {
    squirrel.cycle();
  }

  @Benchmark
  @OperationsPerInvocation(5)
  @Warmup(iterations = 10, time = 1)
  public void spring() {
    spring.cycle();
  }
}
