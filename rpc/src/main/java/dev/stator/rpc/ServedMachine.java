package dev.stator.rpc;

import dev.stator.Args;
import dev.stator.Key;
import dev.stator.Machine;
import dev.stator.MachineClosedException;
import dev.stator.Result;
import dev.stator.Schema;
import dev.stator.Snapshot;
import dev.stator.Wait;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One machine exposed by an {@link RpcServer}: its argument keys, its subscribers, and the
 * watcher that pushes its clocks to them.
 */
final class ServedMachine<S> {
  /* Design.
   *
   * Watching without touching the machine: the watcher is one virtual thread per exposed machine
   * that waits (core's waits) for any clock to pass the last published snapshot (one whenTime per
   * state, combined with Wait.any, plus whenClosed), then takes one consistent snapshot and offers
   * it to every subscriber. The machine's draining thread only completes wait futures; it never
   * runs our code, never blocks on a client, and several transitions that land while the watcher
   * works are published as one update (clocks keep what came and went).
   * Subscribers hold one pending snapshot each (a bounded buffer of one, coalesced): a client
   * that does not read gets, when it reads again, one delta from what it last received to the
   * latest state; one that has not been writable with an update pending for the stall bound is
   * disconnected with RESOURCE_EXHAUSTED. The watcher checks stalls each time it wakes, at least
   * every stall bound / 2. */

  private static final System.Logger LOG = System.getLogger(ServedMachine.class.getName());

  final Machine<S> machine;
  final String id;
  final Map<String, Key<?>> keys;
  private final Duration stallBound;
  private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
  private final Runnable subscribersChanged; // told after every change of `subscribers`
  private final long implicitExceptionIndex; // -1 unless Exception has no S (enum schemas)
  private volatile @Nullable Thread watcher;
  private volatile boolean stopping;

  ServedMachine(Machine<S> machine, List<Key<?>> keys, Duration stallBound,
      Runnable subscribersChanged) {
    this.subscribersChanged = subscribersChanged;
    this.machine = machine;
    this.id = machine.id();
    Map<String, Key<?>> k = new LinkedHashMap<>();
    for (Key<?> key : keys) {
      if (key.codec() == null) {
        throw new IllegalArgumentException("key '" + key.name() + "' of machine " + id
            + " has no codec; only keys with a codec can cross the wire");
      }
      if (k.put(key.name(), key) != null) {
        throw new IllegalArgumentException("two keys named '" + key.name() + "' for machine " + id);
      }
    }
    this.keys = Map.copyOf(k);
    this.stallBound = stallBound;
    Schema<S> s = machine.schema();
    this.implicitExceptionIndex = s.states().size() < s.size() ? s.size() - 1 : -1;
  }

  void start() {
    watcher = Thread.ofVirtual().name("stator-rpc-watch-" + id).start(this::watch);
  }

  /** Stops the watcher and ends every stream with UNAVAILABLE. */
  void stop() throws InterruptedException {
    stopping = true;
    Thread w = watcher;
    if (w != null) {
      w.interrupt();
      w.join();
    }
    for (Subscriber s : subscribers) {
      s.end(Status.UNAVAILABLE.withDescription("server stopping"));
    }
    subscribers.clear();
    subscribersChanged.run();
  }

  @Nullable Thread watcherThread() {
    return watcher;
  }

  int subscriberCount() {
    return subscribers.size();
  }

  // ------------------------------------------------------------------ attach

  void attach(Subscriber s) {
    Schema<S> schema = machine.schema();
    s.out.onNext(Wire.encode(new Wire.Update(new Wire.Hello(schema.hash(), schema.data()), null,
        null)));
    subscribers.add(s);
    subscribersChanged.run();
    s.out.setOnCancelHandler(() -> {
      subscribers.remove(s);
      s.cancelled();
      subscribersChanged.run();
    });
    s.out.setOnReadyHandler(s::drain);
    if (machine.isClosed()) {
      s.close("machine " + id + " is closed");
      subscribers.remove(s);
      subscribersChanged.run();
      return;
    }
    s.offer(machine.snapshot());
  }

  private void watch() {
    Snapshot last = machine.snapshot();
    Duration tick = stallBound.dividedBy(2);
    while (!stopping) {
      Wait change;
      try {
        change = changeAfter(last);
      } catch (MachineClosedException e) {
        closed();
        return;
      }
      try {
        change.await(tick);
      } catch (TimeoutException e) {
        // no change: look for stalled clients below
      } catch (InterruptedException e) {
        change.cancel();
        return;
      } catch (MachineClosedException e) {
        closed();
        return;
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "watching machine " + id + " failed", e);
      }
      if (machine.isClosed()) {
        closed();
        return;
      }
      Snapshot now = machine.snapshot();
      if (now.time() != last.time() || now.active() != last.active()) {
        last = now;
        for (Subscriber s : subscribers) s.offer(now);
      }
      long t = System.nanoTime();
      for (Subscriber s : subscribers) {
        if (s.stalledFor(t) > stallBound.toNanos()) {
          subscribers.remove(s);
          s.end(Status.RESOURCE_EXHAUSTED.withDescription("client '" + s.client
              + "' fell behind on machine " + id + " (no read for " + stallBound
              + " with updates pending); disconnected, reattach to resync"));
          subscribersChanged.run();
        }
      }
    }
  }

  private Wait changeAfter(Snapshot last) {
    return Changes.after(machine, last, Changes.all(machine));
  }

  private void closed() {
    for (Subscriber s : subscribers) s.close("machine " + id + " is closed");
    subscribers.clear();
    subscribersChanged.run();
  }

  // ------------------------------------------------------------------ mutate

  /**
   * Checks a decoded request against the schema, the grant and the keys, and runs it.
   *
   * @throws StatusException INVALID_ARGUMENT or PERMISSION_DENIED, before anything ran
   */
  Result run(Wire.MutateRequest r, RpcServer.Client client) throws StatusException {
    Schema<S> schema = machine.schema();
    int n = schema.size();
    long called = 0;
    for (int i : r.states()) {
      if (i >= n) {
        throw status(Status.INVALID_ARGUMENT, "unknown state index " + i + " for machine " + id
            + " (schema " + schema.name() + " has " + n + " states)");
      }
      called |= 1L << i;
    }
    long allowed = client.mutableMask(id, schema);
    if (allowed == 0) {
      throw status(Status.PERMISSION_DENIED, "client '" + client.name()
          + "' may not mutate machine " + id);
    }
    if ((called & ~allowed) != 0) {
      List<String> denied = new ArrayList<>();
      for (int i : r.states()) if ((allowed >>> i & 1) == 0) denied.add(schema.names().get(i));
      throw status(Status.PERMISSION_DENIED, "client '" + client.name() + "' may not mutate "
          + denied + " of machine " + id);
    }
    Args args = decodeArgs(r.args());
    int[] st = r.states();
    int exception = schema.names().indexOf(Schema.EXCEPTION);
    Wire.ErrorData e = r.error();
    if (e != null) {
      if (r.kind() != dev.stator.MutationKind.ADD || r.toggle() || st.length > 2
          || st[st.length - 1] != exception || (st.length == 2 && st[0] == exception)) {
        throw status(Status.INVALID_ARGUMENT, "an error mutation adds " + Schema.EXCEPTION
            + ", after at most one error state");
      }
      RemoteFailure failure = new RemoteFailure(e.type(), e.message());
      return st.length == 1 ? machine.addError(failure)
          : machine.addError(schema.states().get(st[0]), failure);
    }
    List<S> states = new ArrayList<>(st.length);
    for (int i : st) {
      if (i == implicitExceptionIndex) {
        if (r.kind() == dev.stator.MutationKind.REMOVE && st.length == 1 && !r.toggle()) {
          return machine.removeError();
        }
        throw status(Status.INVALID_ARGUMENT, "state " + Schema.EXCEPTION + " of machine " + id
            + " can only be removed alone, or added with an error");
      }
      states.add(schema.states().get(i));
    }
    if (r.toggle()) {
      if (states.size() != 1 || r.kind() != dev.stator.MutationKind.ADD) {
        throw status(Status.INVALID_ARGUMENT, "toggle calls exactly one state");
      }
      return machine.toggle(states.get(0));
    }
    return switch (r.kind()) {
      case ADD -> machine.add(states, args);
      case REMOVE -> machine.remove(states, args);
      case SET -> machine.set(states, args);
      default -> throw status(Status.INVALID_ARGUMENT, "kind " + r.kind());
    };
  }

  /**
   * Registers {@code Machine.whenArgs} for a decoded request; any grant may wait.
   *
   * @throws StatusException INVALID_ARGUMENT for an unknown state index or argument
   */
  dev.stator.Wait whenArgs(Wire.WhenArgsRequest r) throws StatusException {
    Schema<S> schema = machine.schema();
    if (r.state() >= schema.size()) {
      throw status(Status.INVALID_ARGUMENT, "unknown state index " + r.state() + " for machine "
          + id + " (schema " + schema.name() + " has " + schema.size() + " states)");
    }
    return machine.whenArgs(schema.states().get(r.state()), decodeArgs(r.args()));
  }

  private Args decodeArgs(List<Wire.Arg> wire) throws StatusException {
    Args args = Args.NONE;
    Map<String, Boolean> seen = new HashMap<>();
    for (Wire.Arg a : wire) {
      Key<?> key = keys.get(a.key());
      if (key == null) {
        throw status(Status.INVALID_ARGUMENT, "unknown argument key '" + a.key()
            + "' for machine " + id + "; known keys: " + keys.keySet());
      }
      if (seen.put(a.key(), true) != null) {
        throw status(Status.INVALID_ARGUMENT, "argument '" + a.key() + "' given twice");
      }
      args = with(args, key, a.value());
    }
    return args;
  }

  private <T> Args with(Args args, Key<T> key, String text) throws StatusException {
    Key.Codec<T> codec = java.util.Objects.requireNonNull(key.codec());
    T value;
    try {
      value = codec.decode(text);
    } catch (RuntimeException e) {
      throw status(Status.INVALID_ARGUMENT, "argument '" + key.name() + "' of machine " + id
          + " cannot be decoded: " + e.getMessage());
    }
    if (value == null) {
      throw status(Status.INVALID_ARGUMENT, "argument '" + key.name() + "' decoded to null");
    }
    return args.with(key, value);
  }

  /** The wall clock in microseconds since the epoch. */
  static long nowMicros() {
    java.time.Instant t = java.time.Instant.now();
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
  }

  static StatusException status(Status code, String message) {
    return code.withDescription(message).asException();
  }

  // ------------------------------------------------------------------ subscriber

  /** One Attach stream. */
  static final class Subscriber {
    final ServerCallStreamObserver<byte[]> out;
    final String client;
    private final Runnable onEnd;
    private long @Nullable [] sent; // guarded by this
    private @Nullable Snapshot pending; // guarded by this
    private long pendingAtMicros; // guarded by this: wall clock when `pending` was taken
    private long pendingSince; // nanoTime when an update became pending unsent; 0 if none
    private boolean ended; // guarded by this

    Subscriber(ServerCallStreamObserver<byte[]> out, String client, Runnable onEnd) {
      this.out = out;
      this.client = client;
      this.onEnd = onEnd;
    }

    synchronized void offer(Snapshot s) {
      if (ended) return;
      if (pending == null) pendingSince = System.nanoTime();
      pending = s;
      pendingAtMicros = nowMicros();
      drain();
    }

    synchronized void drain() {
      Snapshot p = pending;
      if (ended || p == null || !out.isReady()) return;
      long[] ticks = p.ticks();
      Wire.Clock c = sent == null ? Wire.Clock.full(p.active(), ticks, p.queueTick())
          : Wire.Clock.delta(sent, p.active(), ticks, p.queueTick());
      out.onNext(Wire.encode(new Wire.Update(null, c, null, pendingAtMicros)));
      sent = ticks;
      pending = null;
      pendingSince = 0;
    }

    /** How long an update has been pending unsent, in nanoseconds; 0 if none. */
    synchronized long stalledFor(long now) {
      return pending == null || ended ? 0 : now - pendingSince;
    }

    synchronized void close(String reason) {
      if (ended) return;
      ended = true;
      out.onNext(Wire.encode(new Wire.Update(null, null, reason)));
      out.onCompleted();
      onEnd.run();
    }

    synchronized void end(Status status) {
      if (ended) return;
      ended = true;
      out.onError(status.asRuntimeException());
      onEnd.run();
    }

    synchronized void cancelled() {
      if (ended) return;
      ended = true;
      onEnd.run();
    }
  }
}
