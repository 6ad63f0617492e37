package dev.stator.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Key;
import dev.stator.Machine;
import dev.stator.Schema;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** Shared test fixture: a schema, tokens, raw calls, thread checks. */
final class Fixture {
  enum Door { Open, Closed, Locked }

  static final Schema<Door> SCHEMA = Schema.of(Door.class)
      .state(Door.Open, s -> s.remove(Door.Closed, Door.Locked))
      .state(Door.Closed, s -> s.remove(Door.Open))
      .state(Door.Locked, s -> s.require(Door.Closed))
      .build();

  static final Key<String> WHO = Key.of("who", String.class, Key.Codec.of(s -> s, s -> s));
  static final Key<Integer> CODE = Key.of("code", Integer.class,
      Key.Codec.of(String::valueOf, Integer::valueOf));
  static final Key<String> PLAIN = Key.of("plain", String.class); // no codec

  static final String OPERATOR = "operator-token-0123456789";
  static final String VIEWER = "viewer-token-0123456789ab";
  static final String LIMITED = "limited-token-0123456789a";

  private Fixture() {}

  /** The door machine a server exposes: locking needs WHO=admin. */
  static Machine<Door> door(String id) {
    return Machine.of(SCHEMA).id(id)
        .onEnter(Door.Locked, e -> "admin".equals(e.arg(WHO)))
        .build();
  }

  static RpcServer.Builder server(Machine<?> machine) {
    return RpcServer.builder().port(0).plaintext().expose(machine, WHO, CODE)
        .client("operator", OPERATOR, Grant.mutate(machine.id()))
        .client("viewer", VIEWER, Grant.read(machine.id()))
        .client("limited", LIMITED, Grant.mutate(machine.id(), "Open", "Closed"));
  }

  static RpcClient client(RpcServer server, String token) {
    return RpcClient.builder().target("localhost", server.port()).plaintext().token(token)
        .backoff(Duration.ofMillis(20), Duration.ofMillis(200)).build();
  }

  static void connected(RemoteMachine<?> r) throws Exception {
    r.connection().when(Connection.Connected).await(Duration.ofSeconds(10));
  }

  // ------------------------------------------------------------------ raw calls

  /** The outcome of one raw server-streaming call. */
  record Raw(Status status, List<byte[]> messages) {}

  /** Sends raw request bytes to a method, with the given token (null: no token). */
  static Raw call(int port, String method, byte[] request, String token) throws Exception {
    ManagedChannel ch = Grpc.newChannelBuilderForAddress("localhost", port,
        InsecureChannelCredentials.create()).build();
    try {
      var desc = Methods.MUTATE.toBuilder()
          .setFullMethodName(Methods.SERVICE + "/" + method).build();
      ClientCall<byte[], byte[]> call = ch.newCall(desc, CallOptions.DEFAULT
          .withDeadlineAfter(10, TimeUnit.SECONDS));
      List<byte[]> got = new CopyOnWriteArrayList<>();
      CompletableFuture<Status> end = new CompletableFuture<>();
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(byte[] message) {
          got.add(message);
          call.request(1);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          end.complete(status);
        }
      }, headers(token));
      call.sendMessage(request);
      call.halfClose();
      call.request(1);
      return new Raw(end.get(10, TimeUnit.SECONDS), got);
    } finally {
      ch.shutdownNow();
      ch.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  static Metadata headers(String token) {
    Metadata h = new Metadata();
    if (token != null) h.put(RpcServer.AUTHORIZATION, "Bearer " + token);
    return h;
  }

  // ------------------------------------------------------------------ threads

  /** Live platform threads of the transport and of this module. */
  static Set<String> transportThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(Fixture::isTransport)
        .collect(Collectors.toSet());
  }

  private static boolean isTransport(String name) {
    return name.startsWith("grpc") || name.startsWith("stator-rpc");
  }

  /**
   * Asserts that no transport thread started after {@code before} is alive: joins each (the
   * shared Netty event loops of grpc end about a second after their last user), up to 15 s in
   * all, then looks again for any started meanwhile.
   */
  static void noThreadsLeft(Set<String> before) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    for (;;) {
      List<Thread> left = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> isTransport(t.getName()) && !before.contains(t.getName())).toList();
      if (left.isEmpty()) break;
      for (Thread t : left) {
        long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (ms <= 0) throw new AssertionError("transport threads still alive: " + left);
        t.join(ms);
      }
    }
    assertThat(transportThreads()).isSubsetOf(before);
  }

  static void ownThreadsEnded(RpcServer server) {
    for (Thread t : server.ownThreads()) assertThat(t.isAlive()).as(t.getName()).isFalse();
    assertThat(server.callsEnded()).isTrue();
  }

  // ------------------------------------------------------------------ certificates

  /** A test certificate of grpc-testing, copied to a file. */
  static Path cert(Path dir, String name) {
    try (InputStream in = Fixture.class.getResourceAsStream("/certs/" + name)) {
      if (in == null) throw new IllegalStateException("no test certificate " + name);
      Path p = dir.resolve(name);
      Files.copy(in, p);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Integer> ints(int... v) {
    List<Integer> out = new ArrayList<>();
    for (int i : v) out.add(i);
    return out;
  }
}
