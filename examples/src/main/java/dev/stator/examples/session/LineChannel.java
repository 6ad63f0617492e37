package dev.stator.examples.session;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * The client side of a line protocol over a TCP socket: {@code HELLO id} / {@code WELCOME
 * session}, {@code PING n} / {@code PONG n}, {@code BYE}.
 *
 * <p>All I/O is non-blocking and waits in a {@link Selector}, so a thread waiting here that is
 * interrupted returns at once with an {@link InterruptedException} and <em>leaves the socket
 * open</em>: the socket is closed by its owner, after this channel. (A virtual thread
 * interrupted in a blocking {@code java.net.Socket} read would close the socket itself, before
 * the channel could say goodbye.)
 *
 * <h2>Threads</h2>
 * Not thread-safe beyond this: one thread reads ({@link #connect}, {@link #handshake},
 * {@link #readLine}) and one thread writes ({@link #handshake}, {@link #send}) at a time, and
 * {@link #close} runs when neither does. The session client's states give that order: the dial
 * task connects and shakes hands, then the reader task of {@code Connected} reads while its
 * {@code Ping} handler writes the PINGs (on the machine's owner thread), then the scope that owns
 * the channel closes it, on that thread, after the reader ended.
 *
 * <h2>Close</h2>
 * {@link #close()} says {@code BYE} if the session was established and no I/O error has been
 * seen (best effort: one non-blocking write; a failure is recorded, not thrown, since the socket
 * close that follows is the real release), then closes its selectors. It does not close the
 * socket, which is a resource of its own.
 */
public final class LineChannel implements AutoCloseable {
  private static final int MAX_LINE = 1024;

  private final SocketChannel socket;
  private final Selector reads;
  private final Selector writes;
  private final SelectionKey readKey;
  private final SelectionKey writeKey;
  private final ByteBuffer in = ByteBuffer.allocate(2048); // reading thread only
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream(); // reading thread only
  private volatile boolean established; // written by the handshaking thread
  private volatile boolean broken; // written by any thread that saw an I/O error
  private volatile boolean closed; // written by close()
  private volatile boolean saidGoodbye; // written by close()
  private volatile String sessionId = "";
  private volatile long lastPong; // written by the reading thread, read by the heartbeat

  private LineChannel(SocketChannel socket, Selector reads, Selector writes) throws IOException {
    this.socket = socket;
    this.reads = reads;
    this.writes = writes;
    socket.configureBlocking(false);
    this.readKey = socket.register(reads, 0);
    this.writeKey = socket.register(writes, 0);
  }

  /** A channel over {@code socket} (not yet connected); opens two selectors. */
  public static LineChannel over(SocketChannel socket) throws IOException {
    Objects.requireNonNull(socket, "socket");
    Selector r = Selector.open();
    Selector w = null;
    try {
      w = Selector.open();
      return new LineChannel(socket, r, w);
    } catch (IOException | RuntimeException e) {
      r.close();
      if (w != null) w.close();
      throw e;
    }
  }

  /** Connects the socket to {@code address} within {@code timeout}. */
  public void connect(SocketAddress address, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      if (socket.connect(address)) return;
      readKey.interestOps(SelectionKey.OP_CONNECT);
      while (!socket.finishConnect()) await(reads, deadline, "connect to " + address);
    } catch (IOException e) {
      broken = true;
      throw e;
    } finally {
      if (readKey.isValid()) readKey.interestOps(0);
    }
  }

  /**
   * Says {@code HELLO clientId} and waits up to {@code timeout} for {@code WELCOME session}.
   *
   * @return the session id the server gave
   */
  public String handshake(String clientId, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    send("HELLO " + clientId);
    String reply = readLine(deadline);
    if (reply == null) {
      broken = true;
      throw new EOFException("the server closed the connection during the handshake");
    }
    if (!reply.startsWith("WELCOME ")) {
      broken = true;
      throw new ProtocolException("unexpected handshake reply: '" + reply + "'");
    }
    sessionId = reply.substring("WELCOME ".length());
    established = true;
    return sessionId;
  }

  /** Reads one line, waiting as long as it takes; {@code null} at the end of the stream. */
  public String readLine() throws IOException, InterruptedException {
    return readLine(0);
  }

  private String readLine(long deadline) throws IOException, InterruptedException {
    try {
      for (;;) {
        String line = takeLine();
        if (line != null) return line;
        int n = socket.read(in);
        if (n < 0) {
          broken = true;
          return null;
        }
        if (n == 0) {
          readKey.interestOps(SelectionKey.OP_READ);
          await(reads, deadline, "read");
        }
      }
    } catch (IOException e) {
      broken = true;
      throw e;
    }
  }

  private String takeLine() throws ProtocolException {
    in.flip();
    try {
      while (in.hasRemaining()) {
        byte b = in.get();
        if (b == '\n') {
          String line = pending.toString(StandardCharsets.UTF_8);
          pending.reset();
          return line;
        }
        pending.write(b);
        if (pending.size() > MAX_LINE) throw new ProtocolException("line longer than " + MAX_LINE);
      }
      return null;
    } finally {
      in.compact();
    }
  }

  /** Writes one line, waiting for the socket to take it (up to 5 s). */
  public void send(String line) throws IOException, InterruptedException {
    ByteBuffer out = StandardCharsets.UTF_8.encode(line + "\n");
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    try {
      while (out.hasRemaining()) {
        if (socket.write(out) == 0) {
          writeKey.interestOps(SelectionKey.OP_WRITE);
          await(writes, deadline, "write");
        }
      }
    } catch (IOException e) {
      broken = true;
      throw e;
    }
  }

  /** Waits in {@code selector} until it is ready, the deadline passes (0: none) or an interrupt. */
  private static void await(Selector selector, long deadline, String what)
      throws IOException, InterruptedException {
    if (deadline == 0) {
      selector.select();
    } else {
      long left = deadline - System.nanoTime();
      if (left <= 0) throw new SocketTimeoutException(what + " timed out");
      selector.select(Math.max(1, Duration.ofNanos(left).toMillis()));
    }
    selector.selectedKeys().clear();
    if (Thread.interrupted()) throw new InterruptedException(what + " interrupted");
  }

  /** Records that the server answered {@code PING n} (reading thread). */
  void ponged(long n) {
    if (n > lastPong) lastPong = n;
  }

  /** The highest {@code n} of a {@code PONG n} received. */
  public long lastPong() {
    return lastPong;
  }

  /** The session id the server gave in the handshake, or empty. */
  public String sessionId() {
    return sessionId;
  }

  /** Whether an I/O error or the end of the stream has been seen. */
  public boolean isBroken() {
    return broken;
  }

  /** Whether {@link #close()} managed to say {@code BYE}. */
  public boolean saidGoodbye() {
    return saidGoodbye;
  }

  /** Says goodbye if the session is healthy (best effort), then closes the selectors. */
  @Override
  public void close() throws IOException {
    if (closed) return;
    closed = true;
    try {
      if (established && !broken && socket.isOpen()) {
        ByteBuffer bye = StandardCharsets.UTF_8.encode("BYE\n");
        try {
          socket.write(bye); // one non-blocking attempt: a few bytes into an idle socket
          saidGoodbye = !bye.hasRemaining();
        } catch (IOException e) {
          broken = true; // the peer is gone; closing the socket below is what matters
        }
      }
    } finally {
      try {
        reads.close();
      } finally {
        writes.close();
      }
    }
  }

  @Override
  public String toString() {
    return "LineChannel[" + (sessionId.isEmpty() ? "no session" : "session " + sessionId) + "]";
  }

  /** Parses the number of a {@code PONG n} line, or throws. */
  static long pongNumber(String line) throws ProtocolException {
    if (!line.startsWith("PONG ")) throw new ProtocolException("unexpected line: '" + line + "'");
    try {
      return Long.parseLong(line.substring(5));
    } catch (NumberFormatException e) {
      throw new ProtocolException("bad PONG: '" + line + "'");
    }
  }

  /** Thrown by readers at the end of the stream. */
  static EOFException endOfStream() {
    return new EOFException("the server closed the connection");
  }
}
