package dev.stator.bench;

import dev.stator.Args;
import dev.stator.Machine;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Question 3: what does {@code is()} cost on one thread while another thread mutates the
 * machine?
 *
 * <p>Workload: a JMH group of two threads sharing one machine of {@link Ten#SCHEMA}: the reader
 * calls {@code is(Healthy)} (one op = one read), the writer runs the {@link MutationBenchmark}
 * cycle ({@code add(Running)}, {@code remove(Running)}; one op = one cycle, two mutations) as fast
 * as it can, so the line the reader reads is written constantly. The same group runs on the two
 * floors, whose reads are a plain volatile load. {@code statorAlone} is the read with no writer.
 * Results are per method: {@code stator:statorRead} is the figure for the target.
 *
 * <p>Target: &le; 5 ns per read, lock-free. Run (JDK 25):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar 'dev.stator.bench.ReadBenchmark' -prof gc
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
public class ReadBenchmark {

  /** One machine and the two floors, shared by the threads of a group. */
  @State(Scope.Group)
  public static class Shared {
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
    public void close() {
      machine.close();
    }
  }

  /** A machine read by one thread only. */
  @State(Scope.Thread)
  public static class Alone {
    Machine<Ten> machine;

    @Setup(Level.Trial)
    public void setUp() {
      machine = Machine.of(Ten.SCHEMA).build();
      machine.add(Ten.BASE, Args.NONE);
      machine.add(Ten.Running);
    }
  }

  @Benchmark
  @Group("stator")
  @GroupThreads(1)
  public boolean statorRead(Shared s) {
    return s.machine.is(Ten.Healthy);
  }

  @Benchmark
  @Group("stator")
  @GroupThreads(1)
  public Object statorWrite(Shared s) {
    s.machine.add(Ten.Running);
    return s.machine.remove(Ten.Running);
  }

  @Benchmark
  @Group("floorSwitchLock")
  @GroupThreads(1)
  public boolean floorSwitchRead(Shared s) {
    return s.switchFloor.is(Ten.Healthy);
  }

  @Benchmark
  @Group("floorSwitchLock")
  @GroupThreads(1)
  public boolean floorSwitchWrite(Shared s) {
    s.switchFloor.add(Ten.Running);
    return s.switchFloor.remove(Ten.Running);
  }

  @Benchmark
  @Group("floorBitsetLock")
  @GroupThreads(1)
  public boolean floorBitsetRead(Shared s) {
    return s.bitsetFloor.is(Ten.Healthy);
  }

  @Benchmark
  @Group("floorBitsetLock")
  @GroupThreads(1)
  public boolean floorBitsetWrite(Shared s) {
    s.bitsetFloor.add(Ten.Running);
    return s.bitsetFloor.remove(Ten.Running);
  }

  @Benchmark
  public boolean statorAlone(Alone s) {
    return s.machine.is(Ten.Healthy);
  }
}
