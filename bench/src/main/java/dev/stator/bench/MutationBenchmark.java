package dev.stator.bench;

import dev.stator.Args;
import dev.stator.Machine;
import dev.stator.Result;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Question 1: what does one uncontended mutation cost on a 10-state schema with relations and
 * no handlers?
 *
 * <p>Workload: one thread, one machine of {@link Ten#SCHEMA} (default configuration: no
 * handlers, no tracer), starting from {Started, Connected, Idle}. Each invocation runs
 * {@code add(Running)} (pulls in Healthy through an add relation; require and remove relations
 * checked) and {@code remove(Running)} (Healthy leaves through its require relation): two
 * mutations, each flipping two states, so a reported op is <em>one mutation</em>. The same cycle
 * runs on the two floors of docs/benchmarks.md: {@link SwitchFloor} (relations compiled by hand
 * into a switch, behind a lock) and {@link BitsetFloor} (lock, relation masks, per-state clocks,
 * volatile publish).
 *
 * <p>Target: &le; 30 ns/op and 0 B/op. Run (JDK 25):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar 'dev.stator.bench.MutationBenchmark' -prof gc
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
public class MutationBenchmark {
  Machine<Ten> machine;
  SwitchFloor switchFloor;
  BitsetFloor bitsetFloor;

  @Setup(Level.Trial)
  public void setUp() {
    machine = Machine.of(Ten.SCHEMA).build();
    machine.add(Ten.BASE, Args.NONE);
    switchFloor = new SwitchFloor();
    bitsetFloor = new BitsetFloor(Ten.relations());
    for (Ten t : Ten.BASE) bitsetFloor.add(t);
  }

  @TearDown(Level.Trial)
  public void check() {
    if (!machine.is(Ten.BASE) || machine.is(Ten.Running) || machine.is(Ten.Healthy)) {
      throw new IllegalStateException("cycle left " + machine.activeNames());
    }
    machine.close();
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public Result stator() {
    machine.add(Ten.Running);
    return machine.remove(Ten.Running);
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public boolean floorSwitchLock() {
    switchFloor.add(Ten.Running);
    return switchFloor.remove(Ten.Running);
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public boolean floorBitsetLock() {
    bitsetFloor.add(Ten.Running);
    return bitsetFloor.remove(Ten.Running);
  }
}
