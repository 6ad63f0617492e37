package dev.stator.rpc;

import dev.stator.Key;
import dev.stator.Machine;
import dev.stator.MachineClosedException;
import dev.stator.QueueFullException;
import dev.stator.Result;
import dev.stator.Schema;
import dev.stator.Snapshot;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Serves machines of this process to {@link RpcClient}s over gRPC.
 *
 * {@snippet :
 * RpcServer server = RpcServer.builder()
 *     .port(7443)
 *     .tls(Path.of("server.pem"), Path.of("server.key"))     // or .plaintext() on loopback
 *     .expose(door, WHO)                                     // keys whose arguments may cross
 *     .client("operator", operatorToken, Grant.mutate("door-1"))
 *     .client("dashboard", dashboardToken, Grant.read("door-1"))
 *     .start();
 * }
 *
 * <p>Security: every call carries {@code authorization: Bearer <token>}; the token names the
 * client (compared in constant time against every configured token) and the client's grants
 * decide what it may read and mutate. TLS is configured from PEM files; with
 * {@link Builder#clientCa} the server requires client certificates (mTLS). Plaintext is used
 * only when {@link Builder#plaintext()} asks for it.
 *
 * <p>Outcomes of bad input, each a gRPC status with a message, nothing changed: missing or wrong
 * token UNAUTHENTICATED; a machine not granted PERMISSION_DENIED; unknown machine id NOT_FOUND;
 * a schema hash that differs FAILED_PRECONDITION naming both hashes; malformed or truncated
 * message, unknown state index, unknown argument key or undecodable value INVALID_ARGUMENT;
 * a message over {@link Builder#maxMessageBytes} RESOURCE_EXHAUSTED; more open streams than
 * {@link Builder#maxStreamsPerClient} RESOURCE_EXHAUSTED; a mirror that stops reading while
 * updates are pending for {@link Builder#stallBound} is disconnected with RESOURCE_EXHAUSTED.
 *
 * <p>Thread safety: the server is safe for use by any thread; {@link #close()} stops it and
 * waits for its threads to end. The served machines are not closed.
 */
public final class RpcServer implements AutoCloseable {
  /* Design.
   *
   * Transport: grpc-java with the Netty transport found by Grpc.newServerBuilderForPort; every
   * call runs on the server's own cached pool of platform threads (grpc's default kind; shut
   * down in close(), so no pool thread outlives the server), and a mutation runs on that thread
   * like any caller's. Not a virtual thread per task: Netty keeps a buffer cache per thread, and
   * a fresh thread per callback paid for a fresh cache on every write (RpcBench: the server
   * spent more time in Netty's allocator than in the machine).
   * Messages are bytes decoded by Wire (see Methods), so malformed input gets INVALID_ARGUMENT
   * from our decoder, which is fuzzed.
   * Authentication is a ServerInterceptor: the token's SHA-256 is compared with MessageDigest
   * .isEqual against every configured client's (all of them, so the time does not say which
   * matched); the client is put in the call's Context. Authorisation per call, per machine, per
   * state (ServedMachine.run). Watching and pushing: ServedMachine. */

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Client> CLIENT = Context.key("stator-rpc-client");

  private final Server server;
  private final ExecutorService executor;
  private final Map<String, ServedMachine<?>> machines;
  private final Object streamsLock = new Object(); // notified when a stream opens or ends
  private final java.util.Set<MutationsCall> mutationCalls =
      java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final List<Client> clients;
  private final int maxStreamsPerClient;
  private final Duration shutdownGrace;

  private RpcServer(Builder b) throws IOException {
    this.clients = List.copyOf(b.clients);
    this.maxStreamsPerClient = b.maxStreamsPerClient;
    this.shutdownGrace = b.shutdownGrace;
    Map<String, ServedMachine<?>> m = new LinkedHashMap<>();
    for (Exposure<?> e : b.exposed) {
      m.put(e.machine.id(), new ServedMachine<>(e.machine, e.keys, b.stallBound,
          this::streamsChanged));
    }
    this.machines = Map.copyOf(m);
    ServerCredentials credentials;
    if (b.plaintext) {
      credentials = InsecureServerCredentials.create();
    } else {
      TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
          .keyManager(Objects.requireNonNull(b.certChain).toFile(),
              Objects.requireNonNull(b.privateKey).toFile());
      if (b.clientCa != null) {
        tls.trustManager(b.clientCa.toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      credentials = tls.build();
    }
    this.executor = Executors.newCachedThreadPool(
        Thread.ofPlatform().name("stator-rpc-call-", 0).daemon().factory());
    ServerServiceDefinition service = ServerServiceDefinition.builder(Methods.SERVICE)
        .addMethod(Methods.ATTACH, ServerCalls.asyncServerStreamingCall(this::attach))
        .addMethod(Methods.MUTATE, ServerCalls.asyncServerStreamingCall(this::mutate))
        .addMethod(Methods.WHEN_ARGS, ServerCalls.asyncServerStreamingCall(this::whenArgs))
        .addMethod(Methods.MUTATIONS, ServerCalls.asyncBidiStreamingCall(this::mutations))
        .build();
    this.server = Grpc.newServerBuilderForPort(b.port, credentials)
        .executor(executor)
        .maxInboundMessageSize(b.maxMessageBytes)
        .maxInboundMetadataSize(8 * 1024)
        .addService(ServerInterceptors.intercept(service, new Authenticator()))
        .build();
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      throw e;
    }
    for (ServedMachine<?> sm : machines.values()) sm.start();
  }

  /** Starts configuring a server. */
  public static Builder builder() {
    return new Builder();
  }

  /** The port the server listens on (the chosen one if the builder said 0). */
  public int port() {
    return server.getPort();
  }

  /** The number of open Attach streams (all machines, all clients). */
  public int streams() {
    int n = 0;
    for (ServedMachine<?> m : machines.values()) n += m.subscriberCount();
    return n;
  }

  /**
   * Waits until {@link #streams()} is {@code n}; returns false if it is not within
   * {@code timeout}. For tests and shutdown scripts that wait for clients to attach or leave.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitStreams(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (streamsLock) {
      while (streams() != n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        TimeUnit.NANOSECONDS.timedWait(streamsLock, left);
      }
      return true;
    }
  }

  private void streamsChanged() {
    synchronized (streamsLock) {
      streamsLock.notifyAll();
    }
  }

  /**
   * Stops accepting calls, ends every Attach stream with UNAVAILABLE, lets calls under way
   * (a queued mutation waiting for its outcome) finish for the shutdown grace, then cancels the
   * rest, and waits for the server's threads to end. The served machines stay open. Idempotent.
   */
  @Override
  public void close() {
    server.shutdown();
    for (MutationsCall c : mutationCalls) c.serverClosing();
    boolean interrupted = false;
    for (ServedMachine<?> m : machines.values()) {
      try {
        m.stop();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    try {
      if (!server.awaitTermination(shutdownGrace.toNanos(), TimeUnit.NANOSECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      interrupted = true;
    }
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      interrupted = true;
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  /** The threads the server started itself (tests: all ended after close). */
  List<Thread> ownThreads() {
    List<Thread> out = new ArrayList<>();
    for (ServedMachine<?> m : machines.values()) {
      Thread t = m.watcherThread();
      if (t != null) out.add(t);
    }
    return out;
  }

  /** Whether every call thread ended (tests). */
  boolean callsEnded() {
    return executor.isTerminated();
  }

  @Override
  public String toString() {
    return "RpcServer[port " + port() + ", machines " + machines.keySet() + "]";
  }

  // ------------------------------------------------------------------ calls

  private @Nullable ServedMachine<?> find(String id, Client client, StreamObserver<byte[]> out) {
    Status refused = refusal(id, client);
    if (refused != null) {
      out.onError(refused.asRuntimeException());
      return null;
    }
    return machines.get(id);
  }

  /**
   * NOT_FOUND or PERMISSION_DENIED if the client may not use machine {@code id}; null if it may.
   * The same answer for both would hide which ids exist; we say which, since every caller here
   * is authenticated.
   */
  private @Nullable Status refusal(String id, Client client) {
    if (!machines.containsKey(id)) {
      return Status.NOT_FOUND.withDescription("unknown machine '" + id + "'");
    }
    if (client.grant(id) == null) {
      return Status.PERMISSION_DENIED.withDescription("client '" + client.name
          + "' has no grant for machine '" + id + "'");
    }
    return null;
  }

  /** A request's decoder. */
  private interface Decoder<T> {
    T decode(byte[] bytes) throws Wire.DecodeException;
  }

  /** The decoded request, or null after ending the call with INVALID_ARGUMENT. */
  private static <T> @Nullable T decode(byte[] request, Decoder<T> decoder,
      StreamObserver<byte[]> out) {
    try {
      return decoder.decode(request);
    } catch (Wire.DecodeException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return null;
    }
  }

  private void attach(byte[] request, StreamObserver<byte[]> observer) {
    Client client = CLIENT.get();
    Wire.AttachRequest r = decode(request, Wire::decodeAttach, observer);
    if (r == null) return;
    ServedMachine<?> m = find(r.machineId(), client, observer);
    if (m == null) return;
    Schema<?> schema = m.machine.schema();
    if (!r.schemaHash().isEmpty() && !r.schemaHash().equals(schema.hash())) {
      observer.onError(Status.FAILED_PRECONDITION.withDescription("schema mismatch for machine '"
          + m.id + "': the client's schema hash is " + r.schemaHash() + ", the server's ("
          + schema.name() + ") is " + schema.hash()).asRuntimeException());
      return;
    }
    if (client.streams.incrementAndGet() > maxStreamsPerClient) {
      client.streams.decrementAndGet();
      observer.onError(Status.RESOURCE_EXHAUSTED.withDescription("client '" + client.name
          + "' has " + maxStreamsPerClient + " streams open, the most allowed")
          .asRuntimeException());
      return;
    }
    ServerCallStreamObserver<byte[]> out = (ServerCallStreamObserver<byte[]>) observer;
    out.setOnReadyThreshold(4 * 1024);
    m.attach(new ServedMachine.Subscriber(out, client.name, client.streams::decrementAndGet));
  }

  private void mutate(byte[] request, StreamObserver<byte[]> out) {
    Client client = CLIENT.get();
    Wire.MutateRequest r = decode(request, Wire::decodeMutate, out);
    if (r == null) return;
    ServedMachine<?> m = find(r.machineId(), client, out);
    if (m == null) return;
    Result result;
    try {
      result = run(m, r, client, TRACE.get());
    } catch (StatusException e) {
      out.onError(e);
      return;
    }
    if (!result.queued()) {
      out.onNext(Wire.encode(answer(result, 0, clock(m.machine))));
      out.onCompleted();
      return;
    }
    out.onNext(Wire.encode(new Wire.Answer(dev.stator.Status.QUEUED, "", null)));
    whenProcessed(result, (status) -> {
      try {
        if (status != null) {
          out.onError(status.asRuntimeException());
        } else {
          out.onNext(Wire.encode(answer(result, 0, clock(m.machine))));
          out.onCompleted();
        }
      } catch (RuntimeException e) { // the call was cancelled meanwhile
        // nothing to tell: the client went away
      }
    });
  }

  /**
   * Runs one decoded request of a client on its machine: the result, or the status that
   * refuses it (before anything ran, except INTERNAL: a mutation that threw).
   */
  private static Result run(ServedMachine<?> m, Wire.MutateRequest r, Client client,
      @Nullable String trace) throws StatusException {
    try {
      return trace == null ? m.run(r, client)
          : ScopedValue.where(RpcTrace.TRACEPARENT, trace).call(() -> m.run(r, client));
    } catch (MachineClosedException e) {
      throw Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asException();
    } catch (QueueFullException e) {
      throw Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asException();
    } catch (RuntimeException e) {
      throw Status.INTERNAL.withDescription("mutation failed: " + e).asException();
    }
  }

  /**
   * Calls {@code then} once a queued result is processed: with null, or with ABORTED if it
   * never ran (the machine closed first).
   */
  private static void whenProcessed(Result queued, java.util.function.Consumer<@Nullable Status>
      then) {
    queued.future().whenComplete((s, t) -> {
      if (t == null) {
        then.accept(null);
        return;
      }
      Throwable c = t instanceof java.util.concurrent.CompletionException ce
          && ce.getCause() != null ? ce.getCause() : t;
      then.accept(Status.ABORTED.withDescription("the queued mutation did not run: " + c));
    });
  }

  /** The answer to a processed mutation: its status and reason, and the machine's clock. */
  private static Wire.Answer answer(Result r, long id, Wire.@Nullable Clock clock) {
    String reason = r.reason();
    return new Wire.Answer(r.status(), reason == null ? "" : reason, clock, id, 0);
  }

  private static Wire.Clock clock(Machine<?> machine) {
    Snapshot s = machine.snapshot();
    return Wire.Clock.full(s.active(), s.ticks(), s.queueTick());
  }

  private StreamObserver<byte[]> mutations(StreamObserver<byte[]> observer) {
    ServerCallStreamObserver<byte[]> out = (ServerCallStreamObserver<byte[]>) observer;
    MutationsCall call = new MutationsCall(CLIENT.get(), TRACE.get(), out);
    out.disableAutoRequest();
    out.setOnReadyHandler(call::ready);
    out.setOnCancelHandler(call::cancelled);
    if (call.client.mutationStreams.incrementAndGet() > maxStreamsPerClient) {
      call.client.mutationStreams.decrementAndGet();
      call.ended = true;
      out.onError(Status.RESOURCE_EXHAUSTED.withDescription("client '" + call.client.name
          + "' has " + maxStreamsPerClient + " Mutations streams open, the most allowed")
          .asRuntimeException());
      return call;
    }
    call.counted = true;
    mutationCalls.add(call);
    out.request(1);
    return call;
  }

  /**
   * One Mutations stream: batches of mutations of one machine (the first request's), run in
   * order; one AnswerBatch per MutateBatch with the machine's clock after it and the batch's
   * number (the client paces its batches by them), and one more per queued mutation when it is
   * processed.
   *
   * <p>Threads: gRPC calls onNext, onCompleted, ready and cancelled one at a time on the
   * server's executor; a queued mutation's answer is sent from the machine's completion thread,
   * so every write to {@code out} holds this object's monitor. Flow control: the next batch is
   * requested only while the client reads its answers ({@code isReady}), so a client that sends
   * and never reads stops being read, and what is buffered for it is bounded.
   */
  private final class MutationsCall implements StreamObserver<byte[]> {
    final Client client;
    private final @Nullable String trace;
    private final ServerCallStreamObserver<byte[]> out;
    private @Nullable ServedMachine<?> machine; // the stream's, set by its first request
    private boolean wanted; // callback thread: a batch is to be requested when ready
    private long batches; // callback thread: MutateBatches answered
    private int queued; // guarded by this: queued mutations whose answer is not sent yet
    private boolean halfClosed; // guarded by this
    private boolean closing; // guarded by this: the server is closing
    boolean ended; // guarded by this
    boolean counted;

    MutationsCall(Client client, @Nullable String trace, ServerCallStreamObserver<byte[]> out) {
      this.client = client;
      this.trace = trace;
      this.out = out;
    }

    @Override
    public void onNext(byte[] bytes) {
      synchronized (this) {
        if (closing) {
          fail(SHUTTING_DOWN);
          return;
        }
      }
      List<Wire.MutateRequest> batch;
      try {
        batch = Wire.decodeBatch(bytes);
      } catch (Wire.DecodeException e) {
        fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
        return;
      }
      List<Wire.Answer> answers = new ArrayList<>(batch.size());
      for (Wire.MutateRequest r : batch) {
        ServedMachine<?> m = machine;
        if (m == null) {
          Status refused = refusal(r.machineId(), client);
          if (refused != null) {
            fail(refused);
            return;
          }
          m = machines.get(r.machineId());
          machine = m;
        } else if (!m.id.equals(r.machineId())) {
          if (!answers.isEmpty()) send(new Wire.AnswerBatch(answers, clock(m.machine), 0));
          fail(Status.INVALID_ARGUMENT.withDescription("a Mutations stream serves one machine, '"
              + m.id + "'; a request named '" + r.machineId() + "'"));
          return;
        }
        answers.add(runOne(m, r));
      }
      send(new Wire.AnswerBatch(answers, clock(machine.machine), ++batches));
      if (out.isReady()) {
        out.request(1);
      } else {
        wanted = true;
      }
    }

    private Wire.Answer runOne(ServedMachine<?> m, Wire.MutateRequest r) {
      String t = !r.traceparent().isEmpty() && RpcTrace.valid(r.traceparent())
          ? r.traceparent() : trace;
      Result result;
      try {
        result = run(m, r, client, t);
      } catch (StatusException e) {
        Status s = e.getStatus();
        return new Wire.Answer(dev.stator.Status.CANCELED, String.valueOf(s.getDescription()),
            null, r.id(), s.getCode().value());
      }
      if (!result.queued()) return answer(result, r.id(), null);
      synchronized (this) {
        queued++;
      }
      whenProcessed(result, status -> {
        Wire.Answer a = status == null ? answer(result, r.id(), null)
            : new Wire.Answer(dev.stator.Status.CANCELED, String.valueOf(status.getDescription()),
                null, r.id(), status.getCode().value());
        synchronized (this) {
          queued--;
          send(new Wire.AnswerBatch(List.of(a), clock(m.machine), 0));
          if (queued == 0 && closing) fail(SHUTTING_DOWN);
          if (halfClosed && queued == 0) finish();
        }
      });
      return new Wire.Answer(dev.stator.Status.QUEUED, "", null, r.id(), 0);
    }

    private synchronized void send(Wire.AnswerBatch b) {
      if (ended) return;
      try {
        out.onNext(Wire.encode(b));
      } catch (RuntimeException e) { // cancelled meanwhile
        ended = true;
      }
    }

    private synchronized void fail(Status s) {
      if (ended) return;
      ended = true;
      release();
      try {
        out.onError(s.asRuntimeException());
      } catch (RuntimeException e) {
        // cancelled meanwhile
      }
    }

    private void finish() { // holds this
      if (ended) return;
      ended = true;
      release();
      try {
        out.onCompleted();
      } catch (RuntimeException e) {
        // cancelled meanwhile
      }
    }

    private void release() { // holds this
      if (counted) {
        counted = false;
        client.mutationStreams.decrementAndGet();
        mutationCalls.remove(this);
      }
    }

    /**
     * The server is closing: ends the stream with UNAVAILABLE once its queued mutations are
     * answered (within the shutdown grace); batches that come meanwhile do not run.
     */
    synchronized void serverClosing() {
      closing = true;
      if (queued == 0) fail(SHUTTING_DOWN);
    }

    void ready() {
      if (wanted && out.isReady()) {
        wanted = false;
        out.request(1);
      }
    }

    synchronized void cancelled() {
      ended = true;
      release();
    }

    @Override
    public void onError(Throwable t) {
      cancelled();
    }

    @Override
    public synchronized void onCompleted() {
      halfClosed = true;
      if (queued == 0) finish();
    }
  }

  /**
   * {@code Machine.whenArgs} on the server's machine for a client (any grant may wait): one
   * {@code Waited} with the machine's clock when it completes; FAILED_PRECONDITION when the
   * machine closes first. A client that cancels the call (its wait was cancelled, or it went
   * away) or a server that stops cancels the machine's wait, so nothing stays registered.
   */
  private void whenArgs(byte[] request, StreamObserver<byte[]> observer) {
    Client client = CLIENT.get();
    Wire.WhenArgsRequest r = decode(request, Wire::decodeWhenArgs, observer);
    if (r == null) return;
    ServedMachine<?> m = find(r.machineId(), client, observer);
    if (m == null) return;
    dev.stator.Wait w;
    try {
      w = m.whenArgs(r);
    } catch (StatusException e) {
      observer.onError(e);
      return;
    }
    ServerCallStreamObserver<byte[]> out = (ServerCallStreamObserver<byte[]>) observer;
    out.setOnCancelHandler(w::cancel);
    out.onNext(Wire.encode(new Wire.Waited(true, null))); // in place: the client returns
    w.future().whenComplete((v, t) -> {
      try {
        if (t == null) {
          out.onNext(Wire.encode(new Wire.Waited(false, clock(m.machine))));
          out.onCompleted();
        } else if (!(t instanceof java.util.concurrent.CancellationException)) {
          Throwable c = t instanceof java.util.concurrent.CompletionException ce
              && ce.getCause() != null ? ce.getCause() : t;
          out.onError((c instanceof MachineClosedException ? Status.FAILED_PRECONDITION
              : Status.INTERNAL).withDescription(c.getMessage()).asRuntimeException());
        }
      } catch (RuntimeException e) { // the call was cancelled meanwhile
        // nothing to tell: the client went away
      }
    });
  }


  private static final Context.Key<String> TRACE = Context.key("stator-rpc-traceparent");
  private static final Status SHUTTING_DOWN = Status.UNAVAILABLE.withDescription(
      "the server is shutting down");

  /** Resolves the bearer token to a client, or closes the call with UNAUTHENTICATED. */
  private final class Authenticator implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      String auth = headers.get(AUTHORIZATION);
      Client client = null;
      String problem;
      if (auth == null) {
        problem = "missing bearer token (metadata 'authorization: Bearer <token>')";
      } else if (!auth.startsWith("Bearer ")) {
        problem = "authorization metadata is not a bearer token";
      } else {
        byte[] digest = sha256(auth.substring(7));
        for (Client c : clients) {
          if (MessageDigest.isEqual(digest, c.tokenDigest) && client == null) client = c;
        }
        problem = "invalid bearer token";
      }
      if (client == null) {
        call.close(Status.UNAUTHENTICATED.withDescription(problem), new Metadata());
        return new ServerCall.Listener<>() {};
      }
      String trace = headers.get(RpcTrace.HEADER);
      Context ctx = Context.current().withValue(CLIENT, client);
      if (trace != null && RpcTrace.valid(trace)) ctx = ctx.withValue(TRACE, trace);
      return Contexts.interceptCall(ctx, call, headers, next);
    }
  }

  static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  // ------------------------------------------------------------------ clients

  /** A configured client: a name, its token's digest, its grants. */
  static final class Client {
    final String name;
    final byte[] tokenDigest;
    final Map<String, Grant> grants;
    final AtomicInteger streams = new AtomicInteger(); // Attach streams open
    final AtomicInteger mutationStreams = new AtomicInteger(); // Mutations streams open

    Client(String name, byte[] tokenDigest, Map<String, Grant> grants) {
      this.name = name;
      this.tokenDigest = tokenDigest;
      this.grants = grants;
    }

    String name() {
      return name;
    }

    @Nullable Grant grant(String machineId) {
      return grants.get(machineId);
    }

    /** The states this client may call on the machine, as a mask; 0 if none. */
    long mutableMask(String machineId, Schema<?> schema) {
      Grant g = grants.get(machineId);
      if (g == null || !g.mutate()) return 0;
      List<String> names = schema.names();
      if (g.states() == null) return -1L >>> (64 - names.size());
      long m = 0;
      for (String s : g.states()) {
        int i = names.indexOf(s);
        if (i >= 0) m |= 1L << i;
      }
      return m;
    }
  }

  private record Exposure<S>(Machine<S> machine, List<Key<?>> keys) {}

  // ------------------------------------------------------------------ builder

  /**
   * Configures a server; options are checked when set. Not thread-safe; used by one thread.
   */
  public static final class Builder {
    private int port;
    private boolean plaintext;
    private @Nullable Path certChain;
    private @Nullable Path privateKey;
    private @Nullable Path clientCa;
    private final List<Exposure<?>> exposed = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();
    private int maxMessageBytes = 64 * 1024;
    private int maxStreamsPerClient = 64;
    private Duration stallBound = Duration.ofSeconds(10);
    private Duration shutdownGrace = Duration.ofSeconds(5);

    private Builder() {}

    /** How long {@link RpcServer#close()} lets calls under way finish (default 5 s). */
    public Builder shutdownGrace(Duration grace) {
      Objects.requireNonNull(grace, "grace");
      if (grace.isNegative()) throw new IllegalArgumentException("negative grace: " + grace);
      this.shutdownGrace = grace;
      return this;
    }

    /** The TCP port; 0 (the default) picks a free one, see {@link RpcServer#port()}. */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      this.port = port;
      return this;
    }

    /** Serves without TLS: only for loopback and tests; must be asked for. */
    public Builder plaintext() {
      this.plaintext = true;
      return this;
    }

    /** Serves with TLS: the server's certificate chain and private key, PEM files. */
    public Builder tls(Path certChainPem, Path privateKeyPem) {
      this.certChain = readable(certChainPem, "certificate chain");
      this.privateKey = readable(privateKeyPem, "private key");
      return this;
    }

    /** Requires client certificates signed by these CA certificates (mTLS); PEM. */
    public Builder clientCa(Path caPem) {
      this.clientCa = readable(caPem, "client CA");
      return this;
    }

    /**
     * Exposes {@code machine} under its id. {@code keys} are the argument keys clients may send
     * (each must have a codec); an argument with any other key is refused.
     *
     * @throws IllegalArgumentException if a key has no codec, two keys share a name, or a
     *     machine with this id is already exposed
     */
    public Builder expose(Machine<?> machine, Key<?>... keys) {
      Objects.requireNonNull(machine, "machine");
      for (Exposure<?> e : exposed) {
        if (e.machine.id().equals(machine.id())) {
          throw new IllegalArgumentException("machine id '" + machine.id() + "' exposed twice");
        }
      }
      for (Key<?> k : keys) {
        if (Objects.requireNonNull(k, "key").codec() == null) {
          throw new IllegalArgumentException("key '" + k.name() + "' has no codec; only keys "
              + "with a codec can cross the wire");
        }
      }
      exposed.add(new Exposure<>(machine, List.of(keys)));
      return this;
    }

    /**
     * Adds a client: its name (for messages), its bearer token, and what it may do.
     *
     * @throws IllegalArgumentException if the token is shorter than 16 characters, or the name
     *     or the token is already used
     */
    public Builder client(String name, String token, Grant... grants) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(token, "token");
      if (token.length() < 16) {
        throw new IllegalArgumentException("token of client '" + name
            + "' is too short: " + token.length() + " characters, at least 16 are needed");
      }
      byte[] digest = sha256(token);
      Map<String, Grant> g = new LinkedHashMap<>();
      for (Grant x : grants) {
        if (g.put(Objects.requireNonNull(x, "grant").machineId(), x) != null) {
          throw new IllegalArgumentException("client '" + name + "' has two grants for machine '"
              + x.machineId() + "'");
        }
      }
      for (Client c : clients) {
        if (c.name.equals(name)) throw new IllegalArgumentException("client '" + name + "' twice");
        if (MessageDigest.isEqual(c.tokenDigest, digest)) {
          throw new IllegalArgumentException("client '" + name + "' reuses the token of '"
              + c.name + "'");
        }
      }
      clients.add(new Client(name, digest, Map.copyOf(g)));
      return this;
    }

    /** The largest message accepted, in bytes (default 64 KiB); larger ones RESOURCE_EXHAUSTED. */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 1024) throw new IllegalArgumentException("message limit below 1024: " + bytes);
      this.maxMessageBytes = bytes;
      return this;
    }

    /** The most Attach streams one client may hold open at once (default 64). */
    public Builder maxStreamsPerClient(int streams) {
      if (streams <= 0) throw new IllegalArgumentException("streams must be positive: " + streams);
      this.maxStreamsPerClient = streams;
      return this;
    }

    /**
     * How long a mirror may leave an update unread before it is disconnected (default 10 s);
     * within it a slow mirror gets one coalesced update when it reads again. Also the bound on
     * how often the server looks.
     */
    public Builder stallBound(Duration bound) {
      Objects.requireNonNull(bound, "bound");
      if (bound.toMillis() < 10) {
        throw new IllegalArgumentException("stall bound below 10 ms: " + bound);
      }
      this.stallBound = bound;
      return this;
    }

    /**
     * Starts the server.
     *
     * @throws IllegalStateException if neither TLS nor plaintext was chosen, or both, or no
     *     machine or no client is configured, or a grant names a machine not exposed
     * @throws UncheckedIOException if the port cannot be bound or the PEM files cannot be read
     */
    public RpcServer start() {
      if (plaintext == (certChain != null)) {
        throw new IllegalStateException(plaintext ? "choose TLS or plaintext, not both"
            : "choose tls(cert, key) or, for loopback tests, plaintext()");
      }
      if (clientCa != null && plaintext) throw new IllegalStateException("mTLS needs TLS");
      if (exposed.isEmpty()) throw new IllegalStateException("no machine exposed");
      if (clients.isEmpty()) throw new IllegalStateException("no client configured");
      for (Client c : clients) {
        for (String id : c.grants.keySet()) {
          if (exposed.stream().noneMatch(e -> e.machine.id().equals(id))) {
            throw new IllegalStateException("client '" + c.name + "' has a grant for machine '"
                + id + "', which is not exposed");
          }
        }
      }
      try {
        return new RpcServer(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the server on port " + port, e);
      }
    }

    private static Path readable(Path p, String what) {
      Objects.requireNonNull(p, what);
      if (!java.nio.file.Files.isReadable(p)) {
        throw new IllegalArgumentException(what + " file is not readable: " + p);
      }
      return p;
    }
  }
}
