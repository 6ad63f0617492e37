package dev.stator.inspect;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A test's event-stream reader: parses SSE on a virtual thread into a queue of events. */
final class SseClient implements AutoCloseable {
  record Event(String name, String data) {}

  /** Put when the stream ended. */
  static final Event END = new Event("<end>", "");

  private final HttpClient http = HttpClient.newHttpClient();
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Thread reader;
  private volatile InputStream body;

  SseClient(URI uri) throws Exception {
    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(uri + " answered " + r.statusCode() + ": "
          + new String(r.body().readAllBytes(), StandardCharsets.UTF_8));
    }
    body = r.body();
    reader = Thread.ofVirtual().start(this::read);
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(body,
        StandardCharsets.UTF_8))) {
      String name = "message";
      StringBuilder data = new StringBuilder();
      for (String line; (line = in.readLine()) != null;) {
        if (line.isEmpty()) {
          if (!data.isEmpty() || !name.equals("message")) events.add(new Event(name,
              data.toString()));
          name = "message";
          data.setLength(0);
        } else if (line.startsWith("event:")) {
          name = line.substring(6).strip();
        } else if (line.startsWith("data:")) {
          if (!data.isEmpty()) data.append('\n');
          data.append(line.substring(5).strip());
        }
      }
    } catch (Exception e) {
      // closed by the test or the server
    } finally {
      events.add(END);
    }
  }

  /** The next event other than {@code machines}, waiting at most 10 s. */
  Event next() throws InterruptedException {
    for (;;) {
      Event e = events.poll(10, TimeUnit.SECONDS);
      if (e == null) throw new AssertionError("no event within 10 s");
      if (!e.name().equals("machines")) return e;
    }
  }

  /** The events received so far and not yet taken. */
  java.util.List<Event> drain() {
    java.util.List<Event> out = new java.util.ArrayList<>();
    events.drainTo(out);
    return out;
  }

  @Override
  public void close() throws Exception {
    body.close();
    reader.interrupt();
    http.close();
  }
}
