package dev.stator.examples.session;

import dev.stator.Args;
import dev.stator.Event;
import dev.stator.Key;
import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.Schema;
import dev.stator.StateScope;
import dev.stator.Time;
import dev.stator.Tracer;
import dev.stator.Wait;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client of the line protocol ({@link LineServer}) whose session is a stack of resources, each
 * owned by the state whose lifetime matches it, so that every path out of a session — disconnect,
 * a dropped connection, an error in a handler, an interrupted connect, closing the client —
 * releases all of them, once, in reverse order, each on the thread that owns it.
 *
 * {@snippet :
 * try (SessionClient client = SessionClient.builder(server.address()).clientId("c1").build()) {
 *   client.connect(Duration.ofSeconds(5));   // dial, HELLO/WELCOME, heartbeat running
 *   // ... the server drops the connection: ErrNetwork, Backoff, Connecting, Connected again
 *   client.disconnect();                     // BYE, then channel, socket and lease released
 * }
 * }
 *
 * <h2>States</h2>
 * <pre>
 * Session       one connection attempt, from dialing to its end. Its scope owns, in order:
 *               the lease (a ReentrantLock held on a holder thread), the socket, the channel.
 * Connecting    add Session, require Session; removes Connected, Disconnected, ErrNetwork.
 *               Its scope owns the dial task.
 * Connected     require Session; removes Connecting. Its scope owns the reader task and the
 *               heartbeat timer (a delayed Ping); once established it clears Exception
 *               (through its scope, so a newer error queued meanwhile is not cleared).
 * Heartbeat     multi, require Connected: entered again on every PONG (wait on its clock).
 * Ping          multi, require Connected: a heartbeat is due. Added by a delayed mutation of
 *               Connected's scope, one heartbeat interval after Connected and after each
 *               Ping: sends PING n and schedules the next Ping the same way, or, with more
 *               than maxMissed PINGs unanswered, raises ErrNetwork.
 * Disconnected  removes Session, Connecting, Connected, ErrNetwork.
 * ErrNetwork    require Exception; removes Session, Connecting, Connected.
 * Backoff       auto, require ErrNetwork: adds Connecting after the backoff delay, through a
 *               delayed mutation of its own scope (cancelled if Backoff ends first; a zero
 *               delay queues Connecting at once, with no timer), or gives up: Disconnected.
 * Exception     built in. Any error that is not a network error gives the session up.
 * </pre>
 * <p>A state that must win over an active state which removes it names that state in its own
 * {@code remove}: a state that would only lose its requirement does not count when two states
 * contest (spec R4), so {@code Disconnected} removing only {@code Session} would be refused while
 * {@code Connecting} is active, and {@code ErrNetwork} would be refused by it too. No state
 * removes {@code Exception}: an active state that did would refuse every later error mutation,
 * and the error would be lost.
 *
 * <p>Handler order puts {@code Connected} after {@code Session}, so on every exit the reader has
 * ended and the heartbeat timer is cancelled before the channel says {@code BYE} and before the
 * socket closes, and the lease is given back last, by the thread that took it.
 *
 * <h2>Time</h2>
 * The heartbeat and the backoff are measured on the client's {@link Time}
 * ({@link Builder#time}, default {@link Time#system()}), which is its machine's: each is a
 * delayed mutation ({@link Machine#after}) made through the scope of the state that started it,
 * so the timer ends with that state, and its mutation, once due, is queued like any other. So
 * are the timeouts of {@link #connect(Duration)} and the machine's handler and scope close
 * bounds. A test gives the client a fake time ({@code FakeTime} of {@code stator-test}) and
 * advances it: no heartbeat or reconnect happens until it does. The socket's own timeouts
 * (connect, handshake, write) are network I/O and stay on real time.
 *
 * <h2>Threads</h2>
 * The machine is {@code confined()}: every handler and every scope close runs on its one owner
 * thread, and tasks' and timers' mutations are always queued. The PINGs are written by the
 * {@code Ping} handler on that thread. Every method of this class may be called from any thread
 * other than that owner.
 */
public final class SessionClient implements AutoCloseable {
  /* Design.
   *
   * Why confined. Every handler runs on the one owner thread, so the handlers' own fields
   * (`failures`) need no synchronization and a test can check where handlers ran. It is a
   * choice, not a workaround: in the default mode too a task's mutation is never run on the
   * task's own thread (spec Q9), so a task that reports back (the dial adds Connected, which
   * removes Connecting) never runs the transition that ends its own scope.
   *
   * Why non-blocking I/O (LineChannel). A scope first interrupts and awaits its tasks, and only
   * then closes its resources. A reader blocked in java.net.Socket I/O on a platform thread does
   * not wake on the interrupt (the scope waits its whole close timeout, then reports it); on a
   * virtual thread the JDK closes the socket itself, on the reader's thread, before the channel
   * could say BYE. Waiting in a Selector wakes on the interrupt and leaves the socket to its
   * owner, so the close order is the scope's: channel (BYE), socket, lease.
   *
   * Why timers, not tasks, for the heartbeat and the backoff. A delayed mutation costs no
   * thread while it waits, and one made through a state's scope is cancelled when that scope
   * ends, so no interrupt is needed to stop it and a late one cannot fire into the next session
   * (it would be CANCELED anyway: a scope's mutation after its state ended is). The heartbeat's
   * state (the channel, the number of the next PING) travels in the Ping mutation's arguments,
   * so the handler keeps no field for it. The Ping handler writes one short line into a socket
   * that nothing else writes to meanwhile (the reader only reads; close runs later, on the same
   * thread); a peer that stops reading shows as missed PONGs long before its buffer fills.
   *
   * Fields written by handlers (`failures`) are read and written on the owner thread only.
   * Counters (AtomicLong) are for observers. */

  /** The states of a session client; {@code Exception} is the built-in error state. */
  public enum Conn {
    /** One connection attempt: owns the lease, the socket and the channel. */
    Session,
    /** Dialing and shaking hands: owns the dial task. */
    Connecting,
    /** Shook hands: owns the reader and the heartbeat timer. */
    Connected,
    /** A PONG arrived (multi). */
    Heartbeat,
    /** A heartbeat is due: send the next PING, or give up on the connection (multi). */
    Ping,
    /** Not connected, by request or because the client gave up. */
    Disconnected,
    /** A network error ended the attempt (with {@code Exception}). */
    ErrNetwork,
    /** Waiting before the next attempt. */
    Backoff,
    /** The built-in error state. */
    Exception
  }

  /** The schema; see the class comment. */
  public static final Schema<Conn> SCHEMA = Schema.of(Conn.class)
      .state(Conn.Connecting, s -> s.add(Conn.Session).require(Conn.Session)
          .remove(Conn.Connected, Conn.Disconnected, Conn.ErrNetwork))
      .state(Conn.Connected, s -> s.require(Conn.Session).remove(Conn.Connecting))
      .state(Conn.Heartbeat, s -> s.require(Conn.Connected).multi())
      .state(Conn.Ping, s -> s.require(Conn.Connected).multi())
      .state(Conn.Disconnected, s -> s.remove(Conn.Session, Conn.Connecting, Conn.Connected,
          Conn.ErrNetwork))
      .state(Conn.ErrNetwork, s -> s.require(Conn.Exception)
          .remove(Conn.Session, Conn.Connecting, Conn.Connected))
      .state(Conn.Backoff, s -> s.require(Conn.ErrNetwork).auto())
      .build();

  /** The channel of an established session, passed from the dial to {@code Connected}, and on to each {@code Ping}. */
  static final Key<LineChannel> CHANNEL = Key.of("channel", LineChannel.class);
  /** The number of the PING a {@code Ping} sends (1 for the first of a session). */
  static final Key<Long> PING = Key.of("ping", Long.class);

  /** Ledger kind of the lease. */
  public static final String LEASE = "lease";
  /** Ledger kind of the socket. */
  public static final String SOCKET = "socket";
  /** Ledger kind of the protocol channel. */
  public static final String PROTOCOL = "channel";

  /** Fault injection points for tests (package-private). */
  interface Hooks {
    Hooks NONE = new Hooks() {};

    /** Called at the end of {@code connectedState}, after the reader was forked and the first Ping scheduled. */
    default void connected(LineChannel channel) throws Exception {}
  }

  private final InetSocketAddress address;
  private final String clientId;
  private final String leaseKey;
  private final Backoff backoff;
  private final Duration heartbeatEvery;
  private final int maxMissed;
  private final Time time;
  private final Duration connectTimeout;
  private final Leases leases;
  private final ResourceLedger ledger;
  private final Hooks hooks;
  private final Machine<Conn> machine;
  private final Set<Thread> handlerThreads = ConcurrentHashMap.newKeySet();
  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong connections = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong pongs = new AtomicLong();
  private int failures; // consecutive network errors since the last Connected; owner thread only

  private SessionClient(Builder b) {
    this.address = b.address;
    this.clientId = b.clientId;
    this.leaseKey = b.address + "/" + b.clientId;
    this.backoff = b.backoff;
    this.heartbeatEvery = b.heartbeatEvery;
    this.maxMissed = b.maxMissed;
    this.time = b.time;
    this.connectTimeout = b.connectTimeout;
    this.leases = b.leases;
    this.ledger = b.ledger;
    this.hooks = b.hooks;
    Machine.Builder<Conn> m = Machine.of(SCHEMA).id("session:" + clientId)
        .handlers(new Handlers())
        .confined()
        .time(b.time)
        .handlerTimeout(b.handlerTimeout)
        .scopeCloseTimeout(b.scopeCloseTimeout);
    if (b.threadFactory != null) m.threadFactory(b.threadFactory);
    if (b.log) m.log();
    for (Tracer t : b.tracers) m.tracer(t);
    if (b.listed) m.listed();
    this.machine = m.build();
  }

  /** Starts configuring a client of the server at {@code address}. */
  public static Builder builder(InetSocketAddress address) {
    return new Builder(address);
  }

  // ------------------------------------------------------------------ API

  /**
   * Starts connecting (queued: the returned ticket completes when it ran). {@code CANCELED} if a
   * session is already under way (connecting, connected); from {@code Backoff} it connects at
   * once.
   */
  public Result connect() {
    return machine.add(Conn.Connecting);
  }

  /**
   * Connects and waits until the session is established (or was established and is being
   * re-established after a network error); {@code timeout} is measured on the client's
   * {@link Builder#time time}. On timeout or interruption the attempt is abandoned:
   * the client disconnects, waits (bounded) for the session's resources to be released, and
   * then throws; an {@code InterruptedException} is rethrown as it came.
   *
   * @throws IOException if the client gave up (backoff exhausted, or a non-network error), with
   *     the last error as its cause
   * @throws dev.stator.MachineClosedException if the client was closed meanwhile
   */
  public void connect(Duration timeout) throws InterruptedException, TimeoutException, IOException {
    long deadline = time.nanoTime() + timeout.toNanos();
    try {
      connect().await(timeout);
      Wait.any(machine.when(Conn.Connected), machine.when(Conn.Disconnected))
          .await(Duration.ofNanos(Math.max(0, deadline - time.nanoTime())));
    } catch (InterruptedException | TimeoutException e) {
      abandon(e);
      throw e;
    }
    if (machine.is(Conn.Disconnected)) {
      throw new IOException("client " + clientId + " gave up connecting to " + address, machine.lastError());
    }
  }

  /** Ends the session (queued): says BYE if connected, releases every resource. */
  public Result disconnect() {
    return machine.add(Conn.Disconnected);
  }

  /**
   * Disconnects after an interrupt or a timeout, with the interrupt status clear meanwhile; waits
   * up to 5 s of the client's time.
   */
  private void abandon(Exception cause) {
    boolean interrupted = Thread.interrupted();
    try {
      disconnect().await(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      interrupted = true;
    } catch (TimeoutException | RuntimeException e) {
      cause.addSuppressed(e);
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  /** The machine, for reads and waits. Mutate it through this client's methods. */
  public Machine<Conn> machine() {
    return machine;
  }

  /** The ledger of every lease, socket and channel this client opened. */
  public ResourceLedger ledger() {
    return ledger;
  }

  /** The threads that ran this client's handlers (one: the machine's owner thread). */
  public Set<Thread> handlerThreads() {
    return Set.copyOf(handlerThreads);
  }

  /** The lock behind this client's lease (tests). */
  java.util.concurrent.locks.ReentrantLock leaseLock() {
    return leases.lockOf(leaseKey);
  }

  /** Connection attempts (dials) so far. */
  public long attempts() {
    return attempts.get();
  }

  /** Sessions established so far. */
  public long connections() {
    return connections.get();
  }

  /** Sessions established again after a network error. */
  public long reconnects() {
    return reconnects.get();
  }

  /** PONGs received so far. */
  public long pongs() {
    return pongs.get();
  }

  /** Closes the machine: every scope closes, every resource is released, on the owner thread. */
  @Override
  public void close() {
    machine.close();
  }

  @Override
  public String toString() {
    return "SessionClient[" + clientId + " " + machine.activeNames() + "]";
  }

  // ------------------------------------------------------------------ handlers

  /** The machine's handlers; every method here runs on the owner thread. */
  private final class Handlers {
    /** Session began: take the lease on a holder thread that keeps it until Session ends. */
    void sessionState(Event<Conn> e) throws Exception {
      handlerThreads.add(Thread.currentThread());
      e.scope().hold("lease", () -> ledger.track(LEASE, leases.acquire(leaseKey)));
    }

    /** One session at a time: connecting while dialing or connected is refused. */
    boolean connectingEnter(Event<Conn> e) {
      return e.machine().not(Conn.Session);
    }

    void connectingState(Event<Conn> e) {
      handlerThreads.add(Thread.currentThread());
      attempts.incrementAndGet();
      StateScope<Conn> connecting = e.scope();
      StateScope<Conn> session = e.scope(Conn.Session);
      connecting.fork("dial", () -> dial(connecting, session));
    }

    void connectedState(Event<Conn> e) throws Exception {
      handlerThreads.add(Thread.currentThread());
      LineChannel channel = Objects.requireNonNull(e.arg(CHANNEL), "channel");
      connections.incrementAndGet();
      if (failures > 0) reconnects.incrementAndGet();
      failures = 0;
      StateScope<Conn> scope = e.scope();
      scope.fork("reader", () -> read(channel, scope));
      schedulePing(scope, channel, 1);
      hooks.connected(channel);
      // Last, so that a failure above is not cleared (it is queued first, as an error mutation).
      scope.machine().removeError(); // queued; CANCELED if this session ended first
    }

    /**
     * A heartbeat is due: more than {@code maxMissed} PINGs unanswered is a network error;
     * otherwise PING n goes out and the next Ping is scheduled, both for this Connected.
     */
    void pingState(Event<Conn> e) throws InterruptedException {
      handlerThreads.add(Thread.currentThread());
      LineChannel channel = Objects.requireNonNull(e.arg(CHANNEL), "channel");
      long n = Objects.requireNonNull(e.arg(PING), "ping");
      StateScope<Conn> connected = e.scope(Conn.Connected);
      long unanswered = n - 1 - channel.lastPong();
      if (unanswered > maxMissed) { // queued: ends Connected, and nothing is scheduled
        connected.machine().addError(Conn.ErrNetwork,
            new SocketTimeoutException("no PONG for the last " + unanswered + " PINGs"));
        return;
      }
      try {
        channel.send("PING " + n);
      } catch (IOException x) {
        connected.machine().addError(Conn.ErrNetwork, x);
        return;
      }
      schedulePing(connected, channel, n + 1);
    }

    void errNetworkState(Event<Conn> e) {
      handlerThreads.add(Thread.currentThread());
      failures++;
    }

    /** Auto after a network error: wait, then try again; or give up. */
    void backoffState(Event<Conn> e) {
      handlerThreads.add(Thread.currentThread());
      if (backoff.exhausted(failures)) {
        e.machine().add(Conn.Disconnected); // gives up; Exception stays, with the last error
        return;
      }
      Duration delay = backoff.delay(failures);
      Machine<Conn> backingOff = e.scope().machine(); // CANCELED once Backoff has ended
      if (delay.isZero()) {
        backingOff.add(Conn.Connecting); // no delay, no timer: queued after this transition
      } else {
        backingOff.after(delay).add(Conn.Connecting); // cancelled if Backoff ends first
      }
    }

    /** A network error is handled by Backoff; any other error gives the session up. */
    void exceptionState(Event<Conn> e) {
      handlerThreads.add(Thread.currentThread());
      if (!e.isCalled(Conn.ErrNetwork)) e.machine().add(Conn.Disconnected);
    }
  }

  // ------------------------------------------------------------------ tasks and timers

  /** Dial task of Connecting: socket and channel go to Session's scope, the result to the machine. */
  private void dial(StateScope<Conn> connecting, StateScope<Conn> session) throws InterruptedException {
    try {
      SocketChannel socket = session.open(() -> ledger.track(SOCKET, SocketChannel.open())).resource();
      LineChannel channel = session.open(() -> ledger.track(PROTOCOL, LineChannel.over(socket))).resource();
      channel.connect(address, connectTimeout);
      channel.handshake(clientId, connectTimeout);
      connecting.machine().add(Conn.Connected, Args.of(CHANNEL, channel)); // CANCELED if stale
    } catch (IOException e) {
      connecting.machine().addError(Conn.ErrNetwork, e); // CANCELED if stale
    } // a scope that ended meanwhile refuses open() with ScopeEndedException: a cancellation
  }

  /** Reader task of Connected: PONGs become Heartbeat; the end of the stream a network error. */
  private void read(LineChannel channel, StateScope<Conn> scope) throws InterruptedException {
    try {
      for (;;) {
        String line = channel.readLine();
        if (line == null) throw LineChannel.endOfStream();
        channel.ponged(LineChannel.pongNumber(line));
        pongs.incrementAndGet();
        scope.machine().add(Conn.Heartbeat);
      }
    } catch (IOException e) {
      scope.machine().addError(Conn.ErrNetwork, e);
    }
  }

  /**
   * Schedules PING {@code n} one heartbeat interval from now, through Connected's scope: the
   * timer is cancelled when that Connected ends.
   */
  private void schedulePing(StateScope<Conn> connected, LineChannel channel, long n) {
    connected.machine().after(heartbeatEvery).add(Conn.Ping, Args.of(CHANNEL, channel, PING, n));
  }

  // ------------------------------------------------------------------ builder

  /** Configures a client; validated when set. Used by one thread. */
  public static final class Builder {
    final InetSocketAddress address;
    String clientId = "client";
    ThreadFactory threadFactory;
    Backoff backoff = Backoff.DEFAULT;
    Duration heartbeatEvery = Duration.ofSeconds(1);
    int maxMissed = 2;
    Time time = Time.system();
    Duration connectTimeout = Duration.ofSeconds(5);
    Duration handlerTimeout = Duration.ofSeconds(5);
    Duration scopeCloseTimeout = Duration.ofSeconds(2);
    Leases leases = Leases.process();
    ResourceLedger ledger = new ResourceLedger();
    boolean log;
    boolean listed;
    final java.util.List<Tracer> tracers = new java.util.ArrayList<>();
    Hooks hooks = Hooks.NONE;

    Builder(InetSocketAddress address) {
      this.address = Objects.requireNonNull(address, "address");
    }

    /** The id sent in HELLO, also the machine's id suffix and the lease key (default "client"). */
    public Builder clientId(String id) {
      Objects.requireNonNull(id, "id");
      if (id.isBlank() || id.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("client id must be one word: '" + id + "'");
      }
      this.clientId = id;
      return this;
    }

    /** The factory for every thread of the machine (owner, tasks, holders). */
    public Builder threadFactory(ThreadFactory factory) {
      this.threadFactory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /** The reconnect policy (default {@link Backoff#DEFAULT}); its delays pass on the client's {@link #time time}. */
    public Builder backoff(Backoff policy) {
      this.backoff = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * A PING every {@code every} of the client's {@link #time time} (default 1 s); when a PING is
     * due with more than {@code maxMissed} (default 2) unanswered, the connection has failed.
     */
    public Builder heartbeat(Duration every, int maxMissed) {
      Objects.requireNonNull(every, "every");
      if (every.isNegative() || every.isZero()) {
        throw new IllegalArgumentException("heartbeat interval must be positive: " + every);
      }
      if (maxMissed < 0) throw new IllegalArgumentException("max missed PONGs must not be negative: " + maxMissed);
      this.heartbeatEvery = every;
      this.maxMissed = maxMissed;
      return this;
    }

    /**
     * The time of the client's machine (default {@link Time#system()}): the heartbeat, the
     * backoff delays, the timeouts of {@link SessionClient#connect(Duration)} and the machine's
     * own bounds pass on it. A test passes a fake time and advances it.
     */
    public Builder time(Time time) {
      this.time = Objects.requireNonNull(time, "time");
      return this;
    }

    /** How long a connect plus handshake may take (default 5 s). */
    public Builder connectTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("connect timeout must be positive: " + timeout);
      }
      this.connectTimeout = timeout;
      return this;
    }

    /** The lease table (default: {@link Leases#process()}: one session per server and client id in this process). */
    public Builder leases(Leases leases) {
      this.leases = Objects.requireNonNull(leases, "leases");
      return this;
    }

    /** The ledger that records every resource (default: a new one). */
    public Builder ledger(ResourceLedger ledger) {
      this.ledger = Objects.requireNonNull(ledger, "ledger");
      return this;
    }

    /** Logs one line per transition (the machine's log tracer). */
    public Builder log(boolean log) {
      this.log = log;
      return this;
    }

    /** Adds a tracer to the client's machine (a history's, for the inspector). */
    public Builder tracer(Tracer tracer) {
      tracers.add(Objects.requireNonNull(tracer, "tracer"));
      return this;
    }

    /** Lists the client's machine in {@code Machine.listed()}, where the inspector finds it. */
    public Builder listed() {
      this.listed = true;
      return this;
    }

    Builder hooks(Hooks hooks) {
      this.hooks = Objects.requireNonNull(hooks, "hooks");
      return this;
    }

    /** Builds the client; it is disconnected (no state active) until {@link #connect()}. */
    public SessionClient build() {
      return new SessionClient(this);
    }
  }
}
