package dev.stator.rpc;

import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * A timed main (not a test, not JMH) for the rpc figures of issue 10, on loopback, one server
 * and one client in one JVM, plaintext: synchronous remote mutation round trip (p50, p99),
 * remote mutations per second from 1, 8 and 64 calling threads (each call synchronous, so
 * threads = calls in flight), clock push latency (a mutation on the server until a {@code when}
 * on the client's mirror completes; p50, p99), and bytes per transition on the wire.
 *
 * <p>Run: {@code mvn -q -pl rpc -am test-compile dependency:build-classpath
 * -Dmdep.outputFile=cp.txt -Djcstress.skip=true} then {@code java
 * --enable-native-access=ALL-UNNAMED
 * -cp rpc/target/test-classes:rpc/target/classes:$(cat rpc/cp.txt) dev.stator.rpc.RpcBench}
 * (JDK 25).
 */
public final class RpcBench {
  enum Flag { On, Off }

  static final Schema<Flag> SCHEMA = Schema.of(Flag.class)
      .state(Flag.On, s -> s.remove(Flag.Off))
      .state(Flag.Off, s -> s.remove(Flag.On))
      .build();

  private RpcBench() {}

  public static void main(String[] args) throws Exception {
    String token = "bench-token-0123456789abcdef";
    try (Machine<Flag> m = Machine.of(SCHEMA).id("bench").build();
        RpcServer server = RpcServer.builder().port(0).plaintext().expose(m)
            .client("bench", token, Grant.mutate("bench")).start();
        RpcClient client = RpcClient.builder().target("localhost", server.port()).plaintext()
            .token(token).build()) {
      RemoteMachine<Flag> remote = client.attach("bench", SCHEMA);
      remote.connection().when(Connection.Connected).await(Duration.ofSeconds(10));
      Machine<Flag> r = remote.machine();

      for (int i = 0; i < 5_000; i++) r.toggle(Flag.On); // warm-up
      int n = 20_000;
      long[] rtt = new long[n];
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        r.toggle(Flag.On);
        rtt[i] = System.nanoTime() - t0;
      }
      Arrays.sort(rtt);
      System.out.printf("round trip (sync toggle): p50 %.1f us, p99 %.1f us (n=%d)%n",
          rtt[n / 2] / 1e3, rtt[n * 99 / 100] / 1e3, n);

      for (int threads : new int[] {1, 8, 64}) {
        System.out.printf("mutations/s from %d threads: %,.0f%n", threads,
            throughput(r, threads, Duration.ofSeconds(3)));
      }

      int samples = 2_000;
      long[] push = new long[samples];
      for (int i = 0; i < samples; i++) {
        Flag next = m.is(Flag.On) ? Flag.Off : Flag.On;
        Wait w = r.when(next);
        long t0 = System.nanoTime();
        m.add(next);
        w.await(Duration.ofSeconds(5));
        push[i] = System.nanoTime() - t0;
      }
      Arrays.sort(push);
      System.out.printf("push latency (server mutation -> client when): p50 %.1f us, p99 %.1f us"
          + " (mirror's measured max lag %s)%n", push[samples / 2] / 1e3,
          push[samples * 99 / 100] / 1e3, remote.maxLag());

      long[] before = m.snapshot().ticks();
      m.toggle(Flag.On);
      var s = m.snapshot();
      int payload = Wire.encode(new Wire.Update(null,
          Wire.Clock.delta(before, s.active(), s.ticks(), s.queueTick()), null)).length;
      System.out.printf("bytes per transition pushed: %d payload + 5 gRPC frame + 9 HTTP/2 frame"
          + " header = %d%n", payload, payload + 14);
    }
  }

  private static double throughput(Machine<Flag> r, int threads, Duration time)
      throws InterruptedException {
    LongAdder ops = new LongAdder();
    CountDownLatch done = new CountDownLatch(threads);
    long end = System.nanoTime() + time.toNanos();
    List<Thread> ts = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      ts.add(Thread.ofVirtual().start(() -> {
        while (System.nanoTime() < end) {
          r.toggle(Flag.On);
          ops.increment();
        }
        done.countDown();
      }));
    }
    done.await();
    return ops.sum() / ((System.nanoTime() - t0) / 1e9);
  }
}
