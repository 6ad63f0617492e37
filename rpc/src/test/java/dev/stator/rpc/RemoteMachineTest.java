package dev.stator.rpc;

import static dev.stator.rpc.Fixture.CODE;
import static dev.stator.rpc.Fixture.LIMITED;
import static dev.stator.rpc.Fixture.OPERATOR;
import static dev.stator.rpc.Fixture.PLAIN;
import static dev.stator.rpc.Fixture.SCHEMA;
import static dev.stator.rpc.Fixture.VIEWER;
import static dev.stator.rpc.Fixture.WHO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.Args;
import dev.stator.Machine;
import dev.stator.MachineClosedException;
import dev.stator.Result;
import dev.stator.Snapshot;
import dev.stator.Status;
import dev.stator.Wait;
import dev.stator.rpc.Fixture.Door;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A remote machine against a real loopback server: the same Machine API, across the wire. */
class RemoteMachineTest {
  private Set<String> threadsBefore;
  private Machine<Door> door;
  private RpcServer server;
  private RpcClient client;

  @BeforeEach
  void start() {
    threadsBefore = Fixture.transportThreads();
    door = Fixture.door("door-1");
    server = Fixture.server(door).start();
    client = Fixture.client(server, OPERATOR);
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    assertThat(server.awaitStreams(0, Duration.ofSeconds(15))).as("streams end").isTrue();
    server.close();
    Fixture.ownThreadsEnded(server);
    door.close();
    Fixture.noThreadsLeft(threadsBefore);
  }

  @Test
  void whenArgsIsEvaluatedByTheServerAndAdvancesTheMirror() throws Exception {
    RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
    Fixture.connected(remote);
    Machine<Door> m = remote.machine();
    Wait ann = m.whenArgs(Door.Open, Args.of(WHO, "ann")); // in place on the server now
    Wait cancelled = m.whenArgs(Door.Closed, Args.of(WHO, "zed"));
    door.add(Door.Open, Args.of(WHO, "bob"));
    door.add(Door.Closed);
    assertThat(ann.isDone()).isFalse();
    assertThat(cancelled.cancel()).isTrue();
    door.add(Door.Open, Args.of(WHO, "ann", CODE, 7)); // on the server, not through the mirror
    ann.await(Duration.ofSeconds(5));
    assertThat(m.is(Door.Open)).isTrue(); // advanced before the wait completed
    assertThatThrownBy(() -> m.whenArgs(Door.Open, Args.of(PLAIN, "x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no codec");
    Wait pending = m.whenArgs(Door.Closed, Args.of(WHO, "never"));
    door.close(); // the server's machine closes: the remote wait fails, naming it
    assertThatThrownBy(() -> pending.await(Duration.ofSeconds(5)))
        .hasMessageContaining("closed");
  }

  @Test
  void readsAndWaitsAreLocalOnAMirrorThatFollowsTheServer() throws Exception {
    door.add(Door.Closed);
    RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
    Fixture.connected(remote);
    Machine<Door> m = remote.machine();
    assertThat(m.active()).containsExactly(Door.Closed); // resynced in full before Connected
    assertThat(m.snapshot()).isEqualTo(door.snapshot());

    Wait open = m.when(Door.Open);
    door.add(Door.Open); // a transition on the server, not through the mirror
    open.await(Duration.ofSeconds(5));
    assertThat(m.is(Door.Open)).isTrue();
    assertThat(m.tick(Door.Open)).isEqualTo(door.tick(Door.Open));

    // a state that comes and goes between two pushes still completes a wait on it
    Wait locked = m.whenTicks(Door.Closed, 2);
    door.add(Door.Closed);
    door.add(Door.Open);
    locked.await(Duration.ofSeconds(5));
    assertThat(m.id()).isEqualTo("door-1");
    // the lag is measured (one host: one wall clock) and bounded by what the test waited
    assertThat(remote.lag()).isNotNull().isLessThan(Duration.ofSeconds(5));
    assertThat(remote.maxLag()).isGreaterThanOrEqualTo(remote.lag());
  }

  @Test
  void mutationsRunOnTheServerWithArgumentsAndReadYourWrites() throws Exception {
    RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
    Fixture.connected(remote);
    Machine<Door> m = remote.machine();
    assertThat(m.add(Door.Closed).status()).isEqualTo(Status.EXECUTED);
    assertThat(m.is(Door.Closed)).isTrue(); // the answer carries the server's clock
    assertThat(door.is(Door.Closed)).isTrue();

    Result refused = m.add(Door.Locked, Args.of(WHO, "guest"));
    assertThat(refused.status()).isEqualTo(Status.CANCELED);
    assertThat(refused.reason()).contains("lockedEnter").contains("refused");
    assertThat(door.is(Door.Locked)).isFalse();

    assertThat(m.add(Door.Locked, Args.of(WHO, "admin").with(CODE, 7)).executed()).isTrue();
    assertThat(door.is(Door.Locked)).isTrue();

    assertThat(m.toggle(Door.Locked).executed()).isTrue();
    assertThat(door.is(Door.Locked)).isFalse();
    assertThat(m.set(Door.Open).executed()).isTrue();
    assertThat(door.active()).containsExactly(Door.Open);
    assertThat(m.remove(Door.Open).executed()).isTrue();
    assertThat(door.active()).isEmpty();

    assertThat(m.addError(new IllegalStateException("jammed")).executed()).isTrue();
    assertThat(door.hasError()).isTrue();
    assertThat(door.lastError()).isInstanceOf(RemoteFailure.class)
        .hasMessage("java.lang.IllegalStateException: jammed");
    assertThat(m.hasError()).isTrue();
    assertThat(m.removeError().executed()).isTrue();
    assertThat(door.hasError()).isFalse();
  }

  @Test
  void randomMutationsThroughTheMirrorMatchALocalTwin() throws Exception {
    RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
    Fixture.connected(remote);
    Machine<Door> m = remote.machine();
    try (Machine<Door> twin = Fixture.door("twin")) {
      java.util.Random random = new java.util.Random(42);
      Door[] doors = Door.values();
      for (int i = 0; i < 400; i++) {
        Door a = doors[random.nextInt(doors.length)];
        Door b = doors[random.nextInt(doors.length)];
        Args args = random.nextBoolean() ? Args.of(WHO, "admin") : Args.NONE;
        int op = random.nextInt(6);
        Result local = apply(twin, op, a, b, args);
        Result viaWire = apply(m, op, a, b, args);
        assertThat(viaWire.status()).as("op %d on %s %s", op, a, b).isEqualTo(local.status());
        assertThat(viaWire.reason()).isEqualTo(local.reason());
        assertThat(m.active()).isEqualTo(twin.active()); // read-your-writes
        assertThat(m.snapshot().ticks()).isEqualTo(twin.snapshot().ticks());
      }
      assertThat(door.snapshot().ticks()).isEqualTo(twin.snapshot().ticks());
    }
  }

  private static Result apply(Machine<Door> m, int op, Door a, Door b, Args args) {
    return switch (op) {
      case 0 -> m.add(a, args);
      case 1 -> m.remove(a, args);
      case 2 -> m.set(List.of(a, b), args);
      case 3 -> m.toggle(a);
      case 4 -> m.add(List.of(a, b), args);
      default -> m.addError(a, new IllegalStateException("e"));
    };
  }

  @Test
  void anArgumentWithoutACodecIsAnErrorAtTheCall() throws Exception {
    RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
    Fixture.connected(remote);
    Snapshot before = door.snapshot();
    assertThatThrownBy(() -> remote.machine().add(Door.Open, Args.of(PLAIN, "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("argument 'plain'").hasMessageContaining("has no codec");
    assertThat(door.snapshot()).isEqualTo(before);
  }

  @Test
  void aQueuedMutationReturnsATicketCompletedByTheRemoteOutcome() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Machine<Door> busy = Machine.of(SCHEMA).id("busy").noHandlerTimeout()
        .onState(Door.Open, e -> {
          inHandler.countDown();
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
          }
        }).build();
    try (RpcServer s2 = RpcServer.builder().port(0).plaintext().expose(busy)
        .client("operator", OPERATOR, Grant.mutate("busy")).start();
        RpcClient c2 = Fixture.client(s2, OPERATOR)) {
      RemoteMachine<Door> remote = c2.attach("busy", SCHEMA);
      Fixture.connected(remote);
      Thread local = Thread.ofVirtual().start(() -> busy.add(Door.Open));
      assertThat(inHandler.await(5, TimeUnit.SECONDS)).isTrue();
      Result r = remote.machine().add(Door.Closed);
      assertThat(r.status()).isEqualTo(Status.QUEUED);
      assertThat(remote.machine().queueSize()).isEqualTo(1);
      Wait done = remote.machine().whenQueue(r);
      release.countDown();
      done.await(Duration.ofSeconds(5));
      assertThat(r.await(Duration.ofSeconds(5))).isEqualTo(Status.EXECUTED);
      assertThat(busy.is(Door.Closed)).isTrue();
      remote.machine().when(Door.Closed).await(Duration.ofSeconds(5));
      local.join();
    } finally {
      busy.close();
    }
  }

  @Test
  void pipelinedMutationsReturnQueuedAtOnceAndTheirTicketsCompleteWithTheServersOutcome()
      throws Exception {
    try (RpcClient pipelined = RpcClient.builder().target("localhost", server.port()).plaintext()
        .token(OPERATOR).pipelined().window(64).build();
        RpcClient limited = RpcClient.builder().target("localhost", server.port()).plaintext()
        .token(LIMITED).pipelined().build()) {
      RemoteMachine<Door> remote = pipelined.attach("door-1", SCHEMA);
      Fixture.connected(remote);
      Machine<Door> m = remote.machine();
      long before = door.tick(Door.Open);
      int n = 2_000; // far beyond the window: callers wait for slots, nothing is refused
      List<Result> results = new java.util.ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        Result r = m.toggle(Door.Open);
        // a ticket, not a shared final constant; its status may already be final
        assertThat(r).isNotSameAs(Result.EXECUTED).isNotSameAs(Result.CANCELED);
        results.add(r);
      }
      for (Result r : results) assertThat(r.await(Duration.ofSeconds(10))).isEqualTo(Status.EXECUTED);
      assertThat(door.tick(Door.Open) - before).as("every toggle ran once, in order")
          .isEqualTo(n);
      assertThat(m.tick(Door.Open)).as("the mirror read its writes").isEqualTo(door.tick(Door.Open));

      RemoteMachine<Door> limitedRemote = limited.attach("door-1", SCHEMA);
      Fixture.connected(limitedRemote);
      Result refused = limitedRemote.machine().add(Door.Locked, Args.of(WHO, "admin"));
      assertThat(refused).isNotSameAs(Result.CANCELED);
      assertThat(refused.await(Duration.ofSeconds(5))).isEqualTo(Status.CANCELED);
      assertThat(refused.reason()).contains("refused by the server: PERMISSION_DENIED")
          .contains("[Locked]");
      assertThat(door.is(Door.Locked)).isFalse();
    }
  }

  @Test
  void mutationsFromManyThreadsShareOneStreamAndEachGetsItsOwnAnswer() throws Exception {
    RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
    Fixture.connected(remote);
    Machine<Door> m = remote.machine();
    long before = door.tick(Door.Open);
    int threads = 8;
    int each = 500;
    List<Thread> ts = new java.util.ArrayList<>();
    java.util.concurrent.atomic.AtomicInteger executed = new java.util.concurrent.atomic.AtomicInteger();
    for (int t = 0; t < threads; t++) {
      ts.add(Thread.ofVirtual().start(() -> {
        for (int i = 0; i < each; i++) {
          if (m.toggle(Door.Open).executed()) executed.incrementAndGet();
        }
      }));
    }
    for (Thread t : ts) t.join();
    assertThat(executed.get()).isEqualTo(threads * each);
    assertThat(door.tick(Door.Open) - before).isEqualTo(threads * each);
  }

  @Test
  void aReadOnlyClientCanMirrorButNotMutate() throws Exception {
    try (RpcClient viewer = Fixture.client(server, VIEWER)) {
      RemoteMachine<Door> remote = viewer.attach("door-1", SCHEMA);
      Fixture.connected(remote);
      Snapshot before = door.snapshot();
      Result r = remote.machine().add(Door.Open);
      assertThat(r.status()).isEqualTo(Status.CANCELED);
      assertThat(r.reason()).contains("PERMISSION_DENIED").contains("'viewer' may not mutate");
      assertThat(door.snapshot()).isEqualTo(before);
    }
  }

  @Test
  void aGrantForSomeStatesRefusesTheOthers() throws Exception {
    try (RpcClient limited = Fixture.client(server, LIMITED)) {
      RemoteMachine<Door> remote = limited.attach("door-1", SCHEMA);
      Fixture.connected(remote);
      assertThat(remote.machine().add(Door.Closed).executed()).isTrue();
      Result r = remote.machine().add(Door.Locked, Args.of(WHO, "admin"));
      assertThat(r.reason()).contains("PERMISSION_DENIED").contains("[Locked]");
      assertThat(door.is(Door.Locked)).isFalse();
      assertThat(remote.machine().addError(new RuntimeException("x")).canceled()).isTrue();
      assertThat(door.hasError()).isFalse();
    }
  }

  @Test
  void aWrongTokenIsRefusedForGood() throws Exception {
    try (RpcClient bad = Fixture.client(server, "not-a-valid-token-at-all")) {
      RemoteMachine<Door> remote = bad.attach("door-1", SCHEMA);
      remote.connection().when(Connection.ErrRefused).await(Duration.ofSeconds(10));
      assertThat(remote.lastFailure()).contains("UNAUTHENTICATED").contains("invalid bearer token");
      Result r = remote.machine().add(Door.Open);
      assertThat(r.reason()).contains("not connected").contains("UNAUTHENTICATED");
      assertThat(door.is(Door.Open)).isFalse();
    }
  }

  @Test
  void aDifferentSchemaIsRefusedNamingBothHashes() throws Exception {
    var other = dev.stator.Schema.of(Door.class).state(Door.Open).build();
    RemoteMachine<Door> remote = client.attach("door-1", other);
    remote.connection().when(Connection.ErrRefused).await(Duration.ofSeconds(10));
    assertThat(remote.lastFailure()).contains("FAILED_PRECONDITION").contains("schema mismatch")
        .contains(other.hash()).contains(SCHEMA.hash());
  }

  @Test
  void aMachineCanBeAttachedByTheSchemaDataTheServerSends() throws Exception {
    door.add(Door.Closed);
    RemoteMachine<String> r = client.attach("door-1", Duration.ofSeconds(5));
    Fixture.connected(r);
    assertThat(r.machine().schema().hash()).isEqualTo(SCHEMA.hash());
    assertThat(r.machine().activeNames()).containsExactly("Closed");
    assertThat(r.machine().add("Open").executed()).isTrue();
    assertThat(door.is(Door.Open)).isTrue();
    assertThatThrownBy(() -> client.attach("no-such-door", Duration.ofSeconds(5)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("NOT_FOUND");
  }

  @Test
  void anUnknownMachineIsNotFound() throws Exception {
    RemoteMachine<Door> remote = client.attach("no-such-door", SCHEMA);
    remote.connection().when(Connection.ErrRefused).await(Duration.ofSeconds(10));
    assertThat(remote.lastFailure()).contains("NOT_FOUND").contains("no-such-door");
  }

  @Test
  void closingTheMirrorDetachesWithoutClosingTheServersMachine() throws Exception {
    RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
    Fixture.connected(remote);
    Wait pending = remote.machine().when(Door.Locked);
    remote.close();
    assertThatThrownBy(() -> pending.await(Duration.ofSeconds(1)))
        .isInstanceOf(MachineClosedException.class);
    assertThatThrownBy(() -> remote.machine().add(Door.Open))
        .isInstanceOf(MachineClosedException.class);
    assertThat(door.isClosed()).isFalse();
    Thread loop = remote.loopThread();
    assertThat(loop).isNotNull();
    loop.join(5_000);
    assertThat(loop.isAlive()).isFalse();
    assertThat(server.awaitStreams(0, Duration.ofSeconds(15))).as("the stream ends on the server")
        .isTrue();
  }

  @Test
  void theServersMachineClosingClosesTheMirror() throws Exception {
    RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
    Fixture.connected(remote);
    door.close();
    remote.machine().whenClosed().await(Duration.ofSeconds(5));
    assertThat(remote.lastFailure()).contains("door-1 is closed");
    assertThat(remote.connection().is(Connection.Disconnected)).isTrue();
  }

  @Test
  void manyClientsEachWithItsOwnStream() throws Exception {
    List<RpcClient> clients = new java.util.ArrayList<>();
    try {
      List<RemoteMachine<Door>> remotes = new java.util.ArrayList<>();
      for (int i = 0; i < 4; i++) {
        RpcClient c = Fixture.client(server, i % 2 == 0 ? OPERATOR : VIEWER);
        clients.add(c);
        remotes.add(c.attach("door-1", SCHEMA));
      }
      for (RemoteMachine<Door> r : remotes) Fixture.connected(r);
      assertThat(server.streams()).isEqualTo(4);
      remotes.get(0).machine().add(Door.Open);
      for (RemoteMachine<Door> r : remotes) {
        r.machine().when(Door.Open).await(Duration.ofSeconds(5));
      }
    } finally {
      for (RpcClient c : clients) c.close();
    }
  }

  @Test
  void theTraceparentTravelsWithAMutation() throws Exception {
    String tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    AtomicReference<String> seen = new AtomicReference<>("unbound");
    Machine<Door> traced = Machine.of(SCHEMA).id("traced")
        .onState(Door.Open, e -> seen.set(RpcTrace.TRACEPARENT.isBound()
            ? RpcTrace.TRACEPARENT.get() : "unbound"))
        .build();
    try (RpcServer s2 = RpcServer.builder().port(0).plaintext().expose(traced)
        .client("operator", OPERATOR, Grant.mutate("traced")).start();
        RpcClient c2 = RpcClient.builder().target("localhost", s2.port()).plaintext()
            .token(OPERATOR).traceparent(() -> tp).build()) {
      RemoteMachine<Door> remote = c2.attach("traced", SCHEMA);
      Fixture.connected(remote);
      assertThat(remote.machine().add(Door.Open).executed()).isTrue();
      assertThat(seen.get()).isEqualTo(tp);
    } finally {
      traced.close();
    }
  }
}
