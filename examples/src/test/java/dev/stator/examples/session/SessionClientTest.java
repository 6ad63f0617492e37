package dev.stator.examples.session;

import static dev.stator.examples.session.SessionClient.LEASE;
import static dev.stator.examples.session.SessionClient.PROTOCOL;
import static dev.stator.examples.session.SessionClient.SOCKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.Status;
import dev.stator.Wait;
import dev.stator.examples.session.SessionClient.Conn;
import dev.stator.examples.session.ResourceLedger.Entry;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
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
 * <p>No test sleeps: time passes through {@link ManualPacer}s, and every wait is on an event
 * (a machine wait, a server counter, a thread join), each bounded by {@link #WAIT}.
 */
@Timeout(30)
class SessionClientTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private LineServer server;
  private CountingThreadFactory threads;
  private ManualPacer heartbeat;
  private final List<SessionClient> clients = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = LineServer.start();
    threads = new CountingThreadFactory("client");
    heartbeat = new ManualPacer();
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
        .backoff(Backoff.NONE, Pacer.SYSTEM)
        .heartbeat(Duration.ofSeconds(1), 2, heartbeat)).build();
    clients.add(c);
    return c;
  }

  private SessionClient client() {
    return client(b -> b);
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

    assertThat(c.disconnect().await(WAIT)).isEqualTo(Status.EXECUTED);
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
  void heartbeatPingsOnEachPauseAndEachPongIsAHeartbeat() throws Exception {
    SessionClient c = client();
    c.connect(WAIT);
    Machine<Conn> m = c.machine();
    for (int i = 1; i <= 3; i++) {
      Wait pong = m.whenTicks(Conn.Heartbeat, i == 1 ? 1 : 2); // +1 first, +2 per re-entry
      heartbeat.release(1);
      pong.await(WAIT);
      assertThat(c.pongs()).isEqualTo(i);
    }
    assertThat(server.pings()).isEqualTo(3);
    assertThat(heartbeat.asked()).containsOnly(Duration.ofSeconds(1));
  }

  @Test
  void serverDropEndsTheSessionAndTheClientReconnects() throws Exception {
    SessionClient c = client();
    c.connect(WAIT);
    Machine<Conn> m = c.machine();
    List<Entry> first = c.ledger().entries();

    Wait reconnected = m.whenTicks(Conn.Connected, 2);
    assertThat(server.dropAll()).isEqualTo(1);
    reconnected.await(WAIT);

    assertReleasedByOwners(c, first); // released in the ErrNetwork transition, before Connected
    assertThat(m.lastError()).isInstanceOf(EOFException.class);
    m.whenNot(Conn.Exception).await(WAIT); // the new session cleared the error once established
    assertThat(c.attempts()).isEqualTo(2);
    assertThat(c.reconnects()).isEqualTo(1);
    assertThat(c.ledger().open()).isEqualTo(3); // the new session's lease, socket and channel
    assertThat(server.accepted()).isEqualTo(2);
    server.awaitOpenConnections(1, WAIT);
  }

  @Test
  void unansweredPingsAreANetworkError() throws Exception {
    SessionClient c = client();
    c.connect(WAIT);
    Machine<Conn> m = c.machine();
    server.ignorePings(true);
    Wait reconnected = m.whenTicks(Conn.Connected, 2);
    heartbeat.release(4); // PING 1, 2, 3 unanswered; before PING 4: 3 > 2 missed
    reconnected.await(WAIT);
    assertThat(m.lastError()).isInstanceOf(SocketTimeoutException.class)
        .hasMessage("no PONG for the last 3 PINGs");
    server.awaitPings(3, WAIT); // the server read all three (on the old connection)
    assertThat(server.pings()).isEqualTo(3); // and the new session has not pinged yet
    assertThat(c.reconnects()).isEqualTo(1);
  }

  @Test
  void anErrorInAHandlerGivesTheSessionUpAndStillReleasesEverything() throws Exception {
    IllegalStateException bug = new IllegalStateException("bug in connectedState");
    SessionClient c = client(b -> b.hooks(new SessionClient.Hooks() {
      @Override
      public void connected(LineChannel channel) {
        throw bug; // after the reader and heartbeat were forked
      }
    }));
    Machine<Conn> m = c.machine();
    Wait disconnected = m.when(Conn.Disconnected);
    c.connect();
    disconnected.await(WAIT);

    assertThat(m.tick(Conn.Connected)).isEqualTo(2); // it did connect, then gave up
    assertThat(m.activeNames()).containsExactly("Disconnected", "Exception");
    assertThat(m.lastError()).isSameAs(bug);
    assertReleasedByOwners(c, c.ledger().entries());
    assertThat(kinds(c.ledger().entries())).containsExactly(LEASE, SOCKET, PROTOCOL);
    server.awaitGoodbyes(1, WAIT); // the channel was healthy: it still said goodbye
    // the reader and heartbeat ended with the scope: only the owner thread is left
    List<Thread> others = threads.threads().stream().filter(t -> t != owner(c)).toList();
    CountingThreadFactory.awaitTermination(others, WAIT);
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
    assertThat(c.disconnect().await(WAIT)).isEqualTo(Status.EXECUTED);
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
    ManualPacer backoff = new ManualPacer();
    SessionClient c = client(b -> b.backoff(
        new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), 0), backoff));
    Machine<Conn> m = c.machine();
    server.refuseHandshakes(true);
    c.connect();
    for (int attempt = 1; attempt <= 4; attempt++) {
      backoff.awaitAsked(attempt, WAIT); // attempt failed: Backoff waits
      assertThat(m.activeNames()).containsExactly("ErrNetwork", "Backoff", "Exception");
      assertThat(c.ledger().open()).isZero(); // the failed attempt's resources are released
      if (attempt < 4) backoff.release(1);
    }
    assertThat(backoff.asked()).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200),
        Duration.ofMillis(400), Duration.ofMillis(400));
    assertThat(m.lastError()).isInstanceOf(EOFException.class);

    server.refuseHandshakes(false);
    Wait connected = m.when(Conn.Connected);
    backoff.release(1);
    connected.await(WAIT);
    assertThat(c.reconnects()).isEqualTo(1);

    server.dropAll(); // a fresh failure after a connect starts over at the first delay
    backoff.awaitAsked(5, WAIT);
    assertThat(backoff.asked().get(4)).isEqualTo(Duration.ofMillis(100));
    assertReleasedByOwners(c, c.ledger().entries());
  }

  @Test
  void disconnectDuringBackoffInterruptsTheWaitAndNoAttemptFollows() throws Exception {
    ManualPacer backoff = new ManualPacer();
    SessionClient c = client(b -> b.backoff(Backoff.DEFAULT, backoff));
    Machine<Conn> m = c.machine();
    c.connect(WAIT);
    server.dropAll();
    backoff.awaitAsked(1, WAIT);
    long connecting = m.tick(Conn.Connecting);

    assertThat(c.disconnect().await(WAIT)).isEqualTo(Status.EXECUTED);
    assertThat(backoff.interrupted()).isEqualTo(1); // the backoff task ended with its state
    assertThat(backoff.waiting()).isZero();
    assertThat(m.tick(Conn.Connecting)).isEqualTo(connecting);
    assertThat(m.activeNames()).containsExactly("Disconnected", "Exception");
  }

  @Test
  void theClientGivesUpAfterMaxAttemptsAndConnectSaysWhy() throws Exception {
    SessionClient c = client(b -> b.backoff(new Backoff(Duration.ZERO, Duration.ZERO, 2), Pacer.SYSTEM));
    server.refuseHandshakes(true);
    assertThatThrownBy(() -> c.connect(WAIT))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("gave up")
        .hasCauseInstanceOf(EOFException.class);
    assertThat(c.attempts()).isEqualTo(3); // the first attempt and two retries
    assertThat(c.machine().activeNames()).containsExactly("Disconnected", "Exception");
    assertThat(c.ledger().open()).isZero();
  }

  // ------------------------------------------------------------------ one session at a time

  @Test
  void aSecondConnectWhileConnectedIsCanceled() throws Exception {
    SessionClient c = client();
    c.connect(WAIT);
    assertThat(c.connect().await(WAIT)).isEqualTo(Status.CANCELED);
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
    gaveUp.await(WAIT);
    assertThat(second.machine().lastError()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is held by another session");
    assertThat(second.ledger().entries(LEASE)).isEmpty();
    assertThat(first.machine().is(Conn.Connected)).isTrue();

    first.disconnect().await(WAIT);
    assertReleasedByOwners(first, first.ledger().entries());
    Wait connected = second.machine().when(Conn.Connected);
    second.connect();
    connected.await(WAIT);
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
      reconnected.await(WAIT);
      assertThat(c.ledger().open()).as("round %d", i).isEqualTo(3); // only the live session's
      server.awaitOpenConnections(1, WAIT); // the dropped socket is gone on the server side
      // every thread of the previous session (holder, dial, reader, heartbeat, backoff) ended
      List<Thread> before = threads.threads().subList(0, mark).stream().filter(t -> t != owner).toList();
      CountingThreadFactory.awaitTermination(before, WAIT);
    }
    assertThat(c.reconnects()).isEqualTo(rounds);
    assertThat(c.attempts()).isEqualTo(rounds + 1);
    assertThat(server.accepted()).isEqualTo(rounds + 1);
    assertThat(c.ledger().opened()).isEqualTo(3L * (rounds + 1));
    assertThat(threads.created() - threads.ended()).as("threads alive: owner + live session")
        .isLessThanOrEqualTo(1 + 5);

    c.disconnect().await(WAIT);
    assertThat(c.ledger().closed()).isEqualTo(c.ledger().opened());
    assertReleasedByOwners(c, c.ledger().entries()); // the latest 100 resources, in detail
    server.awaitOpenConnections(0, WAIT);
    c.close();
    CountingThreadFactory.awaitTermination(threads.threads(), WAIT);
    assertThat(threads.ended()).isEqualTo(threads.created());
  }
}
