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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Peers, workload 4: four threads drive one shared toggle machine.
 *
 * <p>Each thread calls {@code on()} then {@code off()} (one op = one call; the score is the total
 * over four threads, in ops/s). Threads race, so some calls ask for the state the machine is
 * already in: a no-op everywhere (see {@link Toggle}). Thread safety as each library recommends:
 * Stator as it is, plus awaiting the ticket of a call that was queued
 * ({@link StatorToggle.Waiting}; without it the callers outrun the machine until its queue is
 * full); the floors with their lock; stateless4j (not thread-safe), squirrel-foundation (its own
 * event queue is unbounded and cannot be waited on: see {@link SquirrelToggle}) and Spring
 * Statemachine (no documented contract for concurrent {@code sendEvent}) synchronized on the
 * machine. On a 2-core machine the four threads time-share two cores.
 *
 * <p>Warm-up: 5 x 1 s (10 x 1 s for Spring Statemachine, whose reactive event path is still
 * getting faster after 5 s); see docs/benchmarks.md.
 *
 * <p>Run (JDK 25):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar 'dev.stator.bench.peers.SharedToggleBenchmark' -prof gc
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
@Threads(4)
public class SharedToggleBenchmark {
  StatorToggle stator;
  FloorToggle floorSwitch;
  BitsetToggle floorBitset;
  Stateless4jToggle stateless4j;
  SquirrelToggle squirrel;
  SpringToggle spring;

  @Setup(Level.Trial)
  public void setUp() {
    stator = new StatorToggle.Waiting();
    floorSwitch = new FloorToggle();
    floorBitset = new BitsetToggle();
    stateless4j = new Stateless4jToggle.Locked();
    squirrel = new SquirrelToggle.Locked();
    spring = new SpringToggle.Locked();
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
