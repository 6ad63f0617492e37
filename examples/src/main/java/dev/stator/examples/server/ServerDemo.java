package dev.stator.examples.server;

import dev.stator.examples.DemoPart;
import dev.stator.examples.server.HelloServer.Stage;
import dev.stator.examples.session.CountingThreadFactory;
import dev.stator.Tracer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Demo section: an HTTP server on 127.0.0.1 starts as nested lifespans (registry, worker,
 * listener), serves requests, and shuts down gracefully, in reverse, when its thread is
 * interrupted; the interruption comes back out of {@code run}.
 */
public final class ServerDemo implements DemoPart {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private final Tracer tracer;

  /** A section whose server is not traced. */
  public ServerDemo() {
    this(Tracer.NOOP);
  }

  /** A section whose server's machine is traced by {@code tracer} and listed for the inspector. */
  public ServerDemo(Tracer tracer) {
    this.tracer = tracer;
  }

  @Override
  public String title() {
    return "http server";
  }

  @Override
  public Map<String, Long> run(PrintStream out) throws Exception {
    out.println("An HTTP server started as nested lifespans: registry, then worker, then listener.");
    out.println("Each stage is a state that requires the one before; its scope owns its resources.");
    CountingThreadFactory threads = new CountingThreadFactory("server");
    HelloServer server = new HelloServer(HelloServer.options().threadFactory(threads).log(true).tracer(tracer)
        .probe(new HelloServer.Probe() {
          @Override
          public void setUp(Stage stage) {
            out.println("   set up " + stage);
          }

          @Override
          public void tornDown(Stage stage) {
            out.println("   torn down " + stage);
          }
        }));
    CompletableFuture<URI> ready = new CompletableFuture<>();
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    out.println("\n1. start");
    Thread runner = Thread.ofVirtual().name("server-run").start(() -> {
      try {
        server.run(running -> ready.complete(running.uri()));
        outcome.complete(null);
      } catch (Throwable t) {
        outcome.complete(t);
      } finally {
        ready.completeExceptionally(new IllegalStateException("the server did not start"));
      }
    });
    URI uri = ready.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    out.println("   serving on " + uri);

    out.println("\n2. serve");
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(WAIT).build()) {
      for (String path : new String[] {"hello?client=ada", "hello?client=ada", "hello?client=bob", "health"}) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri.resolve(path)).timeout(WAIT).build(),
            HttpResponse.BodyHandlers.ofString());
        out.print("   GET /" + path + " -> " + r.statusCode() + " " + r.body());
      }
    }

    out.println("\n3. interrupt the thread running the server: teardown in reverse");
    runner.interrupt();
    Throwable t = outcome.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    runner.join(WAIT);
    out.println("   run() threw " + t + " after teardown (the interruption propagates)");
    out.println("   audit records written before the worker stopped: " + server.audit());
    CountingThreadFactory.awaitTermination(threads.threads(), WAIT);
    boolean stillListening = accepts(uri);
    out.println("   port " + uri.getPort() + " still accepting: " + stillListening);

    Map<String, Long> figures = new LinkedHashMap<>();
    figures.put("requests served", server.served());
    figures.put("audit records", (long) server.audit().size());
    figures.put("visitors retired", server.retired());
    figures.put("teardowns run", server.teardowns());
    figures.put("interrupt propagated", t instanceof InterruptedException ? 1L : 0L);
    figures.put("leaks", (long) (threads.created() - threads.ended()) + (stillListening ? 1 : 0));
    return figures;
  }

  private static boolean accepts(URI uri) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), uri.getPort()), 1_000);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }
}
