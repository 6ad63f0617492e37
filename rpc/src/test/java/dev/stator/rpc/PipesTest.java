package dev.stator.rpc;

import static dev.stator.rpc.Fixture.OPERATOR;
import static dev.stator.rpc.Fixture.SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.Status;
import dev.stator.rpc.Fixture.Door;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Pipes between local machines and to a remote one. */
class PipesTest {
  enum Lamp { Lit, Alarm, Powered }

  static final Schema<Lamp> LAMP = Schema.of(Lamp.class)
      .state(Lamp.Lit, s -> s.require(Lamp.Powered))
      .build();

  @Test
  void aStateFollowsItsSourceIncludingAPulse() throws Exception {
    try (Machine<Door> door = Machine.of(SCHEMA).build();
        Machine<Lamp> lamp = Machine.of(LAMP).build();
        Pipes.Pipe pipe = Pipes.bindMany(door, lamp, Map.of(Door.Open, Lamp.Powered))) {
      door.add(Door.Open);
      lamp.when(Lamp.Powered).await(Duration.ofSeconds(5));
      door.add(Door.Closed);
      lamp.whenNot(Lamp.Powered).await(Duration.ofSeconds(5));
      long ticks = lamp.tick(Lamp.Powered);
      assertThat(ticks).isEqualTo(2);
      assertThat(pipe.isOpen()).isTrue();
    }
  }

  @Test
  void thePipeNeverBlocksTheSourceWhenTheTargetIsSlow() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (Machine<Door> door = Machine.of(SCHEMA).build();
        Machine<Lamp> lamp = Machine.of(LAMP).noHandlerTimeout()
            .onState(Lamp.Powered, e -> {
              try {
                release.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
              }
            }).build();
        Pipes.Pipe pipe = Pipes.bind(door, Door.Open, lamp, Lamp.Powered)) {
      for (int i = 0; i < 200; i++) { // the target is stuck in a handler all along
        assertThat(door.toggle(Door.Open).status()).isEqualTo(Status.EXECUTED);
      }
      assertThat(door.is(Door.Open)).isFalse();
      release.countDown();
      lamp.whenNot(Lamp.Powered).await(Duration.ofSeconds(5));
      lamp.whenQueue(lamp.add(Lamp.Alarm)).await(Duration.ofSeconds(5));
      door.add(Door.Open);
      lamp.when(Lamp.Powered).await(Duration.ofSeconds(5));
    }
  }

  @Test
  void aPipeOwnedByAScopeEndsWithItsState() throws Exception {
    AtomicReference<Pipes.Pipe> made = new AtomicReference<>();
    try (Machine<Lamp> lamp = Machine.of(LAMP).build();
        Machine<Door> door = Machine.of(SCHEMA)
            .onState(Door.Closed, e -> made.set(
                Pipes.bind(e.scope(), e.machine(), Door.Locked, lamp, Lamp.Powered)))
            .build()) {
      door.add(Door.Closed);
      door.add(Door.Locked);
      lamp.when(Lamp.Powered).await(Duration.ofSeconds(5));
      door.add(Door.Open); // Closed (and Locked) end: the pipe ends with Closed's scope
      Pipes.Pipe first = made.get();
      door.whenIdle().await(Duration.ofSeconds(5)); // Closed's scope has closed its resources
      assertThat(first.isOpen()).as("the pipe ends with Closed's scope").isFalse();
      lamp.remove(Lamp.Powered);
      door.add(Door.Closed); // a new activation of Closed makes a new pipe
      assertThat(made.get()).isNotSameAs(first);
      door.add(Door.Locked);
      lamp.when(Lamp.Powered).await(Duration.ofSeconds(5));
      assertThat(made.get().isOpen()).isTrue();
      made.get().close();
      assertThat(made.get().isOpen()).isFalse();
    }
  }

  @Test
  void errorsArePipedToAnErrorState() throws Exception {
    try (Machine<Door> door = Machine.of(SCHEMA).build();
        Machine<Lamp> lamp = Machine.of(LAMP).build();
        Pipes.Pipe pipe = Pipes.bindError(door, lamp, Lamp.Alarm)) {
      door.addError(new IllegalStateException("jammed"));
      lamp.when(Lamp.Alarm).await(Duration.ofSeconds(5));
      assertThat(lamp.hasError()).isTrue();
      assertThat(lamp.lastError()).hasMessage("jammed");
    }
  }

  @Test
  void aRemoteTargetIsPipedLikeALocalOne() throws Exception {
    Machine<Door> remoteDoor = Fixture.door("door-1");
    try (Machine<Lamp> lamp = Machine.of(LAMP).build();
        RpcServer server = Fixture.server(remoteDoor).start();
        RpcClient client = Fixture.client(server, OPERATOR)) {
      RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
      Fixture.connected(remote);
      try (Pipes.Pipe toRemote = Pipes.bind(lamp, Lamp.Powered, remote.machine(), Door.Closed);
          Pipes.Pipe fromRemote = Pipes.bind(remote.machine(), Door.Closed, lamp, Lamp.Alarm)) {
        lamp.add(Lamp.Powered);
        remoteDoor.when(Door.Closed).await(Duration.ofSeconds(5)); // on the server
        lamp.when(Lamp.Alarm).await(Duration.ofSeconds(5)); // and back from the mirror
        lamp.remove(Lamp.Powered);
        remoteDoor.whenNot(Door.Closed).await(Duration.ofSeconds(5));
        lamp.whenNot(Lamp.Alarm).await(Duration.ofSeconds(5));
      }
    } finally {
      remoteDoor.close();
    }
  }
}
