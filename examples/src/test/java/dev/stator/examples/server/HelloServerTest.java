package dev.stator.examples.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.Machine;
import dev.stator.examples.server.HelloServer.Stage;
import dev.stator.examples.session.CountingThreadFactory;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server's nested lifespans: start in order, serve a real HTTP request on 127.0.0.1, shut
 * down on interruption in reverse; every teardown runs when one fails; every error surfaces; the
 * interruption comes back out; a setup failure at step k tears down k−1…1 and never starts k+1.
 *
 * <p>No test sleeps: each waits for an event (the ready callback, the run's outcome, a latch in
 * the probe), bounded by {@link #WAIT}.
 */
@Timeout(30)
class HelloServerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private CountingThreadFactory threads;
  private RecordingProbe probe;
  private HttpClient http;
  private final List<Run> runs = new ArrayList<>();

  @BeforeEach
  void setUp() {
    threads = new CountingThreadFactory("server");
    probe = new RecordingProbe();
    http = HttpClient.newBuilder().connectTimeout(WAIT).build();
  }

  @AfterEach
  void nothingLeft() throws Exception {
    http.close();
    for (Run r : runs) {
      if (r.thread.isAlive()) r.thread.interrupt();
      r.thread.join(WAIT);
      assertThat(r.thread.isAlive()).isFalse();
    }
    CountingThreadFactory.awaitTermination(threads.threads(), WAIT); // machine, worker, exchanges
    assertThat(threads.ended()).isEqualTo(threads.created());
  }

  /** A server running on its own thread. */
  final class Run {
    final HelloServer server;
    final Thread thread;
    final CompletableFuture<HelloServer.Running> ready = new CompletableFuture<>();
    final CompletableFuture<Throwable> outcome = new CompletableFuture<>(); // null: returned

    Run(HelloServer.Options options) {
      server = new HelloServer(options.threadFactory(threads).drainSeconds(1).probe(probe));
      thread = Thread.ofVirtual().name("server-run").start(() -> {
        try {
          server.run(ready::complete);
          outcome.complete(null);
        } catch (Throwable t) {
          outcome.complete(t);
        } finally {
          ready.completeExceptionally(new IllegalStateException("run ended before it was ready"));
        }
      });
      runs.add(this);
    }

    HelloServer.Running awaitReady() throws Exception {
      return ready.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Interrupts the thread running the server and returns what run() threw. */
    Throwable interrupt() throws Exception {
      thread.interrupt();
      return awaitOutcome();
    }

    Throwable awaitOutcome() throws Exception {
      Throwable t = outcome.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      thread.join(WAIT);
      return t;
    }
  }

  private Run start() {
    return new Run(HelloServer.options());
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).timeout(WAIT).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void assertRefused(URI uri) {
    assertThatThrownBy(() -> {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), uri.getPort()), 2_000);
      }
    }).isInstanceOf(ConnectException.class);
  }

  /** Every throwable suppressed in {@code t}, and in those, depth first (scope closes nest theirs). */
  private static List<Throwable> suppressed(Throwable t) {
    List<Throwable> all = new ArrayList<>();
    for (Throwable s : t.getSuppressed()) {
      all.add(s);
      all.addAll(suppressed(s));
    }
    return all;
  }

  private static final List<String> FULL_LIFE = List.of(
      "setUp Registry", "setUp Worker", "setUp Listener",
      "tornDown Listener", "tornDown Worker", "tornDown Registry");

  // ------------------------------------------------------------------ serving and shutdown

  @Test
  void servesRealRequestsOnLoopbackAndDrainsTheAuditOnShutdown() throws Exception {
    Run run = start();
    HelloServer.Running running = run.awaitReady();
    assertThat(running.uri().getHost()).isEqualTo("127.0.0.1");

    HttpResponse<String> first = get(running.uri().resolve("hello?client=ada"));
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).isEqualTo("hello ada, visit 1\n");
    assertThat(get(running.uri().resolve("hello?client=ada")).body()).isEqualTo("hello ada, visit 2\n");
    assertThat(get(running.uri().resolve("hello?client=bob")).body()).isEqualTo("hello bob, visit 1\n");
    assertThat(get(running.uri().resolve("health")).body())
        .isEqualTo("stages [Registry, Worker, Listener]\n");
    assertThat(get(running.uri().resolve("hello")).statusCode()).isEqualTo(400);

    assertThat(run.interrupt()).isInstanceOf(InterruptedException.class);
    HelloServer s = run.server;
    assertThat(s.served()).isEqualTo(3);
    // the worker was stopped after the listener, and wrote everything queued before it stopped
    assertThat(s.audit()).containsExactly(
        "GET /hello ada #1", "GET /hello ada #2", "GET /hello bob #1");
    assertThat(s.retired()).isEqualTo(2); // both visitors retired when the registry closed
    assertRefused(running.uri());
  }

  @Test
  void interruptionTearsDownInReverseOrderAndPropagates() throws Exception {
    Run run = start();
    HelloServer.Running running = run.awaitReady();
    Machine<Stage> m = running.machine();
    assertThat(m.activeNames()).containsExactly("Registry", "Worker", "Listener");
    assertThat(probe.events).containsExactly("setUp Registry", "setUp Worker", "setUp Listener");

    Throwable outcome = run.interrupt();
    assertThat(outcome).isInstanceOf(InterruptedException.class);
    assertThat(outcome.getSuppressed()).isEmpty();
    assertThat(probe.events).containsExactlyElementsOf(FULL_LIFE);
    assertThat(run.server.teardowns()).isEqualTo(3);
    assertThat(m.isClosed()).isTrue();
    assertThat(m.activeNames()).isEmpty();
    assertRefused(running.uri());
  }

  @Test
  void everyTeardownRunsWhenOneFailsAndEveryErrorSurfacesWithTheInterruption() throws Exception {
    IllegalStateException listenerFailure = new IllegalStateException("listener teardown failed");
    IOException workerFailure = new IOException("worker teardown failed");
    probe.fail("tornDown Listener", listenerFailure);
    probe.fail("tornDown Worker", workerFailure);
    Run run = start();
    HelloServer.Running running = run.awaitReady();
    assertThat(get(running.uri().resolve("hello?client=ada")).statusCode()).isEqualTo(200);

    Throwable outcome = run.interrupt();
    assertThat(outcome).isInstanceOf(InterruptedException.class); // the interruption still wins
    assertThat(probe.events).containsExactlyElementsOf(FULL_LIFE); // and nothing was skipped
    List<Throwable> errors = suppressed(outcome);
    assertThat(errors).contains(listenerFailure, workerFailure);
    assertThat(errors.indexOf(listenerFailure)).isLessThan(errors.indexOf(workerFailure)); // teardown order
    assertThat(outcome.getSuppressed()).hasSize(2); // one per failing stage, naming it
    assertThat(outcome.getSuppressed()[0]).hasMessageContaining("scope of Listener");
    assertThat(outcome.getSuppressed()[1]).hasMessageContaining("scope of Worker");
    assertThat(run.server.audit()).containsExactly("GET /hello ada #1"); // the worker still drained
    assertThat(run.server.retired()).isEqualTo(1); // the registry still closed
    assertRefused(running.uri());
  }

  // ------------------------------------------------------------------ setup failures

  @Test
  void aSetupFailureAtTheFirstStepStartsNothingElse() throws Exception {
    Exception boom = new IllegalStateException("registry cannot start");
    probe.fail("setUp Registry", boom);
    Run run = start();
    assertThat(run.awaitOutcome()).isSameAs(boom);
    assertThat(probe.events).containsExactly("setUp Registry");
    assertThat(run.ready).isCompletedExceptionally();
  }

  @Test
  void aSetupFailureAtStepTwoTearsDownStepOneAndNeverStartsStepThree() throws Exception {
    Exception boom = new IllegalStateException("worker cannot start");
    probe.fail("setUp Worker", boom);
    Run run = start();
    Throwable outcome = run.awaitOutcome();
    assertThat(outcome).isSameAs(boom);
    assertThat(outcome.getSuppressed()).isEmpty();
    assertThat(probe.events).containsExactly("setUp Registry", "setUp Worker", "tornDown Registry");
    assertThat(run.ready).isCompletedExceptionally(); // never served
  }

  @Test
  void aListenerThatCannotBindClosesWhatItOpenedAndTearsDownTheRest() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Run run = new Run(HelloServer.options().port(taken.getLocalPort()));
      Throwable outcome = run.awaitOutcome();
      assertThat(outcome).isInstanceOf(BindException.class);
      // the listener's half-done setup (its executor) was released by its scope, then the others
      assertThat(probe.events).containsExactlyElementsOf(FULL_LIFE);
      assertThat(run.ready).isCompletedExceptionally();
      assertThat(run.server.served()).isZero();
    }
  }

  @Test
  void aSetupFailureCarriesTheTeardownErrorsOfTheStepsBeforeIt() throws Exception {
    Exception boom = new IllegalStateException("listener cannot start");
    IOException workerFailure = new IOException("worker teardown failed");
    probe.fail("setUp Listener", boom);
    probe.fail("tornDown Worker", workerFailure);
    Run run = start();
    Throwable outcome = run.awaitOutcome();
    assertThat(outcome).isSameAs(boom);
    assertThat(suppressed(outcome)).contains(workerFailure);
    assertThat(probe.events).containsExactly("setUp Registry", "setUp Worker", "setUp Listener",
        "tornDown Worker", "tornDown Registry");
  }

  @Test
  void anInterruptDuringSetupTearsDownWhatStartedAndPropagates() throws Exception {
    CountDownLatch entered = probe.blockIn("setUp Worker");
    Run run = start();
    assertThat(entered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    Throwable outcome = run.interrupt();
    assertThat(outcome).isInstanceOf(InterruptedException.class);
    assertThat(probe.events).containsExactly("setUp Registry", "setUp Worker", "tornDown Registry");
    assertThat(run.ready).isCompletedExceptionally();
  }

  // ------------------------------------------------------------------ runtime failure

  @Test
  void aStageFailingAtRuntimeShutsTheServerDownInOrder() throws Exception {
    Exception diskFull = new IOException("audit disk full");
    probe.fail("audit GET /hello crash #1", diskFull);
    Run run = start();
    HelloServer.Running running = run.awaitReady();
    assertThat(get(running.uri().resolve("hello?client=crash")).statusCode()).isEqualTo(200);

    Throwable outcome = run.awaitOutcome(); // no interrupt: the worker's failure ended run()
    assertThat(outcome).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("failed at runtime").hasCause(diskFull);
    assertThat(outcome.getSuppressed()).isEmpty(); // reported once, not again by the teardown
    assertThat(probe.events).containsExactlyElementsOf(FULL_LIFE);
    assertRefused(running.uri());
    // The worker reported its failure from its own thread, through its stage's scope: that
    // mutation drained elsewhere, so the worker's thread ran no teardown (Worker's waits for it).
    Thread worker = probe.threadOf.get("audit GET /hello crash #1");
    assertThat(worker).isNotNull();
    for (Stage stage : List.of(Stage.Listener, Stage.Worker, Stage.Registry)) {
      Thread tornDownBy = probe.threadOf.get("tornDown " + stage);
      assertThat(tornDownBy).as("teardown of %s", stage).isNotSameAs(worker);
      assertThat(tornDownBy == run.thread || threads.threads().contains(tornDownBy))
          .as("%s torn down by the run thread or a thread of the server's factory, not %s",
              stage, tornDownBy)
          .isTrue();
    }
  }

  /** Records the stages' setups and teardowns; fails or blocks where a test says. */
  static final class RecordingProbe implements HelloServer.Probe {
    final List<String> events = new CopyOnWriteArrayList<>();
    final Map<String, Thread> threadOf = new ConcurrentHashMap<>(); // the last thread of each event
    private final Map<String, Exception> failures = new ConcurrentHashMap<>();
    private final Map<String, CountDownLatch> blocks = new ConcurrentHashMap<>();

    void fail(String event, Exception failure) {
      failures.put(event, failure);
    }

    /** Blocks {@code event} until its thread is interrupted; the latch says it got there. */
    CountDownLatch blockIn(String event) {
      CountDownLatch entered = new CountDownLatch(1);
      blocks.put(event, entered);
      return entered;
    }

    private void happen(String event, boolean record) throws Exception {
      if (record) events.add(event);
      threadOf.put(event, Thread.currentThread());
      CountDownLatch entered = blocks.get(event);
      if (entered != null) {
        entered.countDown();
        new CountDownLatch(1).await(); // until interrupted
      }
      Exception f = failures.get(event);
      if (f != null) throw f;
    }

    @Override
    public void setUp(Stage stage) throws Exception {
      happen("setUp " + stage, true);
    }

    @Override
    public void tornDown(Stage stage) throws Exception {
      happen("tornDown " + stage, true);
    }

    @Override
    public void audit(String record) throws Exception {
      happen("audit " + record, false);
    }
  }
}
