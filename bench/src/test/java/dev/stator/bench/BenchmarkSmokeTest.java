package dev.stator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * CI smoke run: a few benchmarks go through the JMH runner in this JVM (no fork, no warm-up,
 * one 100 ms iteration), so that a benchmark that throws or no longer matches its API fails the
 * build. The figures themselves mean nothing here; docs/benchmarks.md has the real run.
 */
class BenchmarkSmokeTest {

  @Test
  void benchmarksRunAndProduceAResult() throws Exception {
    // A benchmark run elsewhere on the machine holds JMH's lock file; this smoke run measures
    // nothing and must not fail because of it.
    System.setProperty("jmh.ignoreLock", "true");
    Options opt = new OptionsBuilder()
        .include("dev\\.stator\\.bench\\.MutationBenchmark\\.stator$")
        .include("dev\\.stator\\.bench\\.HandlerBenchmark\\.stator$")
        .include("dev\\.stator\\.bench\\.ReadBenchmark\\.stator$")
        .include("dev\\.stator\\.bench\\.ContendedBenchmark\\.stator$")
        .include("dev\\.stator\\.bench\\.CreateBenchmark\\.stator$")
        .include("dev\\.stator\\.bench\\.peers\\.ToggleBenchmark\\.stator$")
        .include("dev\\.stator\\.bench\\.peers\\.LifecycleBenchmark\\.stator$")
        .param("binding", "methods")
        .param("timeout", "default")
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100))
        .timeUnit(TimeUnit.NANOSECONDS)
        .shouldFailOnError(true)
        .build();
    Collection<RunResult> results = new Runner(opt).run();
    assertEquals(7, results.size(), "one result per included benchmark");
    for (RunResult r : results) {
      double score = r.getPrimaryResult().getScore();
      assertTrue(score > 0 && Double.isFinite(score),
          r.getParams().getBenchmark() + " scored " + score);
    }
  }
}
