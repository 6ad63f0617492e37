package dev.stator.bench;

import dev.stator.Args;
import dev.stator.Machine;
import dev.stator.QueueFullException;
import dev.stator.Result;
import dev.stator.Status;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Question 4: how many mutations per second can four threads push through one shared machine?
 *
 * <p>Workload: four threads share one machine of {@link Ten#SCHEMA}; each runs the
 * {@link MutationBenchmark} cycle ({@code add(Running)}, {@code remove(Running)}). One op = one
 * mutation call; the score is the total over the four threads. A call that finds the machine
 * busy is queued (it returns a {@code QUEUED} ticket) and is run by the thread holding the
 * machine. Two ways to drive Stator:
 * <ul>
 *   <li>{@code stator}: closed loop — a thread whose call was queued awaits its ticket
 *       ({@code Result.await}) before its next call, so every counted call has run and the
 *       score is a sustainable rate;
 *   <li>{@code statorNoWait}: open loop — calls are counted when they return, queued or not.
 *       The queue then grows faster than one drainer empties it, and calls past the queue limit
 *       (100,000) throw {@link QueueFullException}; those are caught and counted as
 *       {@code rejected}. The primary score counts every call, rejected ones included: the
 *       accepted rate is {@code inline + queued}.
 * </ul>
 * The secondary counters {@code inline}, {@code queued} (and {@code rejected}) split the calls by
 * outcome. The floors take their lock for every call. On a 2-core machine the four threads
 * time-share two cores.
 *
 * <p>Target: &ge; 10 M mutations/s in total. Run (JDK 25):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar 'dev.stator.bench.ContendedBenchmark' -prof gc
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
@Threads(4)
public class ContendedBenchmark {

  /** The machine and floors shared by all threads. */
  @State(Scope.Benchmark)
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

  /** Per-thread split of Stator's calls by outcome. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Outcomes {
    private static final Duration PATIENCE = Duration.ofSeconds(10);
    public long queued;
    public long inline;
    public long rejected;

    @Setup(Level.Iteration)
    public void reset() {
      queued = 0;
      inline = 0;
      rejected = 0;
    }

    void count(Result r) {
      if (r.status() == Status.QUEUED) queued++;
      else inline++;
    }

    void countAndAwait(Result r) throws InterruptedException, TimeoutException {
      if (r.status() == Status.QUEUED) {
        queued++;
        r.await(PATIENCE);
      } else {
        inline++;
      }
    }
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public void stator(Shared s, Outcomes o) throws InterruptedException, TimeoutException {
    o.countAndAwait(s.machine.add(Ten.Running));
    o.countAndAwait(s.machine.remove(Ten.Running));
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public void statorNoWait(Shared s, Outcomes o) {
    try {
      o.count(s.machine.add(Ten.Running));
    } catch (QueueFullException e) {
      o.rejected++;
    }
    try {
      o.count(s.machine.remove(Ten.Running));
    } catch (QueueFullException e) {
      o.rejected++;
    }
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public boolean floorSwitchLock(Shared s) {
    s.switchFloor.add(Ten.Running);
    return s.switchFloor.remove(Ten.Running);
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public boolean floorBitsetLock(Shared s) {
    s.bitsetFloor.add(Ten.Running);
    return s.bitsetFloor.remove(Ten.Running);
  }
}
