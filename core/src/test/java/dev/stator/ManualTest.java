package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import org.junit.jupiter.api.Test;

/**
 * The snippets of README.md and docs/manual.md, run, with the log lines they print. Keep the
 * documents and this file in step.
 */
class ManualTest {
  private final List<String> log = new ArrayList<>();
  /** A System.Logger that keeps the lines; the documents show what `.log()` prints. */
  private final System.Logger logger = new System.Logger() {
    @Override
    public String getName() {
      return "capture";
    }

    @Override
    public boolean isLoggable(Level level) {
      return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
      log.add(msg);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
      log.add(format);
    }
  };

  private Tracer logged() {
    return Tracer.log(logger, System.Logger.Level.INFO);
  }

  // ------------------------------------------------------------------ README

  enum Door { Open, Closed, Locked }

  static final Schema<Door> DOOR = Schema.of(Door.class)
      .state(Door.Open,   s -> s.remove(Door.Closed, Door.Locked))
      .state(Door.Closed, s -> s.remove(Door.Open))
      .state(Door.Locked, s -> s.require(Door.Closed))
      .build();

  // manual section 2: a refusal says why
  @Test
  void manualRefusalReason() {
    try (Machine<Door> door = Machine.of(DOOR).id("door").tracer(logged()).build()) {
      Result r = door.add(Door.Locked);
      assertThat(r.status()).isEqualTo(Status.CANCELED);
      assertThat(r.reason()).isEqualTo("Locked requires Closed");
      assertThat(r.failures()).isEmpty();
    }
    assertThat(log).containsExactly("[door] #1 add[Locked] CANCELED: Locked requires Closed");
  }

  // manual section 2: explain
  @Test
  void manualExplain() {
    Resolution r = DOOR.explain(MutationKind.ADD, List.of("Locked"), List.of());
    assertThat(r.refusal()).isEqualTo("Locked requires Closed");
    assertThat(r.steps().stream().map(Resolution.Step::text)).containsExactly(
        "Locked is called (R1)", "Locked is dropped: it requires Closed (R3)");
  }

  // manual section 6: the close transition
  @Test
  void manualCloseTransition() {
    try (Machine<Door> door = Machine.of(DOOR).id("door").tracer(logged())
        .onExiting(Door.Closed, e -> log.add("closing: " + e.kind())).build()) {
      door.add(Door.Closed);
    }
    assertThat(log).containsExactly(
        "[door] #1 add[Closed] +Closed (Closed=1)",
        "closing: CLOSE",
        "[door] #2 close -Closed (Closed=2)");
  }

  @Test
  void readmeExample() {
    Schema<Door> schema = Schema.of(Door.class)
        .state(Door.Open,   s -> s.remove(Door.Closed, Door.Locked))
        .state(Door.Closed, s -> s.remove(Door.Open))
        .state(Door.Locked, s -> s.require(Door.Closed))
        .build();

    try (Machine<Door> door = Machine.of(schema).id("door").tracer(logged()).build()) {
      assertThat(door.add(Door.Closed).status()).isEqualTo(Status.EXECUTED);
      assertThat(door.add(Door.Locked).status()).isEqualTo(Status.EXECUTED);
      assertThat(door.add(Door.Open).status()).isEqualTo(Status.EXECUTED);
      assertThat(door.is(Door.Locked)).isFalse();
      assertThat(door.add(Door.Closed, Door.Locked).status()).isEqualTo(Status.EXECUTED);
      assertThat(door.active()).containsExactly(Door.Closed, Door.Locked);
    }
    assertThat(log).containsExactly(
        "[door] #1 add[Closed] +Closed (Closed=1)",
        "[door] #2 add[Locked] +Locked (Locked=1)",
        "[door] #3 add[Open] +Open -Closed -Locked (Open=1 Closed=2 Locked=2)",
        "[door] #4 add[Closed, Locked] +Closed +Locked -Open (Closed=3 Locked=3 Open=2)",
        "[door] #5 close -Closed -Locked (Closed=4 Locked=4)");
  }

  // manual section 1: every problem of a schema at once
  @Test
  void manualSchemaProblems() {
    Schema.Builder<String> b = Schema.named("Conn")
        .state("Session")
        .state("Ready", r -> r.require("Conected"))
        .state("Worker", r -> r.require("Idle"))
        .state("Idle", r -> r.after("Worker"));
    SchemaException e = org.assertj.core.api.Assertions.catchThrowableOfType(
        SchemaException.class, b::build);
    assertThat(e.problems()).hasSize(2);
    assertThat(e).hasMessage("invalid schema Conn, 2 problems:\n"
        + "  - state 'Ready' requires unknown state 'Conected'\n"
        + "  - require/after cycle: Worker -> Idle -> Worker");
  }

  // ------------------------------------------------------------------ manual: handlers

  enum Conn { Session, Connecting, Connected, Ready, Disconnected }

  static final Schema<Conn> CONN = Schema.of(Conn.class)
      .state(Conn.Connecting, s -> s.add(Conn.Session).remove(Conn.Connected, Conn.Disconnected))
      .state(Conn.Connected, s -> s.require(Conn.Session)
          .remove(Conn.Connecting, Conn.Disconnected))
      .state(Conn.Ready, s -> s.require(Conn.Connected).auto())
      .state(Conn.Disconnected, s -> s.remove(Conn.Session, Conn.Connecting, Conn.Connected))
      .build();

  static final class Client {
    final List<String> calls = new ArrayList<>();
    boolean allowed = true;

    boolean connectedEnter(Event<Conn> e) {   // negotiation: may refuse
      calls.add("connectedEnter");
      return allowed;
    }

    void connectingConnected(Event<Conn> e) { // pair: Connecting active, Connected entering
      calls.add("connectingConnected");
    }

    void connectedState(Event<Conn> e) {      // final: Connected is now active
      calls.add("connectedState");
    }

    void readyState(Event<Conn> e) {
      calls.add("readyState");
    }

    void readyEnd(Event<Conn> e) {            // final: Ready is no longer active
      calls.add("readyEnd");
    }

    void connectedEnd(Event<Conn> e) {
      calls.add("connectedEnd");
    }
  }

  @Test
  void manualHandlers() {
    Client client = new Client();
    try (Machine<Conn> m = Machine.of(CONN).id("client").handlers(client).tracer(logged()).build()) {
      m.add(Conn.Connecting);
      client.allowed = false;
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.CANCELED);
      client.allowed = true;
      assertThat(m.add(Conn.Connected).status()).isEqualTo(Status.EXECUTED);
      m.add(Conn.Disconnected);
    }
    assertThat(client.calls).containsExactly(
        "connectedEnter",
        "connectedEnter", "connectingConnected", "connectedState", "readyState",
        "readyEnd", "connectedEnd");
    assertThat(log).containsExactly(
        "[client] #1 add[Connecting] +Session +Connecting (Session=1 Connecting=1)",
        "[client] #2 add[Connected] CANCELED: handler connectedEnter refused",
        "[client] #3 add[Connected] +Connected -Connecting (Connected=1 Connecting=2)",
        "[client] #4 auto[Ready] +Ready (Ready=1)",
        "[client] #5 add[Disconnected] +Disconnected -Session -Connected -Ready "
            + "(Disconnected=1 Session=2 Connected=2 Ready=2)",
        "[client] #6 close -Disconnected (Disconnected=2)");
  }

  static final class Quiet {
    final List<String> calls = new ArrayList<>();

    void connectedState() {                   // no Event parameter: fine
      calls.add("connectedState");
    }
  }

  static final class Misspelled {
    void conectedState(Event<Conn> e) {}
  }

  // manual section 3: handlers without an Event, a misspelled name, looking lambdas
  @Test
  void manualHandlerBinding() {
    Quiet quiet = new Quiet();
    List<String> seen = new ArrayList<>();
    try (Machine<Conn> m = Machine.of(CONN).handlers(quiet)
        .onEntering(Conn.Connected, e -> seen.add("entering " + e.kind()))
        .build()) {
      m.add(Conn.Connecting);
      m.add(Conn.Connected);
    }
    assertThat(quiet.calls).containsExactly("connectedState");
    assertThat(seen).containsExactly("entering ADD");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> Machine.of(CONN).handlers(new Misspelled()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Misspelled.conectedState(Event) names no state of schema Conn; "
            + "did you mean connectedState?");
  }

  // ------------------------------------------------------------------ manual: queue

  static final Key<String> PEER = Key.of("peer", String.class);

  @Test
  void manualQueueAndArguments() throws Exception {
    List<String> seen = new ArrayList<>();
    try (Machine<Conn> m = Machine.of(CONN).id("q").tracer(logged())
        .onState(Conn.Connecting, e -> {
          Result r = e.machine().add(Conn.Connected, Args.of(PEER, e.arg(PEER)));
          seen.add("from a handler: " + r.status());          // QUEUED
        })
        .onState(Conn.Connected, e -> seen.add("connected to " + e.arg(PEER)))
        .build()) {
      Result r = m.add(Conn.Connecting, Args.of(PEER, "10.0.0.7"));
      seen.add("caller: " + r.status());                       // EXECUTED, queue drained
      assertThat(r.await(Duration.ofSeconds(1))).isEqualTo(Status.EXECUTED);
    }
    assertThat(seen).containsExactly(
        "from a handler: QUEUED", "connected to 10.0.0.7", "caller: EXECUTED");
    assertThat(log).containsExactly(
        "[q] #1 add[Connecting] +Session +Connecting (Session=1 Connecting=1) {peer=10.0.0.7}",
        "[q] #2 add[Connected] from q/1 +Connected -Connecting (Connected=1 Connecting=2) "
            + "{peer=10.0.0.7}",
        "[q] #3 auto[Ready] +Ready (Ready=1)",
        "[q] #4 close -Session -Connected -Ready (Session=2 Connected=2 Ready=2)");
  }

  // ------------------------------------------------------------------ manual: errors

  enum Job { Running, ErrTimeout, Exception }

  @Test
  void manualErrors() {
    Schema<Job> schema = Schema.of(Job.class)
        .state(Job.ErrTimeout, s -> s.require(Job.Exception))
        .build();
    try (Machine<Job> m = Machine.of(schema).id("job").tracer(logged())
        .onState(Job.Running, e -> {
          throw new IllegalStateException("disk full");
        })
        .build()) {
      m.add(Job.Running);                     // EXECUTED: a final handler cannot roll back
      m.addError(Job.ErrTimeout, new java.util.concurrent.TimeoutException("no reply"));
      assertThat(m.activeNames()).containsExactly("Running", "ErrTimeout", "Exception");
      assertThat(m.lastError()).hasMessage("no reply");
      m.removeError();                        // ErrTimeout requires Exception: both go
    }
    assertThat(log).containsExactly(
        "[job] #1 add[Running] +Running (Running=1)",
        "[job] #2 add[Exception] from job/1 +Exception (Exception=1) "
            + "{error=java.lang.IllegalStateException: disk full}",
        "[job] #3 add[ErrTimeout, Exception] +ErrTimeout +Exception (ErrTimeout=1 Exception=3) "
            + "{error=java.util.concurrent.TimeoutException: no reply}",
        "[job] #4 remove[Exception] -ErrTimeout -Exception (ErrTimeout=2 Exception=4)",
        "[job] #5 close -Running (Running=2)");
  }

  // ------------------------------------------------------------------ manual: waits

  @Test
  void manualWaits() throws Exception {
    try (Machine<Conn> m = Machine.of(CONN).id("w").tracer(logged()).build()) {
      Wait ready = m.when(Conn.Ready);                    // not yet: registered
      Thread.ofVirtual().start(() -> {
        m.add(Conn.Connecting);
        m.add(Conn.Connected);                            // Ready follows as an auto state
      });
      ready.await(Duration.ofSeconds(5));                 // returns once Ready is active
      Wait.any(m.whenError(), m.when(Conn.Disconnected)).future()
          .thenRun(() -> log.add("session over"));
      m.add(Conn.Disconnected);
      m.whenClosed().future().thenRun(() -> log.add("closed"));
    }
    assertThat(log).startsWith(
        "[w] #1 add[Connecting] +Session +Connecting (Session=1 Connecting=1)",
        "[w] #2 add[Connected] +Connected -Connecting (Connected=1 Connecting=2)",
        "[w] #3 auto[Ready] +Ready (Ready=1)",
        "[w] #4 add[Disconnected] +Disconnected -Session -Connected -Ready "
            + "(Disconnected=1 Session=2 Connected=2 Ready=2)");
  }

  @Test
  void manualWhenArgs() throws Exception {
    Key<String> REQUEST = Key.of("request", String.class);
    try (Machine<Conn> m = Machine.of(CONN).id("a").build()) {
      Wait mine = m.whenArgs(Conn.Connecting, Args.of(REQUEST, "r2"));
      m.add(Conn.Connecting, Args.of(REQUEST, "r1"));  // not r2: still waiting
      assertThat(mine.isDone()).isFalse();
      m.add(Conn.Disconnected);
      m.add(Conn.Connecting, Args.of(REQUEST, "r2"));  // completes it
      mine.await(Duration.ofSeconds(5));
    }
  }

  // ------------------------------------------------------------------ manual: scopes

  enum Link { Connected, Disconnected }

  static final Schema<Link> LINK = Schema.of(Link.class)
      .state(Link.Connected, s -> s.remove(Link.Disconnected))
      .state(Link.Disconnected, s -> s.remove(Link.Connected))
      .build();

  /** A resource that says who closed it. */
  record Session(List<String> out) implements AutoCloseable {
    @Override
    public void close() {
      out.add("session closed on " + Thread.currentThread().getName());
    }
  }

  final class LinkClient {
    final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();

    void connectedState(Event<Link> e) throws Exception {
      StateScope<Link> scope = e.scope();
      scope.open(() -> new Session(log));                 // closed when Connected ends
      scope.hold("lock", () -> {                          // entered and exited on one thread
        lock.lock();
        return lock::unlock;
      });
      scope.fork("heartbeat", () -> {                     // interrupted when Connected ends
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        while (!never.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
          log.add("ping"); // every second until Connected ends (the wait is interrupted)
        }
      });
    }
  }

  @Test
  void manualScopes() {
    LinkClient client = new LinkClient();
    Thread.currentThread().setName("main");
    try (Machine<Link> m = Machine.of(LINK).id("link").handlers(client).tracer(logged())
        .build()) {
      m.add(Link.Connected);
      m.add(Link.Disconnected);                           // heartbeat stops, then the session
      assertThat(client.lock.isLocked()).isFalse();       // closes; the lock is released
    }
    assertThat(log).containsExactly(
        "[link] #1 add[Connected] +Connected (Connected=1)",
        "[link] #2 add[Disconnected] +Disconnected -Connected (Disconnected=1 Connected=2)",
        "session closed on main",
        "[link] #3 close -Disconnected (Disconnected=2)");
  }
}
