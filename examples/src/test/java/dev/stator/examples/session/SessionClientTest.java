package dev.stator.examples.session;

import static dev.stator.examples.session.SessionClient.LEASE;
import static dev.stator.examples.session.SessionClient.PROTOCOL;
import static dev.stator.examples.session.SessionClient.SOCKET;
import static dev.stator.test.StatorAssertions.assertActive;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.Status;
import dev.stator.Wait;
import dev.stator.examples.session.SessionClient.Conn;
import dev.stator.examples.session.ResourceLedger.Entry;
import dev.stator.test.FakeTime;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The session client of the `transitions` issue, on a real loopback socket: every resource of a
 * session (lease held on a holder thread, socket, protocol channel) is released exactly once, by
 * its owner, on every path out of the session; nothing is left over after 1,000 reconnects.
 *
 * <p>No test sleeps. The clients run on a {@link FakeTime}: a heartbeat or a backoff delay
 * passes only when a test advances it, and {@link FakeTime#advance} returns once the timers due
 * have run and the machine has settled. The network stays real, so every wait for something
 * the network does (a PONG, a dial) is on an event (a machine wait, a server counter, a thread
 * join), each bounded by {@link #WAIT} of real time: {@link #awaitReal} waits on the event's
 * future, since the machine's own {@code await} would measure its bound on the fake time.
 */
@Timeout(30)
class SessionClientTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration EVERY = Duration.ofSeconds(1);
  private static final int MAX_MISSED = 2;
  private static final Duration MS = Duration.ofMillis(1);

  private LineServer server;
  private CountingThreadFactory threads;
  private FakeTime time;
  private final List<SessionClient> clients = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = LineServer.start();
    threads = new CountingThreadFactory("client");
    time = new FakeTime();
  }

  /** Closes every client and checks what must hold after any test: nothing open, no thread left. */
  @AfterEach
  void checkNothingLeft() throws Exception {
    try {
      for (SessionClient c : clients) c.close();
      for (SessionClient c : clients) {
        assertThat(c.machine().isClosed()).isTrue();
        assertThat(c.ledger().open()).as("resources left open by %s", c).isZero();
        for (Entry e : c.ledger().entries()) assertThat(e.closes()).as("%s", e).isEqualTo(1);
        assertThat(c.leaseLock().isLocked()).isFalse();
      }
      assertThat(time.pending()).as("timers left by closed clients").isZero();
      CountingThreadFactory.awaitTermination(threads.threads(), WAIT); // owner threads too
      assertThat(threads.ended()).isEqualTo(threads.created());
      server.awaitOpenConnections(0, WAIT);
    } finally {
      server.close();
    }
  }

  private SessionClient client(UnaryOperator<SessionClient.Builder> config) {
    SessionClient c = config.apply(SessionClient.builder(server.address())
        .clientId("c" + (clients.size() + 1))
        .threadFactory(threads)
        .time(time)
        .backoff(Backoff.NONE)
        .heartbeat(EVERY, MAX_MISSED)).build();
    clients.add(c);
    return c;
  }

  private SessionClient client() {
    return client(b -> b);
  }

  /** Waits, in real time up to {@link #WAIT}, for a wait driven by the network. */
  private static void awaitReal(Wait wait) throws Exception {
    wait.future().get(WAIT.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Waits, in real time up to {@link #WAIT}, until a mutation has run; returns its status. */
  private static Status awaitReal(Result ticket) throws Exception {
    return ticket.future().get(WAIT.toNanos(), TimeUnit.NANOSECONDS);
  }

  private static Thread owner(SessionClient c) {
    Set<Thread> handlerThreads = c.handlerThreads();
    assertThat(handlerThreads).as("every handler runs on the owner thread").hasSize(1);
    return handlerThreads.iterator().next();
  }

  /**
   * Each entry was closed exactly once; sockets and channels by the machine's owner thread, the
   * lease by the holder thread that took it (never the owner).
   */
  private static void assertReleasedByOwners(SessionClient c, List<Entry> entries) {
    Thread owner = owner(c);
    assertThat(entries).isNotEmpty();
    for (Entry e : entries) {
      assertThat(e.closes()).as("%s", e).isEqualTo(1);
      if (e.kind().equals(LEASE)) {
        assertThat(e.closedBy()).as("%s released by the thread that took it", e).isSameAs(e.openedBy());
        assertThat(e.closedBy()).as("%s held off the owner thread", e).isNotSameAs(owner);
      } else {
        assertThat(e.closedBy()).as("%s closed by the owner thread", e).isSameAs(owner);
      }
    }
  }

  private static List<String> kinds(List<Entry> entries) {
    return entries.stream().map(Entry::kind).toList();
  }

  // ------------------------------------------------------------------ paths out of a session

  @Test
  void disconnectSaysByeAndReleasesEveryResourceByItsOwner() throws Exception {
    SessionClient c = client();
    c.connect(WAIT);
    Machine<Conn> m = c.machine();
    assertThat(m.activeNames()).containsExactly("Session", "Connected");
    assertThat(c.leaseLock().isLocked()).isTrue();
    assertThat(server.openConnections()).isEqualTo(1);

    assertThat(awaitReal(c.disconnect())).isEqualTo(Status.EXECUTED);
    assertThat(m.activeNames()).containsExactly("Disconnected");
    List<Entry> all = c.ledger().entries();
    assertThat(kinds(all)).containsExactly(LEASE, SOCKET, PROTOCOL);
    assertReleasedByOwners(c, all);
    assertThat(c.leaseLock().isLocked()).isFalse();
    server.awaitGoodbyes(1, WAIT); // the channel said BYE before the socket closed
    server.awaitOpenConnections(0, WAIT);
    assertThat(m.hasError()).isFalse();
  }

  @Test
  void heartbeatPingsOnceAnIntervalOfTheClientsTimeAndEachPongIsAHeartbeat() throws Exception {
    SessionClient c = client();
    c.connect(WAIT);
    Machine<Conn> m = c.machine();
    time.settle();
    assertThat(time.pending()).as("the first Ping's timer, of Connected's scope").isEqualTo(1);
    assertThat(time.nextDue()).isEqualTo(EVERY);

    time.advance(EVERY.minus(MS));
    assertThat(m.tick(Conn.Ping)).as("no Ping before an interval has passed").isZero();
    Duration step = MS;
    for (int i = 1; i <= 3; i++) {
      Wait pong = m.whenTicks(Conn.Heartbeat, i == 1 ? 1 : 2); // +1 first, +2 per re-entry
      time.advance(step); // the Ping timer: PING i goes out, the next Ping is scheduled
      assertThat(m.tick(Conn.Ping)).isEqualTo(2L * i - 1);
      awaitReal(pong); // the server's PONG i, read by the reader task
      assertThat(c.pongs()).isEqualTo(i);
      assertThat(server.pings()).isEqualTo(i);
      step = EVERY;
    }
    assertThat(time.elapsed()).isEqualTo(EVERY.multipliedBy(3));
    assertThat(time.pending()).isEqualTo(1);
    owner(c); // the PINGs were sent on the owner thread, like every handler
  }

  @Test
  void serverDropEndsTheSessionAndTheClientReconnects() throws Exception {
    SessionClient c = client();
    c.connect(WAIT);
    Machine<Conn> m = c.machine();
    List<Entry> first = c.ledger().entries();

    Wait reconnected = m.whenTicks(Conn.Connected, 2);
    assertThat(server.dropAll()).isEqualTo(1);
    awaitReal(reconnected);

    assertReleasedByOwners(c, first); // released in the ErrNetwork transition, before Connected
    assertThat(m.lastError()).isInstanceOf(EOFException.class);
    awaitReal(m.whenNot(Conn.Exception)); // the new session cleared the error once established
    assertThat(c.attempts()).isEqualTo(2);
    assertThat(c.reconnects()).isEqualTo(1);
    assertThat(c.ledger().open()).isEqualTo(3); // the new session's lease, socket and channel
    assertThat(server.accepted()).isEqualTo(2);
    server.awaitOpenConnections(1, WAIT);
    time.settle();
    assertThat(time.pending()).as("the new session's Ping timer; the old one's ended with it")
        .isEqualTo(1);
  }

  /** Quoted in docs/manual.md §10 (time): keep the two in step. */
  @Test
  void unansweredPingsAreANetworkErrorOnceMoreThanMaxMissedAndBackoffReconnects() throws Exception {
    Duration delay = Duration.ofSeconds(3);
    SessionClient c = client(b -> b.backoff(new Backoff(delay, delay, 0)));
    c.connect(WAIT);
    Machine<Conn> m = c.machine();
    List<Entry> first = c.ledger().entries();
    server.ignorePings(true);

    // PING 1, 2, 3 go out at 1, 2, 3 s; the Ping due at 4 s finds 3 > MAX_MISSED unanswered
    Duration timeout = EVERY.multipliedBy(MAX_MISSED + 2);
    time.advance(timeout.minus(MS));
    assertActive(m, Conn.Session, Conn.Connected, Conn.Ping);
    assertThat(m.tick(Conn.Ping)).as("three Pings").isEqualTo(5);
    server.awaitPings(MAX_MISSED + 1, WAIT);

    time.advance(MS);
    assertActive(m, Conn.ErrNetwork, Conn.Backoff, Conn.Exception);
    assertThat(m.lastError()).isInstanceOf(SocketTimeoutException.class)
        .hasMessage("no PONG for the last 3 PINGs");
    assertReleasedByOwners(c, first);
    assertThat(time.pending()).as("Backoff's timer; no Ping after the timeout").isEqualTo(1);
    assertThat(time.nextDue()).isEqualTo(delay);

    server.ignorePings(false);
    Wait reconnected = m.when(Conn.Connected);
    time.advance(delay.minus(MS));
    assertThat(c.attempts()).as("still backing off").isEqualTo(1);
    time.advance(MS); // Backoff's timer adds Connecting: a real dial
    assertThat(c.attempts()).isEqualTo(2);
    awaitReal(reconnected);
    assertThat(c.reconnects()).isEqualTo(1);
    // four Pings (the fourth found the timeout), ended with the first Connected; none since
    assertThat(m.tick(Conn.Ping)).as("the new session has not pinged yet").isEqualTo(8);
    assertThat(server.pings()).isEqualTo(3);

    Wait pong = m.when(Conn.Heartbeat);
    time.advance(EVERY); // the new session's first PING, answered
    awaitReal(pong);
    assertThat(server.pings()).isEqualTo(4);
    assertThat(m.hasError()).isFalse();
  }

  /** Quoted in docs/manual.md §10 (time): keep the two in step. */
  @Test
  void theHeartbeatTimerBelongsToConnectedAndEndsWithIt() throws Exception {
    SessionClient c = client();
    c.connect(WAIT);
    Machine<Conn> m = c.machine();
    Wait pong = m.when(Conn.Heartbeat);
    time.advance(EVERY);
    awaitReal(pong);
    time.settle();
    assertThat(time.pending()).as("the second Ping, scheduled by the first").isEqualTo(1);
    assertThat(time.nextDue()).isEqualTo(EVERY);

    assertThat(awaitReal(c.disconnect())).isEqualTo(Status.EXECUTED);
    time.settle();
    assertThat(time.pending()).as("cancelled when Connected's scope ended").isZero();
    long pings = m.tick(Conn.Ping);
    time.advance(EVERY.multipliedBy(10));
    assertThat(m.tick(Conn.Ping)).isEqualTo(pings);
    assertThat(m.activeNames()).containsExactly("Disconnected");
    assertThat(server.pings()).isEqualTo(1);
  }

  @Test
  void anErrorInAHandlerGivesTheSessionUpAndStillReleasesEverything() throws Exception {
    IllegalStateException bug = new IllegalStateException("bug in connectedState");
    SessionClient c = client(b -> b.hooks(new SessionClient.Hooks() {
      @Override
      public void connected(LineChannel channel) {
        throw bug; // after the reader was forked and the first Ping scheduled
      }
    }));
    Machine<Conn> m = c.machine();
    Wait disconnected = m.when(Conn.Disconnected);
    c.connect();
    awaitReal(disconnected);

    assertThat(m.tick(Conn.Connected)).isEqualTo(2); // it did connect, then gave up
    assertThat(m.activeNames()).containsExactly("Disconnected", "Exception");
    assertThat(m.lastError()).isSameAs(bug);
    assertReleasedByOwners(c, c.ledger().entries());
    assertThat(kinds(c.ledger().entries())).containsExactly(LEASE, SOCKET, PROTOCOL);
    server.awaitGoodbyes(1, WAIT); // the channel was healthy: it still said goodbye
    // the reader ended with the scope: only the owner thread is left; the Ping timer is gone
    List<Thread> others = threads.threads().stream().filter(t -> t != owner(c)).toList();
    CountingThreadFactory.awaitTermination(others, WAIT);
    time.settle();
    assertThat(time.pending()).isZero();
  }

  @Test
  void interruptingABlockedConnectAbandonsTheAttemptMidHandshake() throws Exception {
    CountDownLatch handshake = server.stallHandshakes();
    SessionClient c = client();
    Machine<Conn> m = c.machine();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread caller = Thread.ofVirtual().start(() -> {
      try {
        c.connect(WAIT);
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    server.awaitHellos(1, WAIT); // the dial sent HELLO and waits for WELCOME
    assertThat(kinds(c.ledger().entries())).containsExactly(LEASE, SOCKET, PROTOCOL);
    assertThat(c.ledger().open()).isEqualTo(3);

    caller.interrupt();
    caller.join(WAIT);
    assertThat(caller.isAlive()).isFalse();
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);

    // connect(…) returned only after the teardown: the dial was interrupted in its handshake
    assertThat(m.activeNames()).containsExactly("Disconnected");
    assertThat(m.tick(Conn.Connected)).isZero();
    assertThat(m.hasError()).isFalse(); // interrupting the dial is not a failure
    assertReleasedByOwners(c, c.ledger().entries());
    List<Thread> others = threads.threads().stream().filter(t -> t != owner(c)).toList();
    CountingThreadFactory.awaitTermination(others, WAIT); // dial and lease holder ended

    handshake.countDown(); // the server's WELCOME now goes nowhere
    server.awaitOpenConnections(0, WAIT);
    assertThat(server.goodbyes()).isZero(); // no session, so no BYE
  }

  @Test
  void disconnectWhileConnectingCancelsTheDialsLateResult() throws Exception {
    CountDownLatch handshake = server.stallHandshakes();
    SessionClient c = client();
    Machine<Conn> m = c.machine();
    c.connect();
    server.awaitHellos(1, WAIT);
    assertThat(awaitReal(c.disconnect())).isEqualTo(Status.EXECUTED);
    handshake.countDown();
    server.awaitOpenConnections(0, WAIT);
    assertThat(m.tick(Conn.Connected)).isZero();
    assertThat(m.activeNames()).containsExactly("Disconnected");
    assertReleasedByOwners(c, c.ledger().entries());
  }

  @Test
  void closeReleasesEverythingOnTheOwnerThreadAndEndsEveryThread() throws Exception {
    SessionClient c = client();
    c.connect(WAIT);
    Thread owner = owner(c);
    c.close();
    assertReleasedByOwners(c, c.ledger().entries());
    assertThat(c.machine().isClosed()).isTrue();
    CountingThreadFactory.awaitTermination(threads.threads(), WAIT);
    assertThat(owner.isAlive()).isFalse();
    assertThat(threads.ended()).isEqualTo(threads.created());
    server.awaitOpenConnections(0, WAIT);
  }

  // ------------------------------------------------------------------ backoff

  @Test
  void backoffDoublesUpToItsMaximumAndStartsOverAfterAConnect() throws Exception {
    SessionClient c = client(b -> b.backoff(
        new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), 0)));
    Machine<Conn> m = c.machine();
    server.refuseHandshakes(true);
    List<Duration> delays = new ArrayList<>();
    Wait backingOff = m.when(Conn.Backoff);
    c.connect();
    for (int attempt = 1; attempt <= 4; attempt++) {
      awaitReal(backingOff); // the attempt failed (a real refused handshake): Backoff waits
      time.settle();
      assertActive(m, Conn.ErrNetwork, Conn.Backoff, Conn.Exception);
      assertThat(c.ledger().open()).isZero(); // the failed attempt's resources are released
      assertThat(time.pending()).as("Backoff's timer").isEqualTo(1);
      Duration delay = time.nextDue();
      delays.add(delay);
      if (attempt < 4) {
        backingOff = m.whenTicks(Conn.Backoff, 2); // ends with Connecting, enters on its failure
        time.advance(delay.minus(MS));
        assertThat(c.attempts()).isEqualTo(attempt);
        time.advance(MS);
        assertThat(c.attempts()).isEqualTo(attempt + 1);
      }
    }
    assertThat(delays).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200),
        Duration.ofMillis(400), Duration.ofMillis(400));
    assertThat(m.lastError()).isInstanceOf(EOFException.class);

    server.refuseHandshakes(false);
    Wait connected = m.when(Conn.Connected);
    time.advance(Duration.ofMillis(400));
    awaitReal(connected);
    assertThat(c.reconnects()).isEqualTo(1);

    backingOff = m.when(Conn.Backoff);
    server.dropAll(); // a fresh failure after a connect starts over at the first delay
    awaitReal(backingOff);
    time.settle();
    assertThat(time.nextDue()).isEqualTo(Duration.ofMillis(100));
    assertThat(time.pending()).as("Backoff's timer; the heartbeat's ended with Connected")
        .isEqualTo(1);
    assertReleasedByOwners(c, c.ledger().entries());
  }

  @Test
  void disconnectDuringBackoffCancelsItsTimerAndNoAttemptFollows() throws Exception {
    SessionClient c = client(b -> b.backoff(Backoff.DEFAULT));
    Machine<Conn> m = c.machine();
    c.connect(WAIT);
    Wait backingOff = m.when(Conn.Backoff);
    server.dropAll();
    awaitReal(backingOff);
    time.settle();
    assertThat(time.pending()).as("Backoff's timer").isEqualTo(1);
    assertThat(time.nextDue()).isEqualTo(Backoff.DEFAULT.first());
    long connecting = m.tick(Conn.Connecting);

    assertThat(awaitReal(c.disconnect())).isEqualTo(Status.EXECUTED);
    time.settle();
    assertThat(time.pending()).as("the timer ended with Backoff's scope").isZero();
    time.advance(Backoff.DEFAULT.max());
    assertThat(m.tick(Conn.Connecting)).isEqualTo(connecting);
    assertThat(m.activeNames()).containsExactly("Disconnected", "Exception");
  }

  @Test
  void theClientGivesUpAfterMaxAttemptsAndConnectSaysWhy() throws Exception {
    SessionClient c = client(b -> b.backoff(new Backoff(Duration.ZERO, Duration.ZERO, 2))); // no timers
    server.refuseHandshakes(true);
    assertThatThrownBy(() -> c.connect(WAIT))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("gave up")
        .hasCauseInstanceOf(EOFException.class);
    assertThat(c.attempts()).isEqualTo(3); // the first attempt and two retries
    assertThat(c.machine().activeNames()).containsExactly("Disconnected", "Exception");
    assertThat(c.ledger().open()).isZero();
  }

  @Test
  void theHeartbeatIntervalMustBePositiveAndTheTimeIsRequired() {
    SessionClient.Builder b = SessionClient.builder(server.address());
    assertThatThrownBy(() -> b.heartbeat(Duration.ZERO, MAX_MISSED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("heartbeat interval must be positive: PT0S");
    assertThatThrownBy(() -> b.heartbeat(EVERY, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max missed PONGs must not be negative: -1");
    assertThatThrownBy(() -> b.time(null)).isInstanceOf(NullPointerException.class);
  }

  // ------------------------------------------------------------------ one session at a time

  @Test
  void aSecondConnectWhileConnectedIsCanceled() throws Exception {
    SessionClient c = client();
    c.connect(WAIT);
    assertThat(awaitReal(c.connect())).isEqualTo(Status.CANCELED);
    assertThat(c.attempts()).isEqualTo(1);
    assertThat(server.accepted()).isEqualTo(1);
  }

  @Test
  void theLeaseAllowsOneSessionPerClientIdAndIsReleasedByItsHolder() throws Exception {
    Leases shared = new Leases();
    SessionClient first = client(b -> b.clientId("same").leases(shared));
    first.connect(WAIT);
    SessionClient second = client(b -> b.clientId("same").leases(shared));
    Wait gaveUp = second.machine().when(Conn.Disconnected);
    second.connect();
    awaitReal(gaveUp);
    assertThat(second.machine().lastError()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is held by another session");
    assertThat(second.ledger().entries(LEASE)).isEmpty();
    assertThat(first.machine().is(Conn.Connected)).isTrue();

    awaitReal(first.disconnect());
    assertReleasedByOwners(first, first.ledger().entries());
    Wait connected = second.machine().when(Conn.Connected);
    second.connect();
    awaitReal(connected);
    assertThat(second.ledger().entries(LEASE)).hasSize(1);
  }

  // ------------------------------------------------------------------ leaks

  @Test
  void aThousandReconnectsLeaveNoResourceThreadOrServerSocketBehind() throws Exception {
    SessionClient c = client();
    c.connect(WAIT);
    Machine<Conn> m = c.machine();
    Thread owner = owner(c);
    int rounds = 1_000;
    for (int i = 1; i <= rounds; i++) {
      int mark = threads.created();
      Wait reconnected = m.whenTicks(Conn.Connected, 2);
      assertThat(server.dropAll()).isPositive();
      awaitReal(reconnected);
      assertThat(c.ledger().open()).as("round %d", i).isEqualTo(3); // only the live session's
      server.awaitOpenConnections(1, WAIT); // the dropped socket is gone on the server side
      // every thread of the previous session (holder, dial, reader) ended
      List<Thread> before = threads.threads().subList(0, mark).stream().filter(t -> t != owner).toList();
      CountingThreadFactory.awaitTermination(before, WAIT);
    }
    assertThat(c.reconnects()).isEqualTo(rounds);
    assertThat(c.attempts()).isEqualTo(rounds + 1);
    assertThat(server.accepted()).isEqualTo(rounds + 1);
    assertThat(c.ledger().opened()).isEqualTo(3L * (rounds + 1));
    // the owner, and the live session's holder, reader and dial (which may still be returning);
    // the heartbeat and the backoff are timers, not threads
    assertThat(threads.created() - threads.ended()).as("threads alive: owner + live session")
        .isLessThanOrEqualTo(1 + 3);
    time.settle();
    assertThat(time.pending()).as("only the live session's Ping timer").isEqualTo(1);

    awaitReal(c.disconnect());
    assertThat(c.ledger().closed()).isEqualTo(c.ledger().opened());
    assertReleasedByOwners(c, c.ledger().entries()); // the latest 100 resources, in detail
    server.awaitOpenConnections(0, WAIT);
    c.close();
    CountingThreadFactory.awaitTermination(threads.threads(), WAIT);
    assertThat(threads.ended()).isEqualTo(threads.created());
  }
}
