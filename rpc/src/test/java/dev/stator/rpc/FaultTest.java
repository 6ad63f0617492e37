package dev.stator.rpc;

import static dev.stator.rpc.Fixture.OPERATOR;
import static dev.stator.rpc.Fixture.SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.Machine;
import dev.stator.MutationKind;
import dev.stator.Result;
import dev.stator.Schema;
import dev.stator.Snapshot;
import dev.stator.Status;
import dev.stator.rpc.Fixture.Door;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input and faults: each has a defined gRPC status with a message, the machine is unchanged
 * by refused input, and no thread or stream is left behind.
 */
class FaultTest {
  private Set<String> threadsBefore;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void threads() {
    threadsBefore = Fixture.transportThreads();
  }

  @AfterEach
  void nothingLeft() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) toClose.get(i).close();
    Fixture.noThreadsLeft(threadsBefore);
  }

  private <T extends AutoCloseable> T closing(T c) {
    toClose.add(c);
    return c;
  }

  private static byte[] mutate(String id, int... states) {
    return Wire.encode(new Wire.MutateRequest(id, MutationKind.ADD, states, false, null,
        List.of()));
  }

  @Test
  void refusedInputHasAStatusWithAMessageAndChangesNothing() throws Exception {
    Machine<Door> door = closing(Fixture.door("door-1"));
    RpcServer server = closing(Fixture.server(door).maxMessageBytes(2048).start());
    int port = server.port();
    door.add(Door.Closed);
    Snapshot before = door.snapshot();

    byte[] valid = mutate("door-1", Door.Open.ordinal());
    record Case(String name, String method, byte[] request, String token, io.grpc.Status.Code code,
        String message) {}
    List<Case> cases = List.of(
        new Case("malformed", "Mutate", new byte[] {(byte) 0xff, (byte) 0xff, 0x01}, OPERATOR,
            io.grpc.Status.Code.INVALID_ARGUMENT, "malformed MutateRequest"),
        new Case("truncated", "Mutate", Arrays.copyOf(valid, valid.length - 2), OPERATOR,
            io.grpc.Status.Code.INVALID_ARGUMENT, "MutateRequest"),
        new Case("unknown machine", "Mutate", mutate("door-9", 0), OPERATOR,
            io.grpc.Status.Code.NOT_FOUND, "unknown machine 'door-9'"),
        new Case("unknown state index", "Mutate", mutate("door-1", 9), OPERATOR,
            io.grpc.Status.Code.INVALID_ARGUMENT, "unknown state index 9"),
        new Case("unknown key", "Mutate", Wire.encode(new Wire.MutateRequest("door-1",
            MutationKind.ADD, new int[] {0}, false, null, List.of(new Wire.Arg("nope", "1")))),
            OPERATOR, io.grpc.Status.Code.INVALID_ARGUMENT, "unknown argument key 'nope'"),
        new Case("undecodable value", "Mutate", Wire.encode(new Wire.MutateRequest("door-1",
            MutationKind.ADD, new int[] {0}, false, null, List.of(new Wire.Arg("code", "x")))),
            OPERATOR, io.grpc.Status.Code.INVALID_ARGUMENT, "argument 'code'"),
        new Case("oversized", "Mutate", Wire.encode(new Wire.MutateRequest("door-1",
            MutationKind.ADD, new int[] {0}, false, null,
            List.of(new Wire.Arg("who", "x".repeat(4096))))), OPERATOR,
            io.grpc.Status.Code.RESOURCE_EXHAUSTED, "exceeds maximum"),
        new Case("missing token", "Mutate", valid, null,
            io.grpc.Status.Code.UNAUTHENTICATED, "missing bearer token"),
        new Case("wrong token", "Mutate", valid, "wrong-token-0123456789",
            io.grpc.Status.Code.UNAUTHENTICATED, "invalid bearer token"),
        new Case("malformed batch", "Mutations", new byte[] {0x0a, 0x05, 'a'}, OPERATOR,
            io.grpc.Status.Code.INVALID_ARGUMENT, "malformed MutateBatch"),
        new Case("empty batch", "Mutations", new byte[0], OPERATOR,
            io.grpc.Status.Code.INVALID_ARGUMENT, "MutateBatch: no mutations"),
        new Case("batch for an unknown machine", "Mutations",
            Wire.encodeBatch(List.of(mutate("door-9", 0))), OPERATOR,
            io.grpc.Status.Code.NOT_FOUND, "unknown machine 'door-9'"),
        new Case("batch with a wrong token", "Mutations", Wire.encodeBatch(List.of(valid)),
            "wrong-token-0123456789", io.grpc.Status.Code.UNAUTHENTICATED, "invalid bearer token"),
        new Case("malformed attach", "Attach", new byte[] {0x0a, 0x05, 'a'}, OPERATOR,
            io.grpc.Status.Code.INVALID_ARGUMENT, "malformed AttachRequest"),
        new Case("unknown method", "Nope", valid, OPERATOR,
            io.grpc.Status.Code.UNIMPLEMENTED, "Nope"));
    for (Case c : cases) {
      Fixture.Raw r = Fixture.call(port, c.method, c.request, c.token);
      assertThat(r.status().getCode()).as(c.name).isEqualTo(c.code);
      assertThat(r.status().getDescription()).as(c.name).contains(c.message);
      assertThat(r.messages()).as(c.name).isEmpty();
      assertThat(door.snapshot()).as(c.name).isEqualTo(before);
    }
    // on a Mutations stream a refused mutation is answered CANCELED with the status code, and
    // the stream goes on; a request for a second machine ends it, after the answers so far
    Fixture.Raw two = Fixture.call(port, "Mutations", Wire.encodeBatch(List.of(
        mutate("door-1", 9), mutate("door-2", 0))), OPERATOR);
    assertThat(two.status().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
    assertThat(two.status().getDescription()).contains("serves one machine, 'door-1'");
    Wire.AnswerBatch refused = Wire.decodeAnswerBatch(two.messages().get(0));
    assertThat(refused.answers()).singleElement().satisfies(a -> {
      assertThat(a.status()).isEqualTo(Status.CANCELED);
      assertThat(a.code()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT.value());
      assertThat(a.reason()).contains("unknown state index 9");
    });
    assertThat(door.snapshot()).isEqualTo(before);
    // the valid request still works afterwards
    Fixture.Raw ok = Fixture.call(port, "Mutate", valid, OPERATOR);
    assertThat(ok.status().isOk()).isTrue();
    assertThat(Wire.decodeAnswer(ok.messages().get(0)).status()).isEqualTo(Status.EXECUTED);
    assertThat(door.is(Door.Open)).isTrue();
  }

  @Test
  void aServerKilledMidStreamAndRestartedIsReattachedAndResyncedInFull() throws Exception {
    Machine<Door> first = closing(Fixture.door("door-1"));
    first.add(Door.Closed);
    first.add(Door.Open);
    first.add(Door.Closed);
    RpcServer server = Fixture.server(first).shutdownGrace(Duration.ZERO).start();
    int port = server.port();
    RpcClient client = closing(Fixture.client(server, OPERATOR));
    RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
    Fixture.connected(remote);
    assertThat(remote.machine().tick(Door.Closed)).isEqualTo(3);

    server.close();
    remote.connection().when(Connection.ErrNetwork).await(Duration.ofSeconds(10));
    assertThat(remote.connection().is(Connection.Connected)).isFalse();
    Result r = remote.machine().add(Door.Open);
    assertThat(r.status()).isEqualTo(Status.CANCELED);
    assertThat(r.reason()).contains("not connected");

    // a new process: a fresh machine with smaller clocks, on the same port
    Machine<Door> second = closing(Fixture.door("door-1"));
    second.add(Door.Open);
    closing(Fixture.server(second).port(port).start());
    remote.connection().when(Connection.Connected).await(Duration.ofSeconds(10));
    assertThat(remote.machine().snapshot()).isEqualTo(second.snapshot());
    assertThat(remote.machine().tick(Door.Closed)).isZero();
    assertThat(remote.machine().add(Door.Closed).executed()).isTrue();
    assertThat(second.is(Door.Closed)).isTrue();
  }

  @Test
  void mutationsHeldWhileDisconnectedAreSentInOrderOnceConnected() throws Exception {
    Machine<Door> door = closing(Fixture.door("door-1"));
    RpcServer first = Fixture.server(door).shutdownGrace(Duration.ZERO).start();
    int port = first.port();
    first.close(); // nothing listens on the port now
    RpcClient client = closing(RpcClient.builder().target("localhost", port).plaintext()
        .token(OPERATOR).backoff(Duration.ofMillis(20), Duration.ofMillis(100))
        .holdWhileDisconnected(2).build());
    RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
    remote.connection().when(Connection.ErrNetwork).await(Duration.ofSeconds(10));
    Result closed = remote.machine().add(Door.Closed);
    Result locked = remote.machine().add(Door.Locked,
        dev.stator.Args.of(Fixture.WHO, "admin")); // requires Closed: only works in order
    Result third = remote.machine().add(Door.Open);
    assertThat(closed.status()).isEqualTo(Status.QUEUED);
    assertThat(locked.status()).isEqualTo(Status.QUEUED);
    assertThat(third.status()).isEqualTo(Status.CANCELED);
    assertThat(third.reason()).contains("2 mutations are already held");
    assertThat(door.activeNames()).isEmpty();

    closing(Fixture.server(door).port(port).start());
    assertThat(closed.await(Duration.ofSeconds(10))).isEqualTo(Status.EXECUTED);
    assertThat(locked.await(Duration.ofSeconds(10))).isEqualTo(Status.EXECUTED);
    assertThat(door.active()).containsExactly(Door.Closed, Door.Locked);
    remote.machine().when(Door.Locked).await(Duration.ofSeconds(5));
    Thread f = remote.flusherThread();
    assertThat(f).isNotNull();
    f.join(5_000);
    assertThat(f.isAlive()).isFalse();
  }

  @Test
  void closingTheServerEndsIdleMutationStreamsWithoutWaitingForTheGrace() throws Exception {
    Machine<Door> door = closing(Fixture.door("door-1"));
    RpcServer server = closing(Fixture.server(door).shutdownGrace(Duration.ofMinutes(5))
        .start());
    RpcClient client = closing(Fixture.client(server, OPERATOR));
    RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
    Fixture.connected(remote);
    assertThat(remote.machine().add(Door.Closed).executed()).isTrue(); // opens the stream
    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofMinutes(1),
        server::close, "close waited for the idle Mutations stream's grace");
    remote.connection().when(Connection.ErrNetwork).await(Duration.ofSeconds(10));
    assertThat(remote.machine().add(Door.Open).reason()).contains("not connected");
  }

  @Test
  void aNetworkDropDuringAQueuedMutationFailsItsTicketAsUnknown() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Machine<Door> busy = closing(Machine.of(SCHEMA).id("busy").noHandlerTimeout()
        .onState(Door.Open, e -> {
          inHandler.countDown();
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
          }
        }).build());
    RpcServer server = RpcServer.builder().port(0).plaintext().expose(busy)
        .client("operator", OPERATOR, Grant.mutate("busy")).shutdownGrace(Duration.ZERO).start();
    RpcClient client = closing(Fixture.client(server, OPERATOR));
    RemoteMachine<Door> remote = client.attach("busy", SCHEMA);
    Fixture.connected(remote);
    Thread local = Thread.ofVirtual().start(() -> busy.add(Door.Open));
    assertThat(inHandler.await(5, TimeUnit.SECONDS)).isTrue();
    Result ticket = remote.machine().add(Door.Closed);
    assertThat(ticket.status()).isEqualTo(Status.QUEUED);
    server.close(); // the connection drops while the mutation waits in the machine's queue
    assertThatThrownBy(() -> ticket.await(Duration.ofSeconds(10)))
        .isInstanceOf(RemoteOutcomeUnknownException.class)
        .hasMessageContaining("outcome of a queued mutation of busy is unknown");
    assertThat(remote.machine().queueSize()).isZero();
    release.countDown();
    local.join();
    busy.whenQueue(busy.add(Door.Locked)).await(Duration.ofSeconds(5)); // the queue drained
    assertThat(busy.is(Door.Closed)).isTrue(); // it did run: "unknown" was the honest answer
  }

  @Test
  void aClientThatNeverReadsIsDisconnectedAndStallsNothing() throws Exception {
    List<String> names = new ArrayList<>();
    Schema.Builder<String> b = Schema.named("Wide");
    for (int i = 0; i < 40; i++) {
      names.add("s" + i);
      b.state("s" + i);
    }
    Schema<String> wide = b.build();
    Machine<String> m = closing(Machine.of(wide).id("wide").build());
    RpcServer server = closing(RpcServer.builder().port(0).plaintext().expose(m)
        .client("operator", OPERATOR, Grant.read("wide"))
        .client("viewer", Fixture.VIEWER, Grant.read("wide"))
        .stallBound(Duration.ofSeconds(1)).start());
    RpcClient good = closing(Fixture.client(server, OPERATOR));
    RemoteMachine<String> mirror = good.attach("wide", wide);
    Fixture.connected(mirror);

    ManagedChannel ch = NettyChannelBuilder.forAddress("localhost", server.port())
        .usePlaintext().flowControlWindow(1024).build();
    try {
      ClientCall<byte[], byte[]> call = ch.newCall(Methods.ATTACH, CallOptions.DEFAULT);
      CompletableFuture<io.grpc.Status> end = new CompletableFuture<>();
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onClose(io.grpc.Status status, Metadata trailers) {
          end.complete(status);
        }
      }, Fixture.headers(Fixture.VIEWER));
      call.sendMessage(Wire.encode(new Wire.AttachRequest("wide", wide.hash())));
      call.halfClose();
      call.request(1); // the Hello, and never anything more
      List<String> evens = names.stream().filter(n -> Integer.parseInt(n.substring(1)) % 2 == 0)
          .toList();
      List<String> odds = names.stream().filter(n -> !evens.contains(n)).toList();
      AtomicInteger transitions = new AtomicInteger();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      assertThat(server.awaitStreams(2, Duration.ofSeconds(15))).as("both streams open").isTrue();
      while (server.streams() == 2 && System.nanoTime() < deadline) {
        // every set() runs at once on this thread: the machine is never held up by the client
        Result r = m.set(transitions.getAndIncrement() % 2 == 0 ? evens : odds,
            dev.stator.Args.NONE);
        assertThat(r.status()).isEqualTo(Status.EXECUTED);
        if (transitions.get() % 64 == 0) {
          // let the watcher run: wait (bounded) until the good mirror has seen this state
          mirror.machine().whenTime(m.snapshot()).await(Duration.ofSeconds(5));
        }
      }
      assertThat(server.streams()).as("the stalled stream was dropped").isEqualTo(1);
      // the reading client kept up and is still attached
      mirror.machine().whenTime(m.snapshot()).await(Duration.ofSeconds(5));
      assertThat(mirror.connection().is(Connection.Connected)).isTrue();
      // the status waits behind the unread updates: reading them shows why the stream ended
      call.request(Integer.MAX_VALUE);
      io.grpc.Status s = end.get(10, TimeUnit.SECONDS);
      assertThat(s.getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED);
      assertThat(s.getDescription()).contains("client 'viewer' fell behind on machine wide");
    } finally {
      ch.shutdownNow();
      ch.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void streamsBeyondTheLimitAreRefused() throws Exception {
    Machine<Door> door = closing(Fixture.door("door-1"));
    RpcServer server = closing(Fixture.server(door).maxStreamsPerClient(1).start());
    RpcClient client = closing(Fixture.client(server, OPERATOR));
    RemoteMachine<Door> one = client.attach("door-1", SCHEMA);
    Fixture.connected(one);
    Fixture.Raw second = Fixture.call(server.port(), "Attach",
        Wire.encode(new Wire.AttachRequest("door-1", SCHEMA.hash())), OPERATOR);
    assertThat(second.status().getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED);
    assertThat(second.status().getDescription()).contains("1 streams open");
  }

  @Test
  void configurationIsCheckedAtOnce() {
    Machine<Door> door = closing(Fixture.door("door-1"));
    assertThatThrownBy(() -> RpcServer.builder().expose(door).client("a", "short", Grant.read("x")))
        .hasMessageContaining("too short");
    assertThatThrownBy(() -> RpcServer.builder().port(0).expose(door)
        .client("a", OPERATOR, Grant.read("door-1")).start())
        .hasMessageContaining("choose tls(cert, key) or, for loopback tests, plaintext()");
    assertThatThrownBy(() -> RpcServer.builder().port(0).plaintext().expose(door)
        .client("a", OPERATOR, Grant.read("door-2")).start())
        .hasMessageContaining("'door-2', which is not exposed");
    assertThatThrownBy(() -> RpcServer.builder().expose(door, Fixture.PLAIN))
        .hasMessageContaining("key 'plain' has no codec");
    assertThatThrownBy(() -> RpcClient.builder().target("localhost", 1).token("t").build())
        .hasMessageContaining("choose tls(ca) or, for loopback tests, plaintext()");
  }
}
