package dev.stator.rpc;

import dev.stator.Args;
import dev.stator.Key;
import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.spi.Mirror;
import dev.stator.spi.MirrorLink;
import dev.stator.spi.Mirrors;
import dev.stator.spi.RemoteCall;
import dev.stator.spi.RemoteReply;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A machine of a server, mirrored here: {@link #machine()} is a {@code Machine<S>} whose reads
 * and waits are local and whose mutations go to the server; {@link #connection()} shows the
 * connection as states.
 *
 * <h2>What is local and what is remote</h2>
 * <ul>
 *   <li>Reads ({@code is}, {@code active}, {@code tick}, {@code snapshot}) and waits
 *       ({@code when*}) run on the mirror, fed by the server's pushed clocks (batched: one update
 *       may carry several transitions; a state that came and went still advances its clock).
 *       A mutation's answer carries the server's state right after it, so a caller reads its own
 *       writes.
 *   <li>Mutations go to the server with their arguments encoded by their keys' codecs (an
 *       argument whose key has no codec is an {@link IllegalArgumentException} at the call). The
 *       answer is the server's: {@code EXECUTED}; {@code CANCELED} with the server's reason, or
 *       with "refused by the server" (no permission, unknown key...), or "not connected" (never
 *       sent); {@code QUEUED} with a ticket completed by the remote outcome. A call whose answer
 *       does not come within the client's call timeout, or whose connection drops, throws
 *       {@link RemoteOutcomeUnknownException}: it may have run.
 *   <li>{@code close()} on the machine (or on this) detaches; it does not close the server's
 *       machine. When the server's machine closes, the mirror closes.
 * </ul>
 *
 * <h2>Connection</h2>
 * Attaching is retried with exponential backoff (with jitter) after network failures and
 * after the server disconnects a mirror that fell behind; every (re)connect resynchronises the
 * mirror in full before {@code Connected} is added, so waits evaluated after it see the fresh
 * state. Refusals (token, grant, unknown machine, schema) are final: {@code ErrRefused}.
 *
 * @param <S> the type that names a state
 */
public final class RemoteMachine<S> implements AutoCloseable {
  /* Design.
   *
   * Threads: one virtual thread per remote machine runs the attach loop (attach, read the
   * stream until it ends, back off, again); gRPC callbacks run on the client's executor.
   * The stream is read with manual flow control (request(1) after each update is applied), so
   * a mirror that cannot keep up pushes back on the server, which coalesces (ServedMachine).
   * Stream state: `streamTicks` is the last full clock of this stream (deltas apply to it); the
   * mirror takes a stream update through advance() (never back), except the first clock of a
   * stream, which resyncs (a restarted server may have smaller clocks).
   * Mutations: all on one MutationStream (opened by the first mutation, and again after one
   * ended; cancelled on close), see its design; a synchronous caller waits for its first answer
   * for callTimeout, a pipelined one gets QUEUED with the final answer's future at once. */

  private final RpcClient client;
  private final String id;
  private final Schema<S> schema;
  private final Mirror<S> mirror;
  private final Machine<Connection> connection;
  private volatile @Nullable Thread loop;
  private volatile @Nullable ClientCall<byte[], byte[]> stream;
  private volatile boolean closed;
  private volatile @Nullable String lastFailure;
  private volatile long lagMicros = -1; // of the last update; -1 before any
  private final java.util.concurrent.atomic.AtomicLong maxLagMicros =
      new java.util.concurrent.atomic.AtomicLong(-1);
  private final Link link = new Link();
  private final Object mutationsLock = new Object();
  private volatile @Nullable MutationStream mutations; // the open one; replaced when it ends
  /** Mutations held while disconnected (RpcClient.Builder.holdWhileDisconnected); FIFO. */
  private final java.util.ArrayDeque<Held> held = new java.util.ArrayDeque<>();
  private volatile @Nullable Thread flusher;
  private boolean flushing; // guarded by held: a flusher runs and will look at `held` again

  /** A mutation held until connected, and the future of its final answer. */
  private record Held(Wire.MutateRequest request, CompletableFuture<RemoteReply> outcome) {}

  RemoteMachine(RpcClient client, String id, Schema<S> schema) {
    this.client = client;
    this.id = id;
    this.schema = schema;
    this.connection = Machine.of(Connection.SCHEMA).id(id + "/connection").build();
    connection.add(Connection.Disconnected);
    this.mirror = Mirrors.create(schema, id, link);
  }

  void start() {
    loop = Thread.ofVirtual().name("stator-rpc-attach-" + id).start(this::attachLoop);
  }

  /** The mirror: a {@code Machine<S>} (see the class comment for what is local). */
  public Machine<S> machine() {
    return mirror.machine();
  }

  /** The connection's states; a local machine to read and wait on (do not mutate it). */
  public Machine<Connection> connection() {
    return connection;
  }

  /** The machine's id on the server. */
  public String id() {
    return id;
  }

  /** Why the last attempt failed, or why the server refused; null if none failed. */
  public @Nullable String lastFailure() {
    return lastFailure;
  }

  /**
   * The lag of the mirror at the last update: from the server taking the snapshot to the mirror
   * applying it, by the two hosts' wall clocks (exact on one host, as good as their
   * synchronisation otherwise); null before the first update. The bound on it is the server's
   * {@link RpcServer.Builder#stallBound}: a mirror that lags further is disconnected.
   */
  public java.time.@Nullable Duration lag() {
    long l = lagMicros;
    return l < 0 ? null : java.time.Duration.ofNanos(l * 1_000);
  }

  /** The largest {@link #lag()} seen since attached; null before the first update. */
  public java.time.@Nullable Duration maxLag() {
    long l = maxLagMicros.get();
    return l < 0 ? null : java.time.Duration.ofNanos(l * 1_000);
  }

  /** The attach loop's thread (tests: it ends when this closes). */
  @Nullable Thread loopThread() {
    return loop;
  }

  /** Detaches: closes the mirror (not the server's machine), the stream and the loop. */
  @Override
  public void close() {
    mirror.machine().close(); // calls Link.close()
  }

  @Override
  public String toString() {
    return "RemoteMachine[" + id + " " + connection.activeNames() + " "
        + mirror.machine().activeNames() + "]";
  }

  // ------------------------------------------------------------------ attach loop

  /** How one attempt ended. */
  private record Ending(Status status, boolean connected, @Nullable String remoteClosed) {}

  private void attachLoop() {
    long backoff = client.backoffMin.toNanos();
    try {
      while (!closed) {
        connection.add(Connection.Connecting);
        Ending e = attachOnce();
        if (closed) break;
        if (e.remoteClosed != null) {
          lastFailure = e.remoteClosed;
          connection.add(Connection.Disconnected);
          mirror.remoteClosed(e.remoteClosed);
          break;
        }
        lastFailure = e.status.getCode() + ": " + e.status.getDescription();
        if (refusal(e.status.getCode())) {
          connection.add(List.of(Connection.Disconnected, Connection.ErrRefused), Args.NONE);
          failHeld(new IllegalStateException("remote machine " + id + " refused: " + lastFailure
              + "; held mutations were not sent"));
          break;
        }
        connection.add(List.of(Connection.Disconnected, Connection.ErrNetwork), Args.NONE);
        if (e.connected) backoff = client.backoffMin.toNanos();
        long jittered = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
        TimeUnit.NANOSECONDS.sleep(jittered);
        backoff = Math.min(backoff * 2, client.backoffMax.toNanos());
      }
    } catch (InterruptedException e) {
      // closed
    } finally {
      connection.add(Connection.Disconnected);
    }
  }

  /** Codes that retrying cannot fix. */
  static boolean refusal(Status.Code code) {
    return switch (code) {
      case UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT,
          UNIMPLEMENTED -> true;
      default -> false;
    };
  }

  private Ending attachOnce() throws InterruptedException {
    CompletableFuture<Ending> end = new CompletableFuture<>();
    ClientCall<byte[], byte[]> call = client.channel.newCall(Methods.ATTACH, CallOptions.DEFAULT);
    stream = call;
    if (closed) { // close() may have looked for the stream before it was set
      stream = null;
      return new Ending(Status.CANCELLED.withDescription("closed"), false, null);
    }
    call.start(new ClientCall.Listener<>() {
      private int seen; // updates received on this stream; callbacks are serialized
      private long @Nullable [] streamTicks;
      private boolean connected;
      private @Nullable String remoteClosed;

      @Override
      public void onMessage(byte[] bytes) {
        try {
          Wire.Update u = Wire.decodeUpdate(bytes);
          seen++;
          if (seen == 1) {
            Wire.Hello h = u.hello();
            if (h == null) throw new Wire.DecodeException("the stream did not start with Hello");
            if (!h.schemaHash().equals(schema.hash())) {
              throw new Wire.DecodeException("schema mismatch for machine '" + id + "': the "
                  + "client's schema hash is " + schema.hash() + ", the server's is "
                  + h.schemaHash());
            }
          } else if (u.clock() != null) {
            Wire.Clock c = u.clock();
            if (u.takenAtMicros() > 0) {
              long lag = Math.max(0, ServedMachine.nowMicros() - u.takenAtMicros());
              lagMicros = lag;
              maxLagMicros.accumulateAndGet(lag, Math::max);
            }
            long[] ticks = c.applyTo(streamTicks);
            streamTicks = ticks;
            if (!connected) {
              mirror.resync(c.active(), ticks, c.queueTick()); // in full, before Connected
              connected = true;
              connection.add(Connection.Connected);
              flushHeld();
            } else {
              mirror.advance(c.active(), ticks, c.queueTick());
            }
          } else if (u.closed() != null) {
            remoteClosed = u.closed();
          } else {
            throw new Wire.DecodeException("a second Hello");
          }
          call.request(1);
        } catch (Wire.DecodeException | IllegalArgumentException e) {
          call.cancel("bad update from the server: " + e.getMessage(), e);
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        Status s = status;
        if (status.getCode() == Status.Code.CANCELLED && status.getCause() != null
            && !closed) {
          s = Status.FAILED_PRECONDITION.withDescription(status.getDescription());
        }
        end.complete(new Ending(s, connected, remoteClosed));
      }
    }, headers());
    call.sendMessage(Wire.encode(new Wire.AttachRequest(id, schema.hash())));
    call.halfClose();
    call.request(1);
    try {
      return end.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      call.cancel("remote machine closed", null);
      throw e;
    } finally {
      stream = null;
    }
  }

  /**
   * Sends the held mutations, in order, on a virtual thread (never on the transport's thread);
   * calls made meanwhile are held behind them, so the order of calls is kept.
   */
  private void flushHeld() {
    if (client.holdLimit == 0) return;
    synchronized (held) {
      if (held.isEmpty() || flushing) return;
      flushing = true;
      flusher = Thread.ofVirtual().name("stator-rpc-flush-" + id).start(() -> {
        while (true) {
          Held h;
          synchronized (held) {
            h = held.peek();
            if (h == null || closed || !connection.is(Connection.Connected)) {
              flushing = false; // a later Connected starts another flusher
              return;
            }
          }
          try {
            RemoteReply r = link.sendNow(h.request);
            CompletableFuture<RemoteReply> o = r.outcome();
            if (o == null) {
              h.outcome.complete(r);
            } else {
              o.whenComplete((v, t) -> {
                if (t != null) {
                  h.outcome.completeExceptionally(t);
                } else {
                  h.outcome.complete(v);
                }
              });
            }
          } catch (RuntimeException e) {
            h.outcome.completeExceptionally(e);
          }
          synchronized (held) {
            held.poll();
          }
        }
      });
    }
  }

  /** Fails every held mutation (closed, or refused for good). */
  private void failHeld(RuntimeException e) {
    List<Held> dropped;
    synchronized (held) {
      dropped = new ArrayList<>(held);
      held.clear();
    }
    for (Held h : dropped) h.outcome.completeExceptionally(e);
  }

  /** The flusher of held mutations, if one ran (tests). */
  @Nullable Thread flusherThread() {
    return flusher;
  }

  /** One handshake without a schema: the server's Hello (its schema as data, its hash). */
  static Wire.Hello hello(RpcClient client, String id, java.time.Duration timeout)
      throws InterruptedException, TimeoutException {
    CompletableFuture<Wire.Hello> hello = new CompletableFuture<>();
    ClientCall<byte[], byte[]> call = client.channel.newCall(Methods.ATTACH, CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] bytes) {
        try {
          Wire.Update u = Wire.decodeUpdate(bytes);
          if (u.hello() == null) {
            throw new Wire.DecodeException("the stream did not start with Hello");
          }
          hello.complete(u.hello());
        } catch (Wire.DecodeException e) {
          hello.completeExceptionally(new IllegalStateException("bad handshake from the server: "
              + e.getMessage()));
        }
        call.cancel("schema received", null);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        hello.completeExceptionally(new IllegalStateException("machine '" + id
            + "' could not be attached: " + status.getCode() + ": " + status.getDescription()));
      }
    }, headers(client, true));
    call.sendMessage(Wire.encode(new Wire.AttachRequest(id, "")));
    call.halfClose();
    call.request(1);
    try {
      return hello.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw (RuntimeException) e.getCause();
    } finally {
      call.cancel("done", null);
    }
  }

  private Metadata headers() {
    return headers(client, true);
  }

  /** The token, and the caller's trace context if {@code trace} and there is one. */
  private static Metadata headers(RpcClient client, boolean trace) {
    Metadata h = new Metadata();
    h.put(RpcServer.AUTHORIZATION, "Bearer " + client.token);
    String t = trace ? client.traceparent.get() : null;
    if (t != null && RpcTrace.valid(t)) h.put(RpcTrace.HEADER, t);
    return h;
  }

  // ------------------------------------------------------------------ mutations

  /** The open Mutations stream, opened if there is none or the last one ended. */
  private MutationStream mutations() {
    MutationStream m = mutations;
    if (m != null && !m.ended()) return m;
    synchronized (mutationsLock) {
      m = mutations;
      if (m == null || m.ended()) {
        m = new MutationStream(client, id, headers(client, false), client.window, this::advance);
        mutations = m;
        if (closed) m.cancel("remote machine closed");
      }
      return m;
    }
  }

  private void advance(Wire.Clock c) {
    mirror.advance(c.active(), c.ticks(), c.queueTick());
  }

  /** The mirror's link: sends mutations; closes the remote machine's stream and loop. */
  private final class Link implements MirrorLink {
    @Override
    public RemoteReply send(RemoteCall c) {
      Wire.MutateRequest request = encode(c); // before anything: a codec error is the caller's
      if (client.holdLimit > 0) {
        synchronized (held) {
          if (!held.isEmpty() || !connection.is(Connection.Connected)) {
            if (held.size() >= client.holdLimit) {
              return RemoteReply.canceled("remote machine " + id + " is not connected and "
                  + client.holdLimit + " mutations are already held for it");
            }
            CompletableFuture<RemoteReply> outcome = new CompletableFuture<>();
            held.add(new Held(request, outcome));
            return RemoteReply.queued(outcome); // sent, in order, once connected
          }
        }
      }
      if (!connection.is(Connection.Connected)) {
        String f = lastFailure;
        return RemoteReply.canceled("remote machine " + id + " is not connected "
            + connection.activeNames() + (f != null ? "; last failure: " + f : ""));
      }
      return sendNow(request);
    }

    /**
     * Sends one mutation on the current connection's Mutations stream and waits for its first
     * answer, or, pipelined, returns QUEUED with its final answer's future at once.
     */
    RemoteReply sendNow(Wire.MutateRequest request) {
      long timeout = client.callTimeout.toNanos();
      MutationStream.Pending p;
      try {
        p = mutations().submit(request, timeout);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return RemoteReply.canceled("interrupted while waiting to send a mutation of " + id
            + "; not sent");
      }
      if (p == null) {
        return RemoteReply.canceled(client.window + " mutations of " + id + " are in flight, "
            + "the client's window, and none was answered within " + client.callTimeout
            + "; not sent");
      }
      if (client.pipelined) return RemoteReply.queued(finalAnswer(p));
      Wire.Answer a;
      try {
        a = p.first.get(timeout, TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        mutations.abandon(p);
        throw new RemoteOutcomeUnknownException("no answer from the server for a mutation of "
            + id + " within " + client.callTimeout + "; it may have run", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        mutations.abandon(p);
        throw new RemoteOutcomeUnknownException("interrupted while waiting for the answer to a "
            + "mutation of " + id + "; it may have run", e);
      } catch (ExecutionException e) {
        return lost(e.getCause());
      }
      return a.status() == dev.stator.Status.QUEUED ? RemoteReply.queued(p.outcome)
          : MutationStream.reply(a);
    }

    /** The final answer of a pending mutation, whichever of its answers carries it. */
    private CompletableFuture<RemoteReply> finalAnswer(MutationStream.Pending p) {
      CompletableFuture<RemoteReply> out = new CompletableFuture<>();
      p.first.whenComplete((a, t) -> {
        if (t != null) {
          try {
            out.complete(lost(t));
          } catch (RemoteOutcomeUnknownException e) {
            out.completeExceptionally(e);
          }
        } else if (a.status() != dev.stator.Status.QUEUED) {
          out.complete(MutationStream.reply(a));
        } else {
          p.outcome.whenComplete((r, u) -> {
            if (u != null) {
              out.completeExceptionally(u);
            } else {
              out.complete(r);
            }
          });
        }
      });
      return out;
    }

    /**
     * A mutation whose stream ended before its first answer: refused (CANCELED) if the status
     * says the server refused it before running it, else its outcome is unknown.
     */
    private RemoteReply lost(Throwable cause) {
      Status s = Status.fromThrowable(cause);
      if (refusedBeforeRunning(s.getCode())) {
        return RemoteReply.canceled("refused by the server: " + s.getCode() + ": "
            + s.getDescription());
      }
      throw new RemoteOutcomeUnknownException("the answer to a mutation of " + id
          + " was lost: " + s.getCode() + ": " + s.getDescription() + "; it may have run", cause);
    }

    /**
     * {@code whenArgs} evaluated by the server: one WhenArgs call; its Waited advances the
     * mirror, then completes the future. Cancelling the future cancels the call (and so the
     * server's wait); a call that ends otherwise fails the future with its status.
     */
    @Override
    public CompletableFuture<Void> whenArgs(int state, List<RemoteCall.Arg> expected) {
      List<Wire.Arg> args = new ArrayList<>(expected.size());
      for (RemoteCall.Arg a : expected) args.add(new Wire.Arg(a.key().name(), encode(a)));
      CompletableFuture<Void> done = new CompletableFuture<>();
      CompletableFuture<Void> registered = new CompletableFuture<>();
      if (!connection.is(Connection.Connected)) {
        done.completeExceptionally(new IllegalStateException("remote machine " + id
            + " is not connected " + connection.activeNames() + "; whenArgs refused"));
        return done;
      }
      ClientCall<byte[], byte[]> call = client.channel.newCall(Methods.WHEN_ARGS,
          CallOptions.DEFAULT);
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(byte[] bytes) {
          try {
            Wire.Waited w = Wire.decodeWaited(bytes);
            if (w.registered()) {
              registered.complete(null);
              call.request(1);
              return;
            }
            Wire.Clock after = w.after();
            if (after != null && after.full()) {
              mirror.advance(after.active(), after.ticks(), after.queueTick());
            }
          } catch (Wire.DecodeException | IllegalArgumentException e) {
            call.cancel("bad answer from the server: " + e.getMessage(), e);
            return;
          }
          registered.complete(null);
          done.complete(null);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          registered.complete(null);
          if (done.isDone()) return;
          if (status.getCode() == Status.Code.FAILED_PRECONDITION) {
            done.completeExceptionally(new IllegalStateException("remote machine " + id
                + " closed while waiting: " + status.getDescription()));
          } else {
            done.completeExceptionally(new IllegalStateException("whenArgs on remote machine "
                + id + " ended: " + status.getCode() + ": " + status.getDescription()
                + " (activations meanwhile are unknown)", status.asException()));
          }
        }
      }, headers());
      call.sendMessage(Wire.encode(new Wire.WhenArgsRequest(id, state, args)));
      call.halfClose();
      call.request(1);
      done.whenComplete((v, t) -> {
        if (t instanceof java.util.concurrent.CancellationException) {
          call.cancel("wait cancelled", null);
        }
      });
      // W10: activations after whenArgs returns count, so return once the server's wait is in
      // place (or the call ended, which fails `done`), bounded by the call timeout
      try {
        registered.get(client.callTimeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        call.cancel("no answer within " + client.callTimeout, null);
        done.completeExceptionally(new IllegalStateException("the server did not register"
            + " whenArgs on remote machine " + id + " within " + client.callTimeout, e));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        call.cancel("caller interrupted", e);
        done.completeExceptionally(new IllegalStateException("interrupted while registering"
            + " whenArgs on remote machine " + id, e));
      } catch (ExecutionException e) {
        throw new IllegalStateException(e); // never completed exceptionally
      }
      return done;
    }

    @Override
    public void close() {
      closed = true;
      failHeld(new IllegalStateException("remote machine " + id
          + " closed before a held mutation was sent"));
      ClientCall<byte[], byte[]> s = stream;
      if (s != null) s.cancel("remote machine closed", null);
      synchronized (mutationsLock) {
        MutationStream m = mutations;
        if (m != null) m.cancel("remote machine closed");
      }
      Thread t = loop;
      if (t != null && t != Thread.currentThread()) {
        t.interrupt();
        try {
          t.join(5_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      // the connection machine stays open (it holds no thread): its last states stay readable
      client.detached(RemoteMachine.this);
    }
  }

  /** Codes with which the server refuses a mutation before running it. */
  private static boolean refusedBeforeRunning(Status.Code code) {
    return switch (code) {
      case UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION,
          RESOURCE_EXHAUSTED, UNIMPLEMENTED -> true;
      default -> false;
    };
  }


  private Wire.MutateRequest encode(RemoteCall c) {
    int[] states = new int[c.states().size()];
    for (int i = 0; i < states.length; i++) states[i] = c.states().get(i);
    List<Wire.Arg> args = new ArrayList<>(c.args().size());
    for (RemoteCall.Arg a : c.args()) args.add(new Wire.Arg(a.key().name(), encode(a)));
    Throwable e = c.error();
    Wire.ErrorData error = e == null ? null
        : new Wire.ErrorData(e.getClass().getName(), String.valueOf(e.getMessage()));
    String trace = client.traceparent.get(); // per mutation: a stream outlives the caller's span
    return new Wire.MutateRequest(id, c.kind(), states, c.toggle(), error, args, 0,
        trace != null && RpcTrace.valid(trace) ? trace : "");
  }

  @SuppressWarnings("unchecked")
  private <T> String encode(RemoteCall.Arg a) {
    Key<T> key = (Key<T>) a.key();
    Key.Codec<T> codec = key.codec();
    if (codec == null) {
      throw new IllegalArgumentException("argument '" + key.name() + "' of a mutation of remote "
          + "machine " + id + " has no codec; declare the key with Key.of(name, type, codec)");
    }
    return Objects.requireNonNull(codec.encode(key.type().cast(a.value())),
        () -> "codec of '" + key.name() + "' encoded null");
  }
}
