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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Question 2: what does an uncontended mutation cost when four handlers run per transition?
 *
 * <p>Workload: the {@link MutationBenchmark} cycle ({@code add(Running)}, {@code remove(Running)}
 * on {@link Ten#SCHEMA}; one op = one mutation), with handlers for Running and Healthy: enter +
 * state on the add, exit + end on the remove, so four handler calls per mutation, each
 * incrementing a counter. Parameters:
 * <ul>
 *   <li>{@code binding=methods}: a handler object ({@link TenHandlers}, methods named
 *       {@code runningEnter}, {@code runningState}, ...) bound with
 *       {@code Builder.handlers(obj)}; {@code binding=lambdas}: the same four per state
 *       registered with {@code Builder.onEnter/onState/onExit/onEnd};
 *   <li>{@code timeout=default}: the builder's default 1 s handler timeout, which enrols the
 *       machine with the watchdog and tracks every handler call; {@code timeout=none}:
 *       {@code Builder.noHandlerTimeout()}.
 * </ul>
 * The floor is {@link BitsetFloor} with the same four handlers per transition.
 *
 * <p>Target: &le; 100 ns/op and 0 B/op. Run (JDK 25):
 * <pre>{@code
 * java -jar bench/target/benchmarks.jar 'dev.stator.bench.HandlerBenchmark' -prof gc
 * }</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow")
public class HandlerBenchmark {

  /** A Stator machine with four handlers per transition. */
  @State(Scope.Thread)
  public static class StatorState {
    @Param({"methods", "lambdas"})
    public String binding;

    @Param({"default", "none"})
    public String timeout;

    Machine<Ten> machine;
    long[] calls = new long[1];
    TenHandlers handlers;

    @Setup(Level.Trial)
    public void setUp() {
      Machine.Builder<Ten> b = Machine.of(Ten.SCHEMA);
      switch (binding) {
        case "methods" -> b.handlers(handlers = new TenHandlers());
        case "lambdas" -> {
          long[] c = calls;
          for (Ten t : new Ten[] {Ten.Running, Ten.Healthy}) {
            b.onEnter(t, e -> ++c[0] > 0)
                .onState(t, e -> c[0]++)
                .onExit(t, e -> ++c[0] > 0)
                .onEnd(t, e -> c[0]++);
          }
        }
        default -> throw new IllegalArgumentException("binding " + binding);
      }
      switch (timeout) {
        case "default" -> { }
        case "none" -> b.noHandlerTimeout();
        default -> throw new IllegalArgumentException("timeout " + timeout);
      }
      machine = b.build();
      machine.add(Ten.BASE, Args.NONE);
    }

    /** Handler calls so far. */
    public long calls() {
      return handlers != null ? handlers.calls : calls[0];
    }

    @TearDown(Level.Trial)
    public void close() {
      machine.close();
    }
  }

  /** The bitset floor with the same four handlers per transition. */
  @State(Scope.Thread)
  public static class FloorState {
    BitsetFloor floor;
    long calls;

    @Setup(Level.Trial)
    public void setUp() {
      BitsetFloor.Handlers h = new BitsetFloor.Handlers(Ten.values().length);
      for (Ten t : new Ten[] {Ten.Running, Ten.Healthy}) {
        h.onEnter(t, () -> ++calls > 0).onState(t, () -> calls++)
            .onExit(t, () -> ++calls > 0).onEnd(t, () -> calls++);
      }
      floor = new BitsetFloor(Ten.relations(), h);
      for (Ten t : Ten.BASE) floor.add(t);
    }
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public Result stator(StatorState s) {
    s.machine.add(Ten.Running);
    return s.machine.remove(Ten.Running);
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public boolean floorBitsetLock(FloorState s) {
    s.floor.add(Ten.Running);
    return s.floor.remove(Ten.Running);
  }
}
