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
 * Peers, workload 1: a flat two-state toggle with no actions, one thread.
 *
 * <p>Each invocation calls {@code on()} then {@code off()} on one instance of {@link Toggle}:
 * two real transitions, one op = one transition. Implementations: Stator
 * ({@link StatorToggle}), the two floors ({@link FloorToggle}: enum + switch + lock;
 * {@link BitsetToggle}: lock + relation masks + clocks + volatile publish), stateless4j 2.6.0,
 * squirrel-foundation 0.3.10 and Spring Statemachine 4.0.2, each as its own API recommends (see
 * each class). Ratios to Stator: {@code bench/chart.py}.
 *
 * <p>Warm-up: 5 x 1 s (10 x 1 s for Spring Statemachine, whose reactive event path is still
 * getting faster after 5 s); see docs/benchmarks.md.
 *
 * <p>Run (JDK 25):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar 'dev.stator.bench.peers.ToggleBenchmark' -prof gc
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
public class ToggleBenchmark {
  StatorToggle stator;
  FloorToggle floorSwitch;
  BitsetToggle floorBitset;
  Stateless4jToggle stateless4j;
  SquirrelToggle squirrel;
  SpringToggle spring;

  @Setup(Level.Trial)
  public void setUp() {
    stator = new StatorToggle();
    floorSwitch = new FloorToggle();
    floorBitset = new BitsetToggle();
    stateless4j = new Stateless4jToggle();
    squirrel = new SquirrelToggle();
    spring = new SpringToggle();
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public void stator() {
    stator.on();
    stator.off();
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public void floorSwitchLock() {
    floorSwitch.on();
    floorSwitch.off();
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public void floorBitsetLock() {
    floorBitset.on();
    floorBitset.off();
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public void stateless4j() {
    stateless4j.on();
    stateless4j.off();
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public void squirrel() {
    squirrel.on();
    squirrel.off();
  }

  @Benchmark
  @OperationsPerInvocation(2)
  @Warmup(iterations = 10, time = 1)
  public void spring() {
    spring.on();
    spring.off();
  }
}
