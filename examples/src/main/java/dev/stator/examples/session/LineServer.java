package dev.stator.examples.session;

import dev.stator.supervision.Supervisor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/**
 * The in-process peer of {@link SessionClient}: a line-protocol server on a loopback
 * {@link ServerSocket} (127.0.0.1, an ephemeral port). It answers {@code HELLO id} with
 * {@code WELCOME n}, {@code PING n} with {@code PONG n}, {@code BYE} with {@code BYE} and a close,
 * and can misbehave on demand: drop every connection, refuse handshakes, stall a handshake,
 * ignore pings.
 *
 * <p>Its accept loop and one task per connection run under a {@link Supervisor}; every counter
 * has a bounded {@code await} so that tests wait for events instead of sleeping.
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class LineServer implements AutoCloseable {
  private final ServerSocket server;
  private final Supervisor tasks = Supervisor.of("line-server");
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Set<Socket> open = new LinkedHashSet<>(); // guarded by lock
  private int accepted; // guarded by lock
  private int hellos; // guarded by lock
  private int pings; // guarded by lock
  private int goodbyes; // guarded by lock
  private volatile boolean refuseHandshakes;
  private volatile boolean ignorePings;
  private volatile CountDownLatch handshakeGate = new CountDownLatch(0);

  private LineServer(ServerSocket server) {
    this.server = server;
  }

  /** Binds 127.0.0.1 on an ephemeral port and starts accepting. */
  public static LineServer start() throws IOException {
    ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    LineServer ls = new LineServer(s);
    ls.tasks.run("accept", ls::acceptLoop);
    return ls;
  }

  /** The address clients connect to. */
  public InetSocketAddress address() {
    return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
  }

  private void acceptLoop() throws IOException {
    while (!server.isClosed()) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (server.isClosed()) return;
        throw e;
      }
      int n;
      lock.lock();
      try {
        n = ++accepted;
        open.add(s);
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      tasks.run("connection-" + n, () -> serve(s, n));
    }
  }

  private void serve(Socket s, int session) throws InterruptedException {
    try (s) {
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      Writer out = new OutputStreamWriter(s.getOutputStream(), StandardCharsets.UTF_8);
      String hello = in.readLine();
      if (hello == null || !hello.startsWith("HELLO ")) return;
      count(() -> ++hellos);
      if (refuseHandshakes) return; // closes without a WELCOME
      handshakeGate.await();
      send(out, "WELCOME " + session);
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("PING ")) {
          count(() -> ++pings);
          if (!ignorePings) send(out, "PONG " + line.substring(5));
        } else if (line.equals("BYE")) {
          count(() -> ++goodbyes);
          send(out, "BYE");
          return;
        } else {
          send(out, "ERROR unknown command");
        }
      }
    } catch (IOException e) {
      // dropped by dropAll(), reset by the client: the connection is over either way
    } finally {
      lock.lock();
      try {
        open.remove(s);
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  private static void send(Writer out, String line) throws IOException {
    out.write(line + "\n");
    out.flush();
  }

  private int count(IntSupplier update) {
    lock.lock();
    try {
      int v = update.getAsInt();
      changed.signalAll();
      return v;
    } finally {
      lock.unlock();
    }
  }

  /** Closes every open connection at once, as a crashing peer or a network failure would. */
  public int dropAll() {
    List<Socket> all;
    lock.lock();
    try {
      all = new ArrayList<>(open);
    } finally {
      lock.unlock();
    }
    for (Socket s : all) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing a socket we own: nothing to report
      }
    }
    return all.size();
  }

  /** From now on, read a client's HELLO and close the connection without a WELCOME. */
  public void refuseHandshakes(boolean refuse) {
    this.refuseHandshakes = refuse;
  }

  /** From now on, receive PINGs but send no PONG. */
  public void ignorePings(boolean ignore) {
    this.ignorePings = ignore;
  }

  /** Holds every WELCOME until the returned latch is counted down. */
  public CountDownLatch stallHandshakes() {
    CountDownLatch gate = new CountDownLatch(1);
    handshakeGate = gate;
    return gate;
  }

  /** Connections accepted and not yet closed on the server side. */
  public int openConnections() {
    return read(() -> open.size());
  }

  /** Connections accepted so far. */
  public int accepted() {
    return read(() -> accepted);
  }

  /** HELLOs received so far. */
  public int hellos() {
    return read(() -> hellos);
  }

  /** PINGs received so far. */
  public int pings() {
    return read(() -> pings);
  }

  /** BYEs received so far. */
  public int goodbyes() {
    return read(() -> goodbyes);
  }

  private int read(IntSupplier value) {
    lock.lock();
    try {
      return value.getAsInt();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until exactly {@code n} connections are open on the server side. */
  public void awaitOpenConnections(int n, Duration timeout) throws InterruptedException, TimeoutException {
    awaitValue("open connections", () -> open.size(), n, timeout, true);
  }

  /** Waits until at least {@code n} HELLOs have been received. */
  public void awaitHellos(int n, Duration timeout) throws InterruptedException, TimeoutException {
    awaitValue("hellos", () -> hellos, n, timeout, false);
  }

  /** Waits until at least {@code n} PINGs have been received. */
  public void awaitPings(int n, Duration timeout) throws InterruptedException, TimeoutException {
    awaitValue("pings", () -> pings, n, timeout, false);
  }

  /** Waits until at least {@code n} BYEs have been received. */
  public void awaitGoodbyes(int n, Duration timeout) throws InterruptedException, TimeoutException {
    awaitValue("goodbyes", () -> goodbyes, n, timeout, false);
  }

  private void awaitValue(String what, IntSupplier value, int n, Duration timeout, boolean exact)
      throws InterruptedException, TimeoutException {
    long left = timeout.toNanos();
    lock.lock();
    try {
      for (;;) {
        int v = value.getAsInt();
        if (exact ? v == n : v >= n) return;
        if (left <= 0) throw new TimeoutException(what + " is " + v + ", not " + n + ", after " + timeout);
        left = changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Stops accepting, closes every connection and waits for the server's tasks. */
  @Override
  public void close() throws IOException {
    handshakeGate.countDown();
    try {
      server.close();
    } finally {
      dropAll();
      tasks.close();
    }
  }

  @Override
  public String toString() {
    return "LineServer[" + address() + ", open " + openConnections() + "]";
  }
}
