package dev.stator.examples.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.stator.Event;
import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.Schema;
import dev.stator.StateScope;
import dev.stator.Status;
import dev.stator.Tracer;
import dev.stator.Wait;
import dev.stator.supervision.ActorRegistry;
import dev.stator.supervision.BackgroundService;
import dev.stator.supervision.Lifespan;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * An HTTP server on 127.0.0.1 started as three nested lifespans — the registry of visitors, the
 * audit worker, the listener — and shut down gracefully, in reverse, when the thread running it
 * is interrupted.
 *
 * {@snippet :
 * Thread server = Thread.ofVirtual().start(() -> {
 *   try {
 *     new HelloServer(HelloServer.options()).run(running -> ready.complete(running.uri()));
 *   } catch (InterruptedException e) {
 *     // shut down gracefully; the interruption came back out, as it should
 *   } catch (Exception e) {
 *     // a stage failed to start, to stop, or at runtime: e says which (others suppressed)
 *   }
 * });
 * // GET ready.get().resolve("/hello?client=ada") ...
 * server.interrupt();   // listener, worker, registry torn down, in that order
 * }
 *
 * <h2>Stages</h2>
 * <pre>
 * Registry  an ActorRegistry with one Visitor actor per client; closing it retires them all.
 * Worker    require Registry: a BackgroundService writing one audit record per request;
 *           stopping it drains the queue first.
 * Listener  require Worker: an HttpServer (GET /hello?client=NAME, GET /health) whose
 *           exchanges run on an executor of the given thread factory.
 * </pre>
 * Each stage is a state of a machine, and the stage's resources are owned by that state's
 * scope: the scope is the stage's own nested lifespan (what it opened so far is closed, in
 * reverse, when the state ends — also when its setup failed half-way). The outer lifespan is a
 * {@link Lifespan}: {@link #run} enters the stages in order and tears them down in reverse.
 *
 * <h2>Why both</h2>
 * The stack from "start registry" to "serve until interrupted" is shaped like a call: it has a
 * caller to hand its exceptions and its interruption back to, and its rules are exactly
 * {@code Lifespan}'s (setup in order; a setup failure at step k tears down k−1…1 and never
 * starts k+1; teardown in reverse even when the body is interrupted; a failing teardown does not
 * stop the others; every error surfaces, suppressed in the first; the interruption propagates
 * after teardown, which itself runs with the interrupt status clear). A machine is an actor: it
 * has no caller to give an interruption back to, and a failing {@code xState} handler does not
 * undo its state's activation (the mutation is {@code EXECUTED}; what failed is in
 * {@link Result#failures()}, as are the failures of the scopes it ended); rebuilding Lifespan's
 * contract out of relations would take more glue than it saves. The states earn their place
 * elsewhere: each stage's resources have one owner that releases them on every path, the stages
 * are visible ({@code /health}, the log, {@code when(Listener)}), and a stage failing <em>at
 * runtime</em> is an error state that ends {@link #run} and so shuts the server down in order.
 *
 * <p>A stage's setup runs in its {@code xState} handler, although handlers should not block:
 * these setups are short (bind a port, start a thread), and the handler timeout is raised to the
 * start bound. A stage with a long setup would fork it as a task of its scope (interrupted if the
 * stage is removed) and mark readiness with a state of its own.
 *
 * <h2>Threads</h2>
 * {@link #run} may be called once, from any thread. The machine is not confined: the thread that
 * calls {@code add}/{@code remove} runs the transition, so every stage's setup runs on the thread
 * running the server, and interrupting that thread reaches a setup step that blocks. (A confined
 * machine would run them on its owner thread, where the interrupt of the server's thread could
 * not reach them.) Teardowns run there too, except after a runtime failure, when the machine's
 * drain thread (made by the thread factory) may run them; {@code run} waits for each. The worker
 * reports its failure through its stage's scope, and a mutation made through a scope from a
 * thread that is not draining the machine is always queued and drained by another thread: the
 * worker's thread never runs its own stage's teardown, which waits for it to end.
 */
public final class HelloServer {
  /** The stages; {@code Exception} is the built-in error state. */
  public enum Stage {
    /** The registry of visitors. */
    Registry,
    /** The audit worker. */
    Worker,
    /** The HTTP listener. */
    Listener,
    /** The built-in error state. */
    Exception
  }

  /** Each stage requires the one before it. */
  public static final Schema<Stage> SCHEMA = Schema.of(Stage.class)
      .state(Stage.Worker, s -> s.require(Stage.Registry))
      .state(Stage.Listener, s -> s.require(Stage.Worker))
      .build();

  private static final List<Stage> STAGES = List.of(Stage.Registry, Stage.Worker, Stage.Listener);
  private static final Duration BOUND = Duration.ofSeconds(10); // any one start or stop

  /** Observes and perturbs the stages (tests and the demo; package-private). */
  interface Probe {
    Probe NONE = new Probe() {};

    /** A stage's setup begins (on the thread running the server). */
    default void setUp(Stage stage) throws Exception {}

    /** A stage's own resources have been released; registered first, so it runs last. */
    default void tornDown(Stage stage) throws Exception {}

    /** The worker writes an audit record. */
    default void audit(String record) throws Exception {}
  }

  /** A visitor: one actor per client name, counting its visits. */
  public static final class Visitor {
    private final String name;
    private final AtomicLong visits = new AtomicLong();

    Visitor(String name) {
      this.name = name;
    }

    /** The client's name. */
    public String name() {
      return name;
    }

    long visit() {
      return visits.incrementAndGet();
    }
  }

  /** What {@link #run} hands to its ready callback. */
  public interface Running {
    /** The base URI, {@code http://127.0.0.1:PORT/}. */
    URI uri();

    /** The stages' machine (reads and waits). */
    Machine<Stage> machine();
  }

  private final Options options;
  private final AtomicBoolean ran = new AtomicBoolean();
  private final List<String> audit = new CopyOnWriteArrayList<>();
  private final AtomicLong served = new AtomicLong();
  private final AtomicLong retired = new AtomicLong();
  private final AtomicLong teardowns = new AtomicLong();
  // Written by the stage handlers on the thread running the server; read by later handlers on
  // that thread (registry, worker) or captured when the listener starts.
  private ActorRegistry<String, Visitor> registry;
  private AuditWorker worker;
  private volatile InetSocketAddress address;

  /** A server with these options; {@link #run} starts it. */
  public HelloServer(Options options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  /** Default options: an ephemeral port, 1 s to drain exchanges, virtual threads. */
  public static Options options() {
    return new Options();
  }

  /**
   * Starts the stages in order, calls {@code ready}, and serves until the calling thread is
   * interrupted or a stage fails; then tears the started stages down in reverse.
   *
   * @throws InterruptedException when interrupted (the normal way to stop it), after teardown,
   *     with every teardown error suppressed in it
   * @throws Exception what made a stage fail to start (later stages never started; earlier ones
   *     were torn down) or fail at runtime, with teardown errors suppressed in it; or, if only
   *     teardowns failed, the first of them with the others suppressed
   * @throws IllegalStateException if called twice
   */
  public void run(Consumer<? super Running> ready) throws Exception {
    Objects.requireNonNull(ready, "ready");
    if (!ran.compareAndSet(false, true)) throw new IllegalStateException("HelloServer.run may be called once");
    Lifespan.call("hello-server", life -> {
      Machine<Stage> m = life.enter("machine", this::newMachine, Machine::close);
      for (Stage stage : STAGES) {
        life.enter(stage.name(), () -> start(m, stage), s -> stop(m, s));
      }
      URI uri = URI.create("http://127.0.0.1:" + address.getPort() + "/");
      ready.accept(new Running() {
        @Override
        public URI uri() {
          return uri;
        }

        @Override
        public Machine<Stage> machine() {
          return m;
        }
      });
      throw serveUntilInterruptedOrFailed(m);
    });
  }

  private Machine<Stage> newMachine() {
    Machine.Builder<Stage> b = Machine.of(SCHEMA).id("hello-server").handlers(new Handlers())
        .threadFactory(options.threadFactory)
        .handlerTimeout(BOUND); // a stage's setup runs in its xState handler: bind, start a thread
    if (options.log) b.log();
    if (options.tracer != Tracer.NOOP) b.tracer(options.tracer).listed();
    return b.build();
  }

  /** Step k: activates the stage; if its setup failed, ends it (closing what it opened) and throws. */
  private Stage start(Machine<Stage> m, Stage stage) throws Exception {
    Result added = m.add(stage);
    Status status = added.await(BOUND);
    Exception error = status == Status.EXECUTED ? firstOf(added.failures())
        : new IllegalStateException("stage " + stage + " was refused (" + added.reason()
            + "); active: " + m.activeNames());
    if (error == null) return stage;
    if (m.is(stage)) { // a final handler cannot undo the activation: end it, closing its scope
      Result removed = m.remove(stage);
      if (removed.await(BOUND) == Status.EXECUTED) {
        for (Throwable t : removed.failures()) {
          if (t != error) error.addSuppressed(t);
        }
      }
    }
    throw error;
  }

  /** Teardown of step k: deactivates the stage; its scope closes; throws what failed. */
  private void stop(Machine<Stage> m, Stage stage) throws Exception {
    Result removed = m.remove(stage);
    if (removed.await(BOUND) != Status.EXECUTED) {
      throw new IllegalStateException("stage " + stage + " could not be stopped ("
          + removed.reason() + "); active: " + m.activeNames());
    }
    Exception error = firstOf(removed.failures());
    if (error != null) throw error;
  }

  /** The first of {@code failures} with the others suppressed in it; null if there is none. */
  private static Exception firstOf(List<Throwable> failures) {
    Exception first = null;
    for (Throwable t : failures) {
      if (first == null) {
        first = asException(t);
      } else if (t != first) {
        first.addSuppressed(t);
      }
    }
    return first;
  }

  /** Blocks until interrupted (throws) or a stage fails at runtime (returns the failure). */
  private static Exception serveUntilInterruptedOrFailed(Machine<Stage> m) throws InterruptedException {
    Wait error = m.whenError();
    try {
      error.future().get();
    } catch (InterruptedException e) {
      error.cancel();
      throw e;
    } catch (ExecutionException e) {
      return new IllegalStateException("waiting for a stage failure", e.getCause());
    }
    Throwable t = m.lastError();
    return new IllegalStateException("a stage of the server failed at runtime: " + t, t);
  }

  private static Exception asException(Throwable t) {
    if (t instanceof Exception e) return e;
    if (t instanceof Error e) throw e;
    return new IllegalStateException(t);
  }

  // ------------------------------------------------------------------ stages

  /** The stage handlers: each opens its stage's resources in its state's scope. */
  private final class Handlers {
    void registryState(Event<Stage> e) throws Exception {
      StateScope<Stage> scope = e.scope();
      options.probe.setUp(Stage.Registry);
      scope.open(() -> probeTeardown(Stage.Registry));
      registry = scope.open(() -> ActorRegistry.<String, Visitor>builder("visitors",
              (name, tasks) -> new Visitor(name))
          .cleanup((name, visitor) -> retired.incrementAndGet())
          .threadFactory(options.threadFactory)
          .build());
    }

    void workerState(Event<Stage> e) throws Exception {
      StateScope<Stage> scope = e.scope();
      options.probe.setUp(Stage.Worker);
      scope.open(() -> probeTeardown(Stage.Worker));
      AtomicReference<Exception> reported = new AtomicReference<>();
      AuditWorker w = new AuditWorker(record -> {
        try {
          options.probe.audit(record);
        } catch (Exception failure) {
          reported.set(failure);
          // A runtime failure of this stage: the error state ends run(), which shuts down.
          // Made through the scope, the mutation is queued and drained by another thread, so
          // this (the worker's) thread never runs the stage's teardown, which waits for it.
          scope.machine().addError(failure);
          throw failure;
        }
      }, audit);
      BackgroundService service = BackgroundService.builder("audit")
          .threadFactory(options.threadFactory).build(w);
      scope.open(() -> () -> { // registered before the start: a half-started worker is stopped too
        w.finish();
        if (service.stop(BOUND)) return;
        Throwable failure = service.failure();
        if (failure == null) {
          throw new IllegalStateException("the audit worker did not stop within " + BOUND);
        }
        if (failure != reported.get()) { // not yet surfaced (a failing shutDown, for example)
          throw new IllegalStateException("the audit worker failed", failure);
        } // else: reported to the machine when it happened (and logged by the service)
      });
      service.start();
      service.awaitStarted(BOUND);
      worker = w;
    }

    void listenerState(Event<Stage> e) throws Exception {
      StateScope<Stage> scope = e.scope();
      options.probe.setUp(Stage.Listener);
      scope.open(() -> probeTeardown(Stage.Listener));
      ExecutorService exchanges = Executors.newThreadPerTaskExecutor(options.threadFactory);
      scope.open(() -> () -> { // after the server stopped: wait (bounded) for exchanges still running
        exchanges.shutdown();
        if (!exchanges.awaitTermination(BOUND.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
          exchanges.shutdownNow();
          throw new IllegalStateException("exchanges still running " + BOUND + " after the listener stopped");
        }
      });
      HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), options.port), 0);
      scope.open(() -> () -> http.stop(options.drainSeconds)); // stop accepting, drain, close
      ActorRegistry<String, Visitor> visitors = registry;
      AuditWorker auditor = worker;
      Machine<Stage> machine = scope.machine();
      http.createContext("/hello", exchange -> hello(exchange, visitors, auditor));
      http.createContext("/health", exchange -> respond(exchange, 200, "stages " + machine.activeNames()));
      http.setExecutor(exchanges);
      http.start();
      address = http.getAddress();
    }
  }

  private AutoCloseable probeTeardown(Stage stage) {
    return () -> {
      teardowns.incrementAndGet();
      options.probe.tornDown(stage);
    };
  }

  private void hello(HttpExchange exchange, ActorRegistry<String, Visitor> visitors, AuditWorker auditor)
      throws IOException {
    String query = exchange.getRequestURI().getQuery();
    String name = query != null && query.startsWith("client=") ? query.substring(7) : "";
    if (name.isBlank() || !exchange.getRequestMethod().equals("GET")) {
      respond(exchange, 400, "GET /hello?client=NAME");
      return;
    }
    Visitor visitor;
    try {
      visitor = visitors.getOrStart(name);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      respond(exchange, 503, "shutting down");
      return;
    } catch (IllegalStateException closed) {
      respond(exchange, 503, "shutting down");
      return;
    }
    long n = visitor.visit();
    auditor.submit("GET /hello " + name + " #" + n);
    served.incrementAndGet();
    respond(exchange, 200, "hello " + name + ", visit " + n);
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  // ------------------------------------------------------------------ figures

  /** Requests answered with 200. */
  public long served() {
    return served.get();
  }

  /** Audit records written, in order. */
  public List<String> audit() {
    return List.copyOf(audit);
  }

  /** Visitor actors retired (their cleanup ran). */
  public long retired() {
    return retired.get();
  }

  /** Stage teardowns run (each stage's last release). */
  public long teardowns() {
    return teardowns.get();
  }

  // ------------------------------------------------------------------ options

  /** Options of a {@link HelloServer}; validated when set. */
  public static final class Options {
    ThreadFactory threadFactory = Thread.ofVirtual().name("hello-", 0).factory();
    int port;
    int drainSeconds = 1;
    boolean log;
    Tracer tracer = Tracer.NOOP;
    Probe probe = Probe.NONE;

    Options() {}

    /** Every thread of the server: machine, worker, exchanges (default: virtual threads). */
    public Options threadFactory(ThreadFactory factory) {
      this.threadFactory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /** The port on 127.0.0.1 (default 0: an ephemeral port). */
    public Options port(int port) {
      if (port < 0 || port > 65_535) throw new IllegalArgumentException("port out of range: " + port);
      this.port = port;
      return this;
    }

    /** How long stopping waits for running exchanges, in seconds (default 1). */
    public Options drainSeconds(int seconds) {
      if (seconds < 0) throw new IllegalArgumentException("drain seconds must not be negative: " + seconds);
      this.drainSeconds = seconds;
      return this;
    }

    /** Logs the stages' transitions. */
    public Options log(boolean log) {
      this.log = log;
      return this;
    }

    /**
     * Traces the stages' transitions with {@code tracer} (a {@code History}'s, for the
     * inspector) and lists the server's machine ({@code Machine.Builder.listed()}).
     */
    public Options tracer(Tracer tracer) {
      this.tracer = Objects.requireNonNull(tracer, "tracer");
      return this;
    }

    Options probe(Probe probe) {
      this.probe = Objects.requireNonNull(probe, "probe");
      return this;
    }
  }
}
