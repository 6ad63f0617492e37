package dev.stator.rpc;

import static dev.stator.rpc.Fixture.OPERATOR;
import static dev.stator.rpc.Fixture.SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import dev.stator.rpc.Fixture.Door;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mTLS with grpc-testing's certificates (server1 for *.test.google.fr, signed by ca). */
class TlsTest {
  @TempDir Path dir;
  private Set<String> threadsBefore;
  private Machine<Door> door;

  @BeforeEach
  void start() {
    threadsBefore = Fixture.transportThreads();
    door = Fixture.door("door-1");
  }

  @AfterEach
  void stop() throws Exception {
    door.close();
    Fixture.noThreadsLeft(threadsBefore);
  }

  private RpcServer.Builder tlsServer() {
    return RpcServer.builder().port(0)
        .tls(Fixture.cert(dir, "server1.pem"), Fixture.cert(dir, "server1.key"))
        .expose(door).client("operator", OPERATOR, Grant.mutate("door-1"));
  }

  private RpcClient.Builder tlsClient(RpcServer server) {
    return RpcClient.builder().target("localhost", server.port())
        .tls(dir.resolve("ca.pem")).authority("foo.test.google.fr").token(OPERATOR)
        .backoff(Duration.ofMillis(20), Duration.ofMillis(100));
  }

  @Test
  void aMachineIsMirroredAndDrivenOverTlsWithAToken() throws Exception {
    Fixture.cert(dir, "ca.pem");
    try (RpcServer server = tlsServer().start(); RpcClient client = tlsClient(server).build()) {
      RemoteMachine<Door> remote = client.attach("door-1", SCHEMA);
      Fixture.connected(remote);
      assertThat(remote.machine().add(Door.Open).executed()).isTrue();
      assertThat(door.is(Door.Open)).isTrue();
    }
  }

  @Test
  void withClientCertificatesRequiredOnlyAClientWithOneConnects() throws Exception {
    Path ca = Fixture.cert(dir, "ca.pem");
    Path clientPem = Fixture.cert(dir, "client.pem");
    Path clientKey = Fixture.cert(dir, "client.key");
    try (RpcServer server = tlsServer().clientCa(ca).start();
        RpcClient withCert = tlsClient(server).clientCertificate(clientPem, clientKey).build();
        RpcClient without = tlsClient(server).build()) {
      RemoteMachine<Door> ok = withCert.attach("door-1", SCHEMA);
      Fixture.connected(ok);
      assertThat(ok.machine().add(Door.Closed).executed()).isTrue();

      RemoteMachine<Door> refused = without.attach("door-1", SCHEMA);
      refused.connection().when(Connection.ErrNetwork).await(Duration.ofSeconds(10));
      assertThat(refused.connection().is(Connection.Connected)).isFalse();
      assertThat(refused.lastFailure()).startsWith("UNAVAILABLE");
      assertThat(refused.machine().add(Door.Open).canceled()).isTrue();
      assertThat(door.is(Door.Open)).isFalse();
    }
  }

  @Test
  void aPlaintextClientCannotTalkToATlsServer() throws Exception {
    try (RpcServer server = tlsServer().start();
        RpcClient plain = Fixture.client(server, OPERATOR)) {
      RemoteMachine<Door> r = plain.attach("door-1", SCHEMA);
      r.connection().when(Connection.ErrNetwork).await(Duration.ofSeconds(10));
      assertThat(r.connection().is(Connection.Connected)).isFalse();
    }
  }
}
