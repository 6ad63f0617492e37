package dev.stator.examples;

import dev.stator.Event;
import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.Schema;
import dev.stator.Tracer;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The runnable demo: a connection client as a relational state machine, printed with the
 * machine's one-line-per-transition log.
 *
 * <p>Run it with {@code mvn -q -pl examples -am package exec:exec -DskipTests}.
 */
public final class Demo {
  /** States of a client connection; {@code Exception} is the built-in error state. */
  enum Conn { Session, Connecting, Connected, Ready, Disconnected, ErrNetwork, Exception }

  static final Schema<Conn> SCHEMA = Schema.of(Conn.class)
      .state(Conn.Connecting, s -> s.add(Conn.Session).remove(Conn.Connected, Conn.Disconnected))
      .state(Conn.Connected, s -> s.require(Conn.Session)
          .remove(Conn.Connecting, Conn.Disconnected))
      .state(Conn.Ready, s -> s.require(Conn.Connected).auto())
      .state(Conn.Disconnected, s -> s.remove(Conn.Session, Conn.Connecting, Conn.Connected))
      .state(Conn.ErrNetwork, s -> s.require(Conn.Exception).remove(Conn.Connected))
      .build();

  /** The client: its handler methods are named after the states they serve. */
  static final class Client {
    final Machine<Conn> machine;
    final CountDownLatch connected = new CountDownLatch(1); // the first connect
    final CountDownLatch ready = new CountDownLatch(2); // the first connect and the reconnect
    final java.util.List<Thread> dialThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
    final CountDownLatch lastDial = new CountDownLatch(1);
    final AtomicInteger dials = new AtomicInteger();
    final AtomicInteger reconnects = new AtomicInteger();

    Client(Tracer counter) {
      machine = Machine.of(SCHEMA).id("client-1").handlers(this).log().tracer(counter).build();
    }

    /** Connecting became active: dial off the machine's thread, report back as a mutation. */
    void connectingState(Event<Conn> e) {
      int n = dials.incrementAndGet();
      dialThreads.add(Thread.ofVirtual().name("dial-" + n).start(() -> {
        if (n == 3) await(lastDial); // the demo holds the third dial until after disconnect
        Result r = machine.add(Conn.Connected);
        System.out.println("  dial-" + n + " finished: add(Connected) -> " + r.status());
      }));
    }

    void readyState(Event<Conn> e) {
      connected.countDown();
      ready.countDown();
    }

    /** A network error: drop the connection (by relation) and reconnect. */
    void errNetworkState(Event<Conn> e) {
      System.out.println("  network error: " + e.error().getMessage() + "; reconnecting");
      reconnects.incrementAndGet();
      machine.removeError(); // queued: runs after this transition
      machine.add(Conn.Connecting);
    }

    void readyEnd(Event<Conn> e) {
      System.out.println("  ready ended");
    }
  }

  public static void main(String[] args) throws Exception {
    logToStdout();
    System.out.println("Stator demo: a connection client as a relational state machine");
    System.out.println("states " + SCHEMA.names());
    AtomicInteger executed = new AtomicInteger();
    AtomicInteger canceled = new AtomicInteger();
    Tracer counter = new Tracer() {
      @Override
      public void transitionEnd(Event<?> e, boolean ok) {
        (ok ? executed : canceled).incrementAndGet();
      }
    };
    Client c = new Client(counter);
    Machine<Conn> m = c.machine;

    System.out.println("\n1. connect");
    m.add(Conn.Connecting);
    if (!c.connected.await(5, TimeUnit.SECONDS)) throw new IllegalStateException("no connect");

    System.out.println("\n2. a network error drops the connection; the client reconnects");
    m.addError(Conn.ErrNetwork, new IOException("connection reset by peer"));
    if (!c.ready.await(5, TimeUnit.SECONDS)) throw new IllegalStateException("no reconnect");
    System.out.println("  active: " + m.activeNames());

    System.out.println("\n3. start a third dial, then disconnect before it completes");
    m.add(Conn.Connecting);
    m.add(Conn.Disconnected);
    c.lastDial.countDown(); // the stale dial now reports Connected: refused by the relations
    for (Thread t : c.dialThreads) t.join();

    System.out.println("\n4. close");
    m.close();
    System.out.println();
    System.out.printf("%-24s %s%n", "transitions executed", executed.get());
    System.out.printf("%-24s %s%n", "transitions canceled", canceled.get());
    System.out.printf("%-24s %s%n", "dials", c.dials.get());
    System.out.printf("%-24s %s%n", "reconnects", c.reconnects.get());
    System.out.printf("%-24s %s%n", "final states", m.activeNames());
    System.out.printf("%-24s %s%n", "clocks", m.snapshot());
    System.out.printf("%-24s %s%n", "machine closed", m.isClosed());
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sends the machine log ({@code System.Logger} over java.util.logging) to stdout, one line each. */
  private static void logToStdout() {
    Logger root = Logger.getLogger("");
    for (var h : root.getHandlers()) root.removeHandler(h);
    ConsoleHandler out = new ConsoleHandler() {
      {
        setOutputStream(System.out);
      }
    };
    out.setFormatter(new Formatter() {
      @Override
      public String format(LogRecord r) {
        return "  " + formatMessage(r) + System.lineSeparator();
      }
    });
    out.setLevel(Level.ALL);
    root.addHandler(out);
  }
}
