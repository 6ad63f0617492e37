package dev.stator.bench;

import dev.stator.Machine;
import dev.stator.Schema;
import java.util.List;

/**
 * Question 5: how many bytes does an idle machine hold, with its schema shared?
 *
 * <p>Builds two fresh machines of the same schema (default configuration, no handlers) and
 * reports, with JOL, the bytes reachable from the first that are not reachable from the second
 * ({@link Retained#unique}): the schema, the shared default configuration and everything else
 * machines have in common are not counted. Schemas: 2 declared states (3 with the built-in
 * {@code Exception}), {@link Ten} (10 + 1), and a named schema of 63 + 1 = 64 states (the
 * maximum). The per-state increment is the slope between the 3-state and the 64-state schema.
 * For context it also reports a machine with a bound handler object after one transition, and
 * the two floors.
 *
 * <p>Target: &le; 250 B for 2 states, + &le; 16 B per further state. Run (JDK 25):
 * <pre>{@code
 * java -cp bench/target/benchmarks.jar dev.stator.bench.Footprint
 * }</pre>
 * Add {@code -v} for a per-class breakdown.
 */
public final class Footprint {
  private Footprint() {}

  /** Two declared states. */
  enum Two { On, Off }

  public static void main(String[] args) {
    boolean verbose = List.of(args).contains("-v");
    Schema<Two> two = Schema.of(Two.class)
        .state(Two.On, s -> s.remove(Two.Off))
        .state(Two.Off, s -> s.remove(Two.On))
        .build();
    Schema.Builder<String> b = Schema.named("Sixty4");
    for (int i = 0; i < 63; i++) b.state("S" + i);
    Schema<String> max = b.build();

    long b2 = report("2 declared states", two, verbose);
    report("Ten (10 declared)", Ten.SCHEMA, verbose);
    long b64 = report("64 states", max, verbose);
    double perState = (double) (b64 - b2) / (max.size() - two.size());
    System.out.printf("per further state: %.2f B (slope from %d to %d states)%n",
        perState, two.size(), max.size());
    System.out.printf("RESULT footprint.2states.bytes %d%n", b2);
    System.out.printf("RESULT footprint.perState.bytes %.2f%n", perState);

    Machine<Ten> h1 = Machine.of(Ten.SCHEMA).handlers(new TenHandlers()).build();
    Machine<Ten> h2 = Machine.of(Ten.SCHEMA).handlers(new TenHandlers()).build();
    h1.add(Ten.Started);
    h2.add(Ten.Started);
    System.out.printf("Ten with a handler object, 1 s timeout, after one transition: %d B%n",
        Retained.unique(h1, h2));
    if (verbose) Retained.breakdown(h1, h2).forEach(l -> System.out.println("    " + l));
    BitsetFloor.Relations rel = Ten.relations();
    System.out.printf("floor bitset+lock (Ten): %d B; floor switch+lock (Ten): %d B%n",
        Retained.unique(new BitsetFloor(rel), new BitsetFloor(rel)),
        Retained.unique(new SwitchFloor(), new SwitchFloor()));
  }

  private static <S> long report(String label, Schema<S> schema, boolean verbose) {
    Machine<S> a = Machine.of(schema).build();
    Machine<S> c = Machine.of(schema).build();
    long bytes = Retained.unique(a, c);
    System.out.printf("%-20s schema.size()=%2d  idle machine: %4d B%n", label, schema.size(),
        bytes);
    if (verbose) Retained.breakdown(a, c).forEach(l -> System.out.println("    " + l));
    return bytes;
  }
}
