package dev.stator.rpc;

import dev.stator.Schema;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One connection (a gRPC channel) to an {@link RpcServer}, from which remote machines are
 * attached.
 *
 * {@snippet :
 * try (RpcClient client = RpcClient.builder()
 *     .target("door.example", 7443)
 *     .tls(Path.of("ca.pem"))                 // or .plaintext() on loopback
 *     .token(operatorToken)
 *     .build()) {
 *   RemoteMachine<Door> remote = client.attach("door-1", Door.SCHEMA);
 *   remote.connection().when(Connection.Connected).await(Duration.ofSeconds(5));
 *   Machine<Door> door = remote.machine();      // code written for Machine<Door> works on it
 *   door.add(Door.Open);
 * }
 * }
 *
 * <p>Thread safety: safe for use by any thread. {@link #close()} closes every remote machine
 * attached from this client and waits for the channel's threads to end.
 */
public final class RpcClient implements AutoCloseable {
  /* Design: one ManagedChannel per client. Call callbacks run directly on the transport's
   * thread: each one decodes a message, replaces the mirror's state, completes futures (whose
   * user dependents hop to another thread, core's rule) or makes one transition of the local
   * connection machine, which has no handlers; none blocks. Blocking work of the channel (name
   * resolution) goes to the client's own virtual-thread executor, shut down in close(), so no
   * pool thread outlives the client. Each RemoteMachine has its own Attach stream and reconnect
   * loop on that channel. */

  final ManagedChannel channel;
  final String token;
  final Duration callTimeout;
  final Duration backoffMin;
  final Duration backoffMax;
  final Supplier<@Nullable String> traceparent;
  final int holdLimit;
  final int window;
  final boolean pipelined;
  private final ExecutorService executor;
  private final List<RemoteMachine<?>> attached = new CopyOnWriteArrayList<>();

  private RpcClient(Builder b) {
    this.token = Objects.requireNonNull(b.token);
    this.callTimeout = b.callTimeout;
    this.backoffMin = b.backoffMin;
    this.backoffMax = b.backoffMax;
    this.traceparent = b.traceparent;
    this.holdLimit = b.holdLimit;
    this.window = b.window;
    this.pipelined = b.pipelined;
    this.executor = Executors.newThreadPerTaskExecutor(
        Thread.ofVirtual().name("stator-rpc-client-", 0).factory());
    ChannelCredentials credentials;
    if (b.plaintext) {
      credentials = InsecureChannelCredentials.create();
    } else {
      try {
        TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder()
            .trustManager(Objects.requireNonNull(b.ca).toFile());
        if (b.certChain != null) {
          tls.keyManager(b.certChain.toFile(), Objects.requireNonNull(b.privateKey).toFile());
        }
        credentials = tls.build();
      } catch (IOException e) {
        executor.shutdownNow();
        throw new UncheckedIOException("cannot read the TLS files", e);
      }
    }
    ManagedChannelBuilder<?> cb = Grpc.newChannelBuilderForAddress(b.host, b.port, credentials)
        .directExecutor() // our callbacks are short and never block (see the design note)
        .offloadExecutor(executor)
        .maxInboundMessageSize(b.maxMessageBytes)
        .disableRetry();
    if (b.authority != null) cb.overrideAuthority(b.authority);
    this.channel = cb.build();
  }

  /** Starts configuring a client. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Attaches the machine {@code id} of the server, mirrored with {@code schema}: returns at once,
   * with the connection {@code Connecting}; see {@link RemoteMachine#connection()}. The server
   * refuses a schema whose hash differs from its machine's ({@code ErrRefused}, with both
   * hashes in {@link RemoteMachine#lastFailure()}).
   */
  public <S> RemoteMachine<S> attach(String id, Schema<S> schema) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(schema, "schema");
    if (channel.isShutdown()) throw new IllegalStateException("client is closed");
    RemoteMachine<S> r = new RemoteMachine<>(this, id, schema);
    attached.add(r);
    r.start();
    return r;
  }

  /**
   * Attaches the machine {@code id} without a schema of its own: asks the server for its
   * schema as data (the handshake's first message), builds it with {@link Schema#fromData}
   * (states named by strings) and attaches with it. For tools (inspectors, consoles) that do
   * not link the machine's enum.
   *
   * @throws TimeoutException if the server did not answer within {@code timeout}
   * @throws IllegalStateException naming the gRPC status if the server refused (token, grant,
   *     unknown machine), or if its schema data does not hash to the hash it sent
   */
  public RemoteMachine<String> attach(String id, Duration timeout)
      throws InterruptedException, TimeoutException {
    Objects.requireNonNull(id, "id");
    Wire.Hello hello = RemoteMachine.hello(this, id, timeout);
    Schema<String> schema = Schema.fromData(hello.schema());
    if (!schema.hash().equals(hello.schemaHash())) {
      throw new IllegalStateException("the schema data of machine '" + id + "' hashes to "
          + schema.hash() + ", not to the server's " + hello.schemaHash());
    }
    return attach(id, schema);
  }

  void detached(RemoteMachine<?> r) {
    attached.remove(r);
  }

  /** Closes every remote machine of this client, then the channel; waits up to 5 s. */
  @Override
  public void close() {
    for (RemoteMachine<?> r : attached) r.close();
    channel.shutdown();
    boolean interrupted = false;
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
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

  /** Configures a client; options are checked when set. Not thread-safe. */
  public static final class Builder {
    private String host = "localhost";
    private int port = -1;
    private boolean plaintext;
    private @Nullable Path ca;
    private @Nullable Path certChain;
    private @Nullable Path privateKey;
    private @Nullable String authority;
    private @Nullable String token;
    private Duration callTimeout = Duration.ofSeconds(5);
    private Duration backoffMin = Duration.ofMillis(50);
    private Duration backoffMax = Duration.ofSeconds(5);
    private int maxMessageBytes = 4 * 1024 * 1024;
    private Supplier<@Nullable String> traceparent = () -> null;
    private int holdLimit;
    private int window = 1024;
    private boolean pipelined;

    private Builder() {}

    /**
     * Pipelines mutations: each returns {@code QUEUED} as soon as it is handed to the
     * connection, without waiting for the server, and its ticket ({@code Result.future()},
     * {@code whenQueue}) completes with the server's outcome ({@code EXECUTED} or
     * {@code CANCELED} with the reason), or fails with {@link RemoteOutcomeUnknownException} if
     * the connection drops first. Mutations keep the order in which they were made on one
     * thread. At most {@link #window} are in flight; a caller beyond it waits for a slot, up to
     * the call timeout, then is {@code CANCELED} (not sent). Default: off, a mutation waits for
     * its first answer.
     */
    public Builder pipelined() {
      this.pipelined = true;
      return this;
    }

    /**
     * The most mutations of one remote machine in flight at once, from being sent to their final
     * answer (default 1024; a {@code QUEUED} one counts until its outcome comes).
     */
    public Builder window(int mutations) {
      if (mutations <= 0) {
        throw new IllegalArgumentException("window must be positive: " + mutations);
      }
      this.window = mutations;
      return this;
    }

    /**
     * Holds up to {@code limit} mutations made while a remote machine is not connected, instead
     * of refusing them: each returns {@code QUEUED} at once, and is sent, in the order made, once
     * the machine is connected again (its ticket then completes with the server's outcome; it
     * fails if the machine is closed first). Beyond the limit a mutation is {@code CANCELED}.
     * Default 0: mutations while disconnected are {@code CANCELED} at once.
     */
    public Builder holdWhileDisconnected(int limit) {
      if (limit < 0) {
        throw new IllegalArgumentException("hold limit must not be negative: " + limit);
      }
      this.holdLimit = limit;
      return this;
    }

    /** The server's host and port. */
    public Builder target(String host, int port) {
      Objects.requireNonNull(host, "host");
      if (port <= 0 || port > 65_535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      this.host = host;
      this.port = port;
      return this;
    }

    /** Connects without TLS: only for loopback and tests; must be asked for. */
    public Builder plaintext() {
      this.plaintext = true;
      return this;
    }

    /** Connects with TLS, trusting servers signed by these CA certificates (PEM). */
    public Builder tls(Path caPem) {
      this.ca = readable(caPem, "CA");
      return this;
    }

    /** Presents this client certificate (mTLS): certificate chain and private key, PEM. */
    public Builder clientCertificate(Path certChainPem, Path privateKeyPem) {
      this.certChain = readable(certChainPem, "client certificate");
      this.privateKey = readable(privateKeyPem, "client private key");
      return this;
    }

    /** The name checked against the server's certificate, if not the host (tests). */
    public Builder authority(String authority) {
      this.authority = Objects.requireNonNull(authority, "authority");
      return this;
    }

    /** The bearer token sent with every call. */
    public Builder token(String token) {
      Objects.requireNonNull(token, "token");
      if (token.isBlank()) throw new IllegalArgumentException("token must not be blank");
      this.token = token;
      return this;
    }

    /**
     * How long a mutation waits for its first answer (default 5 s); past it the call is
     * cancelled and {@link RemoteOutcomeUnknownException} thrown.
     */
    public Builder callTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("call timeout must be positive: " + timeout);
      }
      this.callTimeout = timeout;
      return this;
    }

    /** Reconnect backoff: the first delay and the largest, doubling (default 50 ms, 5 s). */
    public Builder backoff(Duration min, Duration max) {
      Objects.requireNonNull(min, "min");
      Objects.requireNonNull(max, "max");
      if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
        throw new IllegalArgumentException("backoff must be 0 < min <= max: " + min + ", " + max);
      }
      this.backoffMin = min;
      this.backoffMax = max;
      return this;
    }

    /** The largest message accepted from the server (default 4 MiB). */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 1024) throw new IllegalArgumentException("message limit below 1024: " + bytes);
      this.maxMessageBytes = bytes;
      return this;
    }

    /**
     * Where the W3C {@code traceparent} of the caller's current span comes from, read on the
     * calling thread at each mutation (null: none). The server binds it to
     * {@link RpcTrace#TRACEPARENT}.
     */
    public Builder traceparent(Supplier<@Nullable String> source) {
      this.traceparent = Objects.requireNonNull(source, "source");
      return this;
    }

    /**
     * Builds the client; connects lazily, when a machine is attached.
     *
     * @throws IllegalStateException if the target, the token, or the choice of TLS or plaintext
     *     is missing
     */
    public RpcClient build() {
      if (port < 0) throw new IllegalStateException("no target(host, port)");
      if (token == null) throw new IllegalStateException("no token");
      if (plaintext == (ca != null)) {
        throw new IllegalStateException(plaintext ? "choose TLS or plaintext, not both"
            : "choose tls(ca) or, for loopback tests, plaintext()");
      }
      return new RpcClient(this);
    }

    private static Path readable(Path p, String what) {
      Objects.requireNonNull(p, what);
      if (!Files.isReadable(p)) {
        throw new IllegalArgumentException(what + " file is not readable: " + p);
      }
      return p;
    }
  }
}
