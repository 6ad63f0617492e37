package dev.stator.bench;

import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.Schema;
import dev.stator.Wait;
import dev.stator.rpc.Connection;
import dev.stator.rpc.Grant;
import dev.stator.rpc.RemoteMachine;
import dev.stator.rpc.RpcClient;
import dev.stator.rpc.RpcServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * The rpc figures of issue 10, a timed main (a remote round trip is far above JMH's
 * resolution and its figures are percentiles): one server process and one client process on
 * loopback, plaintext. This process is the client; it starts the server as a child JVM
 * ({@code RpcBench serve}) and measures
 * <ul>
 *   <li>the synchronous remote mutation round trip, p50 and p99 ({@code toggle} on the mirror,
 *       which waits for the server's answer);
 *   <li>remote mutations per second, synchronous from 1, 8 and 64 threads, and pipelined
 *       ({@link RpcClient.Builder#pipelined()}) from 1 and 8 threads, counted by the server's
 *       clock, so only mutations that ran count;
 *   <li>the clock-delta push latency: the server toggles its machine every millisecond and a
 *       wait on the client's mirror completes, p50 and p99, from the server's
 *       {@code System.nanoTime()} before the mutation to the client's after the wait (one host:
 *       both read the same monotonic clock);
 *   <li>bytes per pushed transition: what the server process wrote to its sockets during the
 *       push phase ({@code wchar} of {@code /proc/self/io}), divided by the transitions.
 * </ul>
 *
 * <p>Run (JDK 25): {@code mvn -q -pl bench -am package -DskipTests} then
 * {@code java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * dev.stator.bench.RpcBench [seconds per throughput run, default 3]}.
 */
public final class RpcBench {
  /** The benchmark's machine: one flag. */
  public enum Flag { On, Off }

  static final Schema<Flag> SCHEMA = Schema.of(Flag.class)
      .state(Flag.On, s -> s.remove(Flag.Off))
      .state(Flag.Off, s -> s.remove(Flag.On))
      .build();
  private static final String TOKEN = "bench-token-0123456789abcdef";
  private static final int PUSHES = 2_000;

  private RpcBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("serve")) {
      serve();
      return;
    }
    Duration run = Duration.ofSeconds(args.length > 0 ? Integer.parseInt(args[0]) : 3);
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"),
        "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED"));
    String extra = System.getProperty("rpcbench.server.options", ""); // e.g. a JFR recording
    if (!extra.isBlank()) command.addAll(List.of(extra.trim().split("\\s+")));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        RpcBench.class.getName(), "serve"));
    Process server = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (BufferedReader from = new BufferedReader(new InputStreamReader(server.getInputStream(),
        StandardCharsets.UTF_8));
        PrintStream to = new PrintStream(server.getOutputStream(), true, StandardCharsets.UTF_8)) {
      int port = Integer.parseInt(expect(from, "port "));
      System.out.printf("server pid %d, port %d, %d CPUs, load average %s%n", server.pid(), port,
          Runtime.getRuntime().availableProcessors(), load());
      try (RpcClient sync = client(port, false); RpcClient pipelined = client(port, true)) {
        Machine<Flag> r = attach(sync);
        Machine<Flag> p = attach(pipelined);
        for (int i = 0; i < 20_000; i++) r.toggle(Flag.On); // warm-up
        throughput(p, 1, Duration.ofSeconds(1), true);
        roundTrip(r);
        for (int threads : new int[] {1, 8, 64}) {
          System.out.printf("synchronous mutations/s from %d threads: %,.0f%n", threads,
              throughput(r, threads, run, false));
        }
        for (int threads : new int[] {1, 8}) {
          Duration c0 = cpu(ProcessHandle.current());
          Duration s0 = cpu(server.toHandle());
          System.out.printf("pipelined mutations/s from %d threads: %,.0f%n", threads,
              throughput(p, threads, run, true));
          System.out.printf("  CPU: client %d ms, server %d ms%n",
              cpu(ProcessHandle.current()).minus(c0).toMillis(),
              cpu(server.toHandle()).minus(s0).toMillis());
        }
        push(r, from, to);
      }
      to.println("quit");
    } finally {
      server.waitFor();
    }
  }

  private static RpcClient client(int port, boolean pipelined) {
    RpcClient.Builder b = RpcClient.builder().target("localhost", port).plaintext().token(TOKEN);
    if (pipelined) b.pipelined();
    return b.build();
  }

  private static Machine<Flag> attach(RpcClient client) throws Exception {
    RemoteMachine<Flag> remote = client.attach("bench", SCHEMA);
    remote.connection().when(Connection.Connected).await(Duration.ofSeconds(10));
    return remote.machine();
  }

  private static void roundTrip(Machine<Flag> r) {
    int n = 20_000;
    long[] rtt = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      r.toggle(Flag.On);
      rtt[i] = System.nanoTime() - t0;
    }
    Arrays.sort(rtt);
    System.out.printf("round trip (synchronous toggle): p50 %.1f us, p99 %.1f us (n=%,d)%n",
        rtt[n / 2] / 1e3, rtt[n * 99 / 100] / 1e3, n);
  }

  /**
   * Mutations that ran per second: the mirror's clock of {@code On} grows by one per toggle
   * that ran; pipelined threads await their last mutation before the clock stops.
   */
  private static double throughput(Machine<Flag> r, int threads, Duration time,
      boolean pipelined) throws InterruptedException {
    long before = r.tick(Flag.On);
    LongAdder calls = new LongAdder();
    CountDownLatch done = new CountDownLatch(threads);
    long t0 = System.nanoTime();
    long end = t0 + time.toNanos();
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      ts.add(Thread.ofPlatform().start(() -> {
        Result last = null;
        long n = 0;
        while (System.nanoTime() < end) {
          last = r.toggle(Flag.On);
          n++;
        }
        try {
          if (pipelined && last != null) last.await(Duration.ofSeconds(30));
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        calls.add(n);
        done.countDown();
      }));
    }
    done.await();
    double seconds = (System.nanoTime() - t0) / 1e9;
    long ran = r.tick(Flag.On) - before;
    if (ran != calls.sum()) {
      System.out.printf("  (%,d calls, %,d ran: the rest were refused)%n", calls.sum(), ran);
    }
    return ran / seconds;
  }

  private static void push(Machine<Flag> r, BufferedReader from, PrintStream to)
      throws Exception {
    Wait[] waits = new Wait[PUSHES];
    for (int k = 0; k < PUSHES; k++) waits[k] = r.whenTicks(Flag.On, k + 1);
    to.println("push " + PUSHES);
    long[] seen = new long[PUSHES];
    for (int k = 0; k < PUSHES; k++) {
      waits[k].await(Duration.ofSeconds(10));
      seen[k] = System.nanoTime();
    }
    String[] sent = expect(from, "pushed ").split(",");
    long wrote = Long.parseLong(expect(from, "wrote "));
    long[] lat = new long[PUSHES];
    for (int k = 0; k < PUSHES; k++) lat[k] = seen[k] - Long.parseLong(sent[k]);
    Arrays.sort(lat);
    System.out.printf("push latency (server mutation -> client when): p50 %.1f us, p99 %.1f us"
        + " (n=%,d, one every ms)%n", lat[PUSHES / 2] / 1e3, lat[PUSHES * 99 / 100] / 1e3,
        PUSHES);
    System.out.printf("bytes written by the server per pushed transition: %.1f%n",
        wrote / (double) PUSHES);
  }

  private static String expect(BufferedReader from, String prefix) throws IOException {
    String line;
    while ((line = from.readLine()) != null) {
      if (line.startsWith(prefix)) return line.substring(prefix.length());
    }
    throw new IllegalStateException("the server process ended before '" + prefix + "'");
  }

  private static Duration cpu(ProcessHandle p) {
    return p.info().totalCpuDuration().orElse(Duration.ZERO);
  }

  private static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  // ------------------------------------------------------------------ the server process

  private static void serve() throws Exception {
    try (Machine<Flag> m = Machine.of(SCHEMA).id("bench").build();
        RpcServer server = RpcServer.builder().port(0).plaintext().expose(m)
            .client("bench", TOKEN, Grant.mutate("bench")).start();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in,
            StandardCharsets.UTF_8))) {
      System.out.println("port " + server.port());
      String line;
      while ((line = in.readLine()) != null && !line.equals("quit")) {
        if (!line.startsWith("push ")) continue;
        int n = Integer.parseInt(line.substring(5));
        long[] at = new long[n];
        long wrote = written();
        for (int k = 0; k < n; k++) {
          long next = System.nanoTime() + 1_000_000;
          at[k] = System.nanoTime();
          m.toggle(Flag.On);
          java.util.concurrent.locks.LockSupport.parkNanos(next - System.nanoTime());
        }
        wrote = written() - wrote;
        StringBuilder b = new StringBuilder("pushed ");
        for (int k = 0; k < n; k++) b.append(k == 0 ? "" : ",").append(at[k]);
        System.out.println(b);
        System.out.println("wrote " + wrote);
      }
    }
  }

  /** Bytes this process has written with write(2) and friends (sockets included). */
  private static long written() throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/self/io"))) {
      if (l.startsWith("wchar:")) return Long.parseLong(l.substring(6).trim());
    }
    throw new IllegalStateException("no wchar in /proc/self/io");
  }
}
