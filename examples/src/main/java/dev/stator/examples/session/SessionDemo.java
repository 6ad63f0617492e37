package dev.stator.examples.session;

import dev.stator.Machine;
import dev.stator.Wait;
import dev.stator.examples.DemoPart;
import dev.stator.examples.session.SessionClient.Conn;
import dev.stator.Tracer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Demo section: a session client on a loopback socket connects, heartbeats, loses its
 * connection when the server drops it, reconnects after a backoff, and disconnects; every
 * resource of each session is released by its owner.
 */
public final class SessionDemo implements DemoPart {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private final Tracer tracer;

  /** A section whose client is not traced. */
  public SessionDemo() {
    this(Tracer.NOOP);
  }

  /** A section whose client is traced by {@code tracer} and listed for the inspector. */
  public SessionDemo(Tracer tracer) {
    this.tracer = tracer;
  }

  @Override
  public String title() {
    return "session client";
  }

  @Override
  public Map<String, Long> run(PrintStream out) throws Exception {
    out.println("A client whose session is a stack of resources owned by states: a lease (a");
    out.println("ReentrantLock held on a holder thread), a TCP socket and a line protocol on top.");
    out.println("states " + SessionClient.SCHEMA.names());
    CountingThreadFactory threads = new CountingThreadFactory("session");
    Map<String, Long> figures = new LinkedHashMap<>();
    long serverLeft;
    try (LineServer server = LineServer.start()) {
      out.println("server listening on " + server.address());
      SessionClient client = SessionClient.builder(server.address()).clientId("demo")
          .threadFactory(threads)
          .backoff(new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 5))
          .heartbeat(Duration.ofMillis(100), 2) // on the system time: the demo really waits
          .log(true)
          .tracer(tracer).listed()
          .build();
      try {
        Machine<Conn> m = client.machine();
        out.println("\n1. connect: dial, HELLO/WELCOME");
        client.connect(WAIT);
        out.println("   open resources: " + client.ledger().entries().stream()
            .filter(e -> e.closedBy() == null).map(e -> e.kind()).toList());

        out.println("\n2. heartbeat: a PING every 100 ms, each PONG re-enters Heartbeat");
        m.whenTicks(Conn.Heartbeat, 3).await(WAIT); // two PONGs: +1, then +2
        out.println("   PONGs so far: " + client.pongs());

        out.println("\n3. the server drops the connection: ErrNetwork, Backoff (100 ms), reconnect");
        Wait reconnected = m.whenTicks(Conn.Connected, 2);
        server.dropAll();
        reconnected.await(WAIT);
        out.println("   reconnected after " + m.lastError());
        List<ResourceLedger.Entry> first = client.ledger().entries().subList(0, 3);
        for (ResourceLedger.Entry e : first) out.println("   first session: " + e);

        out.println("\n4. disconnect: BYE, then channel, socket and lease released");
        client.disconnect().await(WAIT);
        server.awaitGoodbyes(1, WAIT);
        server.awaitOpenConnections(0, WAIT);
        out.println("   server received BYE; its open connections: " + server.openConnections());
      } finally {
        client.close();
      }
      CountingThreadFactory.awaitTermination(threads.threads(), WAIT);
      ResourceLedger ledger = client.ledger();
      figures.put("reconnects", client.reconnects());
      figures.put("heartbeats", client.pongs());
      figures.put("resources opened", ledger.opened());
      figures.put("resources closed", ledger.closed());
      serverLeft = server.openConnections();
      figures.put("threads started", (long) threads.created());
      figures.put("leaks", ledger.open() + (threads.created() - threads.ended()) + serverLeft);
    }
    out.println("\nEvery socket and channel was closed by the machine's owner thread; every lease was");
    out.println("given back by the holder thread that took it.");
    return figures;
  }
}
