package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.spi.Mirror;
import dev.stator.spi.MirrorLink;
import dev.stator.spi.Mirrors;
import dev.stator.spi.RemoteCall;
import dev.stator.spi.RemoteReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The mirror machine with an in-memory link: reads, waits, results, close. */
class MirrorMachineTest {
  enum Door { Open, Closed, Locked }

  static final Schema<Door> SCHEMA = Schema.of(Door.class)
      .state(Door.Open, s -> s.remove(Door.Closed, Door.Locked))
      .state(Door.Closed, s -> s.remove(Door.Open))
      .state(Door.Locked, s -> s.require(Door.Closed))
      .build();

  static final Key<String> WHO = Key.of("who", String.class, Key.Codec.of(s -> s, s -> s));

  /** A link that records calls and answers with a scripted reply. */
  static final class ScriptedLink implements MirrorLink {
    final List<RemoteCall> calls = new CopyOnWriteArrayList<>();
    volatile RemoteReply reply = RemoteReply.executed();
    volatile boolean closed;

    @Override
    public RemoteReply send(RemoteCall call) {
      calls.add(call);
      return reply;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  /** One mask and clocks of a real machine, fed to the mirror. */
  private static void feed(Mirror<Door> mirror, Machine<Door> source) {
    Snapshot s = source.snapshot();
    mirror.advance(s.active(), s.ticks(), s.queueTick());
  }

  @Test
  void readsFollowTheFedStateAndNeverMoveBack() {
    ScriptedLink link = new ScriptedLink();
    Mirror<Door> mirror = Mirrors.create(SCHEMA, "door-mirror", link);
    Machine<Door> m = mirror.machine();
    try (Machine<Door> source = Machine.of(SCHEMA).build()) {
      source.add(Door.Closed);
      Snapshot early = source.snapshot();
      source.add(Door.Locked);
      feed(mirror, source);
      assertThat(m.active()).containsExactly(Door.Closed, Door.Locked);
      assertThat(m.tick(Door.Locked)).isEqualTo(1);
      // a late update (older clocks) is ignored
      assertThat(mirror.advance(early.active(), early.ticks(), early.queueTick())).isFalse();
      assertThat(m.is(Door.Locked)).isTrue();
      // a resync replaces in full, even with older clocks (a restarted server)
      mirror.resync(early.active(), early.ticks(), early.queueTick());
      assertThat(m.active()).containsExactly(Door.Closed);
      assertThat(m.snapshot().ticks()).isEqualTo(early.ticks());
      assertThat(m.id()).isEqualTo("door-mirror");
    }
    m.close();
    assertThat(link.closed).isTrue();
  }

  @Test
  void malformedUpdatesAreRefusedAndChangeNothing() {
    Mirror<Door> mirror = Mirrors.create(SCHEMA, "d", new ScriptedLink());
    int n = SCHEMA.size();
    assertThatThrownBy(() -> mirror.advance(1, new long[n], 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clock of 'Open'");
    assertThatThrownBy(() -> mirror.advance(0, new long[n + 1], 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clocks for");
    assertThatThrownBy(() -> mirror.resync(1L << 40, new long[n], 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("active set");
    assertThat(mirror.machine().activeNames()).isEmpty();
    mirror.machine().close();
  }

  @Test
  void waitsCompleteOnUpdatesIncludingAStateThatCameAndWent() throws Exception {
    Mirror<Door> mirror = Mirrors.create(SCHEMA, "d", new ScriptedLink());
    Machine<Door> m = mirror.machine();
    try (Machine<Door> source = Machine.of(SCHEMA).build()) {
      Wait open = m.when(Door.Open);
      Wait ticks = m.whenTicks(Door.Closed, 2);
      assertThat(open.isDone()).isFalse();
      source.add(Door.Open);
      source.add(Door.Closed); // Open came and went: one update carries both transitions
      feed(mirror, source);
      open.await(Duration.ofSeconds(5));
      assertThat(ticks.isDone()).isFalse();
      source.add(Door.Open);
      feed(mirror, source);
      ticks.await(Duration.ofSeconds(5));
      // an already-true wait completes at once
      assertThat(m.when(Door.Open).isDone()).isTrue();
      // a timed-out wait leaves nothing registered and says which machine and condition
      assertThatThrownBy(() -> m.when(Door.Locked).await(Duration.ofMillis(10)))
          .isInstanceOf(TimeoutException.class).hasMessageContaining("machine d: when [Locked]");
    }
    Wait pending = m.whenNot(Door.Open);
    m.close();
    assertThat(pending.isDone()).isTrue();
    assertThatThrownBy(() -> pending.await(Duration.ofSeconds(1)))
        .isInstanceOf(MachineClosedException.class);
    assertThat(m.whenClosed().isDone()).isTrue();
  }

  @Test
  void mutationsCarryStatesInOrderArgumentsAndTheRemoteAnswer() throws Exception {
    ScriptedLink link = new ScriptedLink();
    Machine<Door> m = Mirrors.create(SCHEMA, "d", link).machine();
    assertThat(m.add(Door.Closed, Args.of(WHO, "ann")).status()).isEqualTo(Status.EXECUTED);
    link.reply = RemoteReply.canceled("Locked requires Closed");
    Result r = m.add(Door.Locked, Door.Open);
    assertThat(r.status()).isEqualTo(Status.CANCELED);
    assertThat(r.reason()).isEqualTo("Locked requires Closed");
    link.reply = RemoteReply.executed();
    m.toggle(Door.Open);
    m.addError(Door.Locked, new IllegalStateException("jammed"));
    m.set(Door.Closed);
    m.remove(Door.Open, Door.Closed);

    List<RemoteCall> c = link.calls;
    assertThat(c.get(0).states()).containsExactly(Door.Closed.ordinal());
    assertThat(c.get(0).args()).hasSize(1);
    assertThat(c.get(0).args().get(0).key()).isSameAs(WHO);
    assertThat(c.get(0).args().get(0).value()).isEqualTo("ann");
    assertThat(c.get(1).states()).containsExactly(Door.Locked.ordinal(), Door.Open.ordinal());
    assertThat(c.get(2).toggle()).isTrue();
    assertThat(c.get(3).error()).hasMessage("jammed");
    assertThat(c.get(3).args()).isEmpty();
    assertThat(c.get(3).states()).containsExactly(Door.Locked.ordinal(), SCHEMA.size() - 1);
    assertThat(c.get(4).kind()).isEqualTo(MutationKind.SET);
    assertThat(c.get(5).kind()).isEqualTo(MutationKind.REMOVE);
    m.close();
    assertThatThrownBy(() -> m.add(Door.Open)).isInstanceOf(MachineClosedException.class)
        .hasMessageContaining("machine d is closed");
  }

  @Test
  void aQueuedTicketCompletesWithTheRemoteOutcome() throws Exception {
    ScriptedLink link = new ScriptedLink();
    Machine<Door> m = Mirrors.create(SCHEMA, "d", link).machine();
    CompletableFuture<RemoteReply> first = new CompletableFuture<>();
    CompletableFuture<RemoteReply> second = new CompletableFuture<>();
    link.reply = RemoteReply.queued(first);
    Result a = m.add(Door.Open);
    link.reply = RemoteReply.queued(second);
    Result b = m.add(Door.Closed);
    assertThat(a.status()).isEqualTo(Status.QUEUED);
    assertThat(m.queueSize()).isEqualTo(2);
    Wait w = m.whenQueue(a);
    CountDownLatch seen = new CountDownLatch(1);
    a.future().thenRun(seen::countDown);
    first.complete(RemoteReply.canceled("handler openEnter refused"));
    w.await(Duration.ofSeconds(5));
    assertThat(seen.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(a.await(Duration.ofSeconds(1))).isEqualTo(Status.CANCELED);
    assertThat(a.reason()).isEqualTo("handler openEnter refused");
    second.completeExceptionally(new IllegalStateException("outcome unknown: connection lost"));
    assertThatThrownBy(() -> b.await(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("outcome unknown");
    assertThat(m.queueSize()).isZero();
    m.close();
  }

  @Test
  void waitsRegisteredDuringUpdatesCompleteAndLeaveNothingRegistered() throws Exception {
    Mirror<Door> mirror = Mirrors.create(SCHEMA, "d", new ScriptedLink());
    Machine<Door> m = mirror.machine();
    int n = SCHEMA.size();
    var done = new java.util.concurrent.atomic.AtomicBoolean();
    Thread updater = Thread.ofPlatform().start(() -> {
      long k = 0;
      while (!done.get()) {
        k++;
        long[] t = new long[n];
        t[0] = k; // Open's clock: odd while active
        mirror.advance((k & 1) == 1 ? 1 : 0, t, k);
        Thread.onSpinWait();
      }
    });
    List<Thread> waiters = new ArrayList<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    for (int w = 0; w < 8; w++) {
      waiters.add(Thread.ofVirtual().start(() -> {
        try {
          for (int i = 0; i < 300; i++) {
            m.whenTicks(Door.Open, 2).await(Duration.ofSeconds(10));
            m.when(Door.Open).await(Duration.ofSeconds(10));
            m.whenNot(Door.Open).await(Duration.ofSeconds(10));
          }
        } catch (Throwable t) {
          failures.add(t);
        }
      }));
    }
    for (Thread t : waiters) t.join();
    done.set(true);
    updater.join();
    assertThat(failures).isEmpty();
    assertThat(((MirrorMachine<Door>) m).waitCount()).isZero();
    Wait timedOut = m.when(Door.Locked);
    assertThatThrownBy(() -> timedOut.await(Duration.ofMillis(1)))
        .isInstanceOf(TimeoutException.class);
    assertThat(((MirrorMachine<Door>) m).waitCount()).isZero(); // a timed-out wait leaves too
    m.close();
  }

  @Test
  void concurrentReadersNeverSeeAMixOfTwoUpdates() throws Exception {
    Mirror<Door> mirror = Mirrors.create(SCHEMA, "d", new ScriptedLink());
    Machine<Door> m = mirror.machine();
    int n = SCHEMA.size();
    List<Throwable> bad = new CopyOnWriteArrayList<>();
    Thread reader = Thread.ofPlatform().start(() -> {
      for (int i = 0; i < 200_000; i++) {
        Snapshot s = m.snapshot(); // its constructor checks odd clock <=> active
        if (s.is("Open") && s.is("Closed")) bad.add(new AssertionError(s.toString()));
      }
    });
    for (int k = 1; k <= 20_000; k++) {
      long[] t = new long[n];
      boolean open = (k & 1) == 1;
      t[0] = open ? 2L * k - 1 : 2L * k;
      t[1] = open ? 2L * k : 2L * k - 1;
      mirror.advance(open ? 1 : 2, t, k);
    }
    reader.join();
    assertThat(bad).isEmpty();
    assertThat(m.tick(Door.Open)).isEqualTo(40_000);
    m.close();
  }
}
