package dev.stator.examples.rpc;

import dev.stator.Args;
import dev.stator.Key;
import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.Schema;
import dev.stator.examples.DemoPart;
import dev.stator.rpc.Connection;
import dev.stator.rpc.Grant;
import dev.stator.rpc.RemoteMachine;
import dev.stator.rpc.RpcClient;
import dev.stator.rpc.RpcServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Demo section: remote machines ({@code stator-rpc}). One JVM: a server on
 * a real TCP loopback port owns a door machine and serves it over TLS; an operator client with
 * a mutate grant and a dashboard client with a read-only grant mirror it, each with its token.
 * The certificates are demo-only (see {@code demo/README.md} beside them).
 */
public final class RpcDemo implements DemoPart {
  enum Door { Open, Closed, Locked }

  static final Schema<Door> SCHEMA = Schema.of(Door.class)
      .state(Door.Open, s -> s.remove(Door.Closed, Door.Locked))
      .state(Door.Closed, s -> s.remove(Door.Open))
      .state(Door.Locked, s -> s.require(Door.Closed))
      .build();

  static final Key<String> WHO = Key.of("who", String.class, Key.Codec.of(s -> s, s -> s));

  @Override
  public String title() {
    return "remote machine";
  }

  @Override
  public Map<String, Long> run(PrintStream out) throws Exception {
    Set<String> before = threads();
    Path dir = Files.createTempDirectory("stator-rpc-demo");
    Map<String, Long> figures = new LinkedHashMap<>();
    long refused = 0;
    try {
      Path ca = resource(dir, "ca.pem");
      Path cert = resource(dir, "server.pem");
      Path key = resource(dir, "server.key");
      String operatorToken = "operator-" + Long.toHexString(System.nanoTime()) + "-secret";
      String dashboardToken = "dashboard-" + Long.toHexString(System.nanoTime()) + "-secret";
      try (Machine<Door> door = Machine.of(SCHEMA).id("door-1").log()
              .onEnter(Door.Locked, e -> "admin".equals(e.arg(WHO))).build();
          Machine<Door> bench = Machine.of(SCHEMA).id("door-2").build(); // not logged
          RpcServer server = RpcServer.builder().port(0).tls(cert, key).expose(door, WHO)
              .expose(bench)
              .client("operator", operatorToken, Grant.mutate("door-1"), Grant.mutate("door-2"))
              .client("dashboard", dashboardToken, Grant.read("door-1"))
              .start();
          RpcClient operator = RpcClient.builder().target("localhost", server.port()).tls(ca)
              .token(operatorToken).build();
          RpcClient dashboard = RpcClient.builder().target("localhost", server.port()).tls(ca)
              .token(dashboardToken).build()) {
        out.println("server: door-1 over TLS on localhost:" + server.port()
            + "; clients 'operator' (mutate) and 'dashboard' (read-only)");
        RemoteMachine<Door> op = operator.attach("door-1", SCHEMA);
        RemoteMachine<Door> view = dashboard.attach("door-1", SCHEMA);
        op.connection().when(Connection.Connected).await(Duration.ofSeconds(10));
        view.connection().when(Connection.Connected).await(Duration.ofSeconds(10));
        out.println("operator connection " + op.connection().activeNames()
            + ", dashboard connection " + view.connection().activeNames());

        Machine<Door> remote = op.machine(); // a Machine<Door>: the same API as a local one
        out.println("operator add(Closed): " + remote.add(Door.Closed).status());
        Result guest = remote.add(Door.Locked, Args.of(WHO, "guest"));
        out.println("operator add(Locked, who=guest): " + guest.status() + " (" + guest.reason()
            + ")");
        if (guest.canceled()) refused++;
        out.println("operator add(Locked, who=admin): "
            + remote.add(Door.Locked, Args.of(WHO, "admin")).status());
        view.machine().when(Door.Locked).await(Duration.ofSeconds(5)); // a local wait
        out.println("dashboard mirror sees " + view.machine().activeNames() + " (clocks "
            + Arrays.toString(view.machine().snapshot().ticks()) + ")");
        Result denied = view.machine().add(Door.Open);
        out.println("dashboard add(Open): " + denied.status() + " (" + denied.reason() + ")");
        if (denied.canceled()) refused++;

        int n = 1_000;
        long[] nanos = new long[n];
        RemoteMachine<Door> second = operator.attach("door-2", SCHEMA); // a machine not logged
        second.connection().when(Connection.Connected).await(Duration.ofSeconds(10));
        Machine<Door> quiet = second.machine();
        for (int i = 0; i < n; i++) {
          long t0 = System.nanoTime();
          quiet.toggle(Door.Open);
          nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        out.printf("%d remote round trips over TLS: p50 %d us, p99 %d us%n", n,
            nanos[n / 2] / 1_000, nanos[n * 99 / 100] / 1_000);
        figures.put("round trips", (long) n);
        figures.put("p50 us", nanos[n / 2] / 1_000);
        figures.put("refused", refused);
        view.machine().whenTime(door.snapshot()).await(Duration.ofSeconds(5));
        boolean same = Arrays.equals(view.machine().snapshot().ticks(), door.snapshot().ticks());
        out.println("dashboard mirror after the round trips: " + view.machine().activeNames()
            + (same ? ", clocks equal to the server's" : ", clocks DIFFER"));
        figures.put("mirrors in sync", same ? 1L : 0L);
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    figures.put("leaks", (long) leftOver(before));
    return figures;
  }

  private static Path resource(Path dir, String name) throws IOException {
    try (InputStream in = RpcDemo.class.getResourceAsStream("demo/" + name)) {
      if (in == null) throw new IllegalStateException("missing demo certificate " + name);
      Path p = dir.resolve(name);
      Files.copy(in, p);
      return p;
    }
  }

  /** Live threads of the transport and of the rpc module. */
  private static Set<String> threads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
        .map(Thread::getName).filter(n -> n.startsWith("grpc") || n.startsWith("stator-rpc"))
        .collect(java.util.stream.Collectors.toSet());
  }

  /** Transport threads started by the section still alive after a bounded wait. */
  private static int leftOver(Set<String> before) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      Set<String> now = new java.util.HashSet<>(threads());
      now.removeAll(before);
      if (now.isEmpty() || System.nanoTime() > deadline) return now.size();
      Thread.sleep(20); // polling with a deadline: grpc's shared event loops end 1 s after use
    }
  }
}
