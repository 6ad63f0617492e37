package dev.stator;

import dev.stator.spi.Mirror;
import dev.stator.spi.MirrorLink;
import dev.stator.spi.Mirrors;
import dev.stator.spi.RemoteCall;
import dev.stator.spi.RemoteReply;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A machine that mirrors another one (remote, or recorded): reads and waits run here, on a
 * mirrored active set and clocks that a transport feeds through {@link Mirror}; mutations go to
 * the transport's {@link MirrorLink}.
 *
 * <p>What differs from a local machine:
 * <ul>
 *   <li>A mutation returns the remote answer: {@code EXECUTED}, {@code CANCELED} with the
 *       remote reason (or "not connected" for a call that was never sent), or {@code QUEUED}
 *       with a ticket completed by the remote outcome. A call whose outcome is unknown (the
 *       connection dropped after it was sent) throws the transport's exception; such a ticket
 *       fails with it.
 *   <li>Reads see the latest state the transport delivered, never a mix of two remote
 *       transitions; several remote transitions may arrive as one update (their clocks then grow
 *       by more than one, so {@code when}, {@code whenTicks} and {@code whenTime} still see a
 *       state that came and went).
 *   <li>{@link #lastError()} is always {@code null} (errors are not mirrored);
 *       {@link #queueSize()} counts this mirror's own tickets still queued remotely.
 *   <li>{@link #close()} closes the mirror and its link, not the remote machine.
 * </ul>
 * There are no handlers, tracers or state scopes on a mirror.
 */
final class MirrorMachine<S> extends MachineBase<S> implements Mirror<S> {
  /* Design.
   *
   * State: one immutable View (active mask, clocks, queue tick) in a volatile field, replaced
   * whole by resync/advance under `lock` (writers are transport threads and callers applying a
   * reply), read with one volatile read: a reader never sees half an update. Waits are core's
   * MachineWait conditions kept in a copy-on-write list and tested after every update; a wait is
   * registered, then tested again against the view (an update may have landed in between), and
   * removed when it completes in any way (cancel included), so nothing stays registered.
   * The MachineWaits and MachineBase's mutation methods need a MachineImpl (core()): `shadow` is
   * a plain machine of the same schema and id, never mutated, used for the schema and for wait
   * descriptions only. Arguments are read out of Args with a private-field handle (Args has no
   * accessor yet; a package-private one is the proper fix). */

  private static final VarHandle PAIRS;

  static {
    try {
      PAIRS = MethodHandles.privateLookupIn(Args.class, MethodHandles.lookup())
          .findVarHandle(Args.class, "pairs", Object[].class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
    Mirrors.install(new Mirrors.Factory() {
      @Override
      public <T> Mirror<T> create(Schema<T> schema, String id, MirrorLink link) {
        return new MirrorMachine<>(schema, id, link);
      }
    });
  }

  /** One value of the mirrored state; immutable. */
  private record View(long active, long[] ticks, long queueTick) {
    long time() {
      long t = 0;
      for (long v : ticks) t += v;
      return t;
    }
  }

  private final Schema<S> schema;
  private final String id;
  private final MirrorLink link;
  private final MachineImpl<S> shadow;
  private final Object lock = new Object(); // orders writers of `view`; never held while waiting
  private volatile View view; // replaced under lock; read by anyone
  private final CopyOnWriteArrayList<MachineWait> waits = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
  private volatile @Nullable String closedReason; // set once, under lock
  private final AtomicInteger outstanding = new AtomicInteger(); // tickets still queued remotely

  private MirrorMachine(Schema<S> schema, String id, MirrorLink link) {
    this.schema = schema;
    this.id = id;
    this.link = link;
    this.shadow = (MachineImpl<S>) Machine.of(schema).id(id).build();
    this.view = new View(0, new long[schema.size], 0);
  }

  // ------------------------------------------------------------ Mirror (transport side)

  @Override
  public Machine<S> machine() {
    return this;
  }

  @Override
  public void resync(long active, long[] ticks, long queueTick) {
    View v = check(active, ticks, queueTick);
    synchronized (lock) {
      if (closedReason != null) return;
      view = v;
    }
    notifyWaits(v);
  }

  @Override
  public boolean advance(long active, long[] ticks, long queueTick) {
    View v = check(active, ticks, queueTick);
    synchronized (lock) {
      if (closedReason != null) return false;
      View cur = view;
      long t = v.time();
      long c = cur.time();
      if (t < c || (t == c && v.queueTick <= cur.queueTick)) return false;
      view = v;
    }
    notifyWaits(v);
    return true;
  }

  @Override
  public void remoteClosed(String reason) {
    shut(Objects.requireNonNull(reason, "reason"));
  }

  private View check(long active, long[] ticks, long queueTick) {
    if (ticks.length != schema.size) {
      throw new IllegalArgumentException("mirror " + id + ": " + ticks.length + " clocks for "
          + schema.size + " states");
    }
    if (schema.size < 64 && (active >>> schema.size) != 0) {
      throw new IllegalArgumentException("mirror " + id + ": active set names state "
          + (63 - Long.numberOfLeadingZeros(active)) + " of " + schema.size);
    }
    long[] t = ticks.clone();
    for (int i = 0; i < t.length; i++) {
      boolean on = (active >>> i & 1) != 0;
      if (t[i] < 0 || (t[i] & 1) != (on ? 1 : 0)) {
        throw new IllegalArgumentException("mirror " + id + ": clock of '" + schema.names[i]
            + "' is " + t[i] + " but the state is " + (on ? "active" : "inactive"));
      }
    }
    if (queueTick < 0) throw new IllegalArgumentException("negative queue tick " + queueTick);
    return new View(active, t, queueTick);
  }

  private void notifyWaits(View v) {
    for (MachineWait w : waits) {
      if (w.test(v.active, v.ticks)) {
        w.complete();
        waits.remove(w);
      }
    }
  }

  // ------------------------------------------------------------ mutations

  @Override
  MachineImpl<S> core() {
    return shadow;
  }

  @Override
  Result submit(MutationKind kind, long called, byte @Nullable [] order, Args args, int flags) {
    String closed = closedReason;
    if (closed != null) {
      throw new MachineClosedException("machine " + id + " is closed (" + closed
          + "); mutation refused");
    }
    List<Integer> states = new ArrayList<>(Long.bitCount(called));
    if (order != null) {
      for (byte b : order) states.add((int) b);
    } else {
      for (long m = called; m != 0; m &= m - 1) states.add(Long.numberOfTrailingZeros(m));
    }
    Throwable error = null;
    List<RemoteCall.Arg> list = new ArrayList<>();
    Object[] pairs = (Object[]) PAIRS.get(args);
    for (int i = 0; i < pairs.length; i += 2) {
      Key<?> key = (Key<?>) pairs[i];
      if ((flags & Mutation.ERROR) != 0 && key == Key.ERROR) {
        error = (Throwable) pairs[i + 1];
      } else {
        list.add(new RemoteCall.Arg(key, pairs[i + 1]));
      }
    }
    RemoteCall call = new RemoteCall(kind, states, (flags & Mutation.TOGGLE) != 0, error, list);
    RemoteReply reply = link.send(call);
    return switch (reply.status()) {
      case EXECUTED -> Result.EXECUTED;
      case CANCELED -> {
        String why = reply.reason();
        yield Outcome.of(false, why == null ? "" : why, List.of());
      }
      case QUEUED -> ticket(kind, called, order, args, flags,
          Objects.requireNonNull(reply.outcome(), "outcome"));
    };
  }

  private Result ticket(MutationKind kind, long called, byte @Nullable [] order, Args args,
      int flags, CompletableFuture<RemoteReply> outcome) {
    Mutation m = new Mutation(kind, called, order, args, flags, null, null);
    outstanding.incrementAndGet();
    outcome.whenComplete((r, t) -> {
      outstanding.decrementAndGet();
      if (t != null) {
        Throwable c = t instanceof CompletionException ce && ce.getCause() != null
            ? ce.getCause() : t;
        m.fail(c instanceof RuntimeException re ? re
            : new IllegalStateException("remote outcome of " + m + " unknown", c));
      } else if (r.status() == Status.EXECUTED) {
        m.complete(true);
      } else if (r.status() == Status.CANCELED) {
        m.complete(false, r.reason(), List.of());
      } else {
        m.fail(new IllegalStateException("remote outcome of " + m + " is " + r.status()));
      }
    });
    return m;
  }

  // ------------------------------------------------------------ identity and reads

  @Override
  public String id() {
    return id;
  }

  @Override
  public Schema<S> schema() {
    return schema;
  }

  @Override
  public boolean is(S state) {
    return (view.active >>> schema.indexOf(state) & 1) != 0;
  }

  @Override
  public boolean is(Collection<? extends S> states) {
    long m = schema.maskOf(states);
    return (view.active & m) == m;
  }

  @Override
  public boolean not(S state) {
    return !is(state);
  }

  @Override
  public boolean any(Collection<? extends S> states) {
    return (view.active & schema.maskOf(states)) != 0;
  }

  @Override
  public boolean hasError() {
    return (view.active >>> schema.exception & 1) != 0;
  }

  /** Always null: a remote machine's errors are not mirrored (its {@code Exception} state is). */
  @Override
  public @Nullable Throwable lastError() {
    return null;
  }

  @Override
  public Set<S> active() {
    long a = view.active;
    Set<S> out = new LinkedHashSet<>();
    for (long m = a; m != 0; m &= m - 1) {
      S s = schema.valueAt(Long.numberOfTrailingZeros(m));
      if (s != null) out.add(s);
    }
    return Collections.unmodifiableSet(out);
  }

  @Override
  public List<String> activeNames() {
    return schema.namesOf(view.active);
  }

  @Override
  public long tick(S state) {
    return view.ticks[schema.indexOf(state)];
  }

  @Override
  public Snapshot snapshot() {
    View v = view;
    return new Snapshot(schema.hash(), schema.names(), v.active, v.ticks, v.queueTick);
  }

  /** This mirror's own mutations that the remote machine queued and has not yet processed. */
  @Override
  public int queueSize() {
    return outstanding.get();
  }

  // ------------------------------------------------------------ waits

  @Override
  public Wait when(S state) {
    return register(MachineWait.WHEN, 1L << schema.indexOf(state), view.ticks);
  }

  @Override
  public Wait when(Collection<? extends S> states) {
    return register(MachineWait.WHEN, schema.maskOf(states), view.ticks);
  }

  @Override
  public Wait whenNot(S state) {
    return register(MachineWait.WHEN_NOT, 1L << schema.indexOf(state), view.ticks);
  }

  @Override
  public Wait whenNot(Collection<? extends S> states) {
    return register(MachineWait.WHEN_NOT, schema.maskOf(states), view.ticks);
  }

  @Override
  public Wait whenTicks(S state, long ticks) {
    if (ticks <= 0) throw new IllegalArgumentException("ticks must be positive: " + ticks);
    int i = schema.indexOf(state);
    long[] target = new long[schema.size];
    target[i] = view.ticks[i] + ticks;
    return register(MachineWait.TICKS, 1L << i, target);
  }

  @Override
  public Wait whenTime(Snapshot time) {
    Objects.requireNonNull(time, "time");
    if (!time.schemaHash().equals(schema.hash())) {
      throw new IllegalArgumentException("snapshot of schema " + time.schemaHash()
          + " cannot be compared with machine " + id + " of schema " + schema.name());
    }
    return register(MachineWait.TICKS, -1L >>> (64 - schema.size), time.ticks());
  }

  @Override
  public Wait whenQueue(Result result) {
    Objects.requireNonNull(result, "result");
    return MachineWait.of(result.future(), shadow, "whenQueue(" + result + ")");
  }

  @Override
  public Wait whenError() {
    return register(MachineWait.ERROR, 1L << schema.exception, view.ticks);
  }

  /** Sent to the link: the server evaluates it where the arguments are. */
  @Override
  public Wait whenArgs(S state, Args expected) {
    Objects.requireNonNull(expected, "expected");
    int i = schema.indexOf(state);
    String what = "whenArgs(" + state + ", " + expected + ")";
    String closed = closedReason;
    if (closed != null) {
      return MachineWait.of(CompletableFuture.failedFuture(new MachineClosedException("machine "
          + id + " is closed (" + closed + "); wait refused")), shadow, what);
    }
    List<RemoteCall.Arg> list = new ArrayList<>();
    expected.forEach((k, v) -> list.add(new RemoteCall.Arg(k, v)));
    CompletableFuture<Void> remote = link.whenArgs(i, list);
    return MachineWait.of(remote, shadow, what).onCancel(() -> remote.cancel(false));
  }

  @Override
  public Wait whenClosed() {
    return MachineWait.of(closedFuture, shadow, "whenClosed()");
  }

  /** The waits registered now (tests: nothing stays registered once a wait is done). */
  int waitCount() {
    return waits.size();
  }

  private Wait register(int kind, long mask, long[] base) {
    MachineWait w = new MachineWait(shadow, kind, mask, base.clone());
    String closed = closedReason;
    if (closed != null) {
      w.fail(new MachineClosedException("machine " + id + " is closed (" + closed
          + "); wait refused"));
      return w;
    }
    View v = view;
    if (w.test(v.active, v.ticks)) {
      w.complete();
      return w;
    }
    waits.add(w);
    w.done.whenComplete((x, t) -> waits.remove(w)); // cancelled, timed out, or completed
    String late = closedReason;
    if (late != null) {
      w.fail(new MachineClosedException("machine " + id + " is closed (" + late + "); wait ended"));
      return w;
    }
    View again = view; // an update may have landed between the test and the add
    if (w.test(again.active, again.ticks)) w.complete();
    return w;
  }

  // ------------------------------------------------------------ close

  @Override
  public boolean isClosed() {
    return closedReason != null;
  }

  /** Closes this mirror and its link (not the remote machine); idempotent. */
  @Override
  public void close() {
    shut("closed by the application");
  }

  private void shut(String reason) {
    synchronized (lock) {
      if (closedReason != null) return;
      closedReason = reason;
    }
    try {
      link.close();
    } finally {
      for (MachineWait w : waits) {
        w.fail(new MachineClosedException("machine " + id + " is closed (" + reason
            + "); wait ended"));
      }
      waits.clear();
      shadow.close();
      closedFuture.complete(null);
    }
  }

  @Override
  public String toString() {
    return "MirrorMachine[" + id + " " + activeNames() + "]";
  }
}
