package dev.stator.inspect;

import dev.stator.history.History;
import dev.stator.history.Recording;
import io.helidon.webserver.WebServer;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * A running inspector: a web page and a JSON API over an {@link InspectorSource}, served by an
 * embedded HTTP server, with live updates over server-sent events.
 *
 * {@snippet :
 * History history = History.builder().build();
 * Machine<Conn> m = Machine.of(SCHEMA).listed().tracer(history.tracer()).build();
 * try (Inspector inspector = Inspector.start(0, history)) {
 *   System.out.println("inspect at " + inspector.url());
 *   // ... run the program; the page shows m live
 * }
 * }
 *
 * <h2>Security</h2>
 * The inspector shows every listed machine's states and recorded errors, so by default it binds
 * the loopback address {@code 127.0.0.1}. Bound to any other address it needs a
 * {@linkplain Builder#token(String) token}, which every request must carry as
 * {@code Authorization: Bearer <token>} or as the query parameter {@code token} (the page
 * reads it from its own URL; {@link #url()} includes it). The page and API are read-only: they
 * never mutate a machine.
 *
 * <h2>Endpoints</h2>
 * {@code /} (the page), {@code /api/machines}, {@code /api/machines/{id}} (schema with layout),
 * {@code /api/machines/{id}/records?since=N}, {@code /api/machines/{id}/at/{transition}},
 * {@code /api/machines/{id}/explain/{transition}}, {@code /api/machines/{id}/scopes},
 * {@code /api/export} (JSON lines, {@link Recording#write}), {@code POST /api/recordings} (import
 * a recording; the other endpoints read it with {@code ?source=<name>}) and
 * {@code /api/events} (the event stream); {@code docs/inspector.md} describes each.
 *
 * <h2>Imported recordings</h2>
 * The page's "Open recording" button posts a recording's JSON lines; the inspector keeps the
 * latest four (each at most {@linkplain Builder#importLimit a limit}, 16 MiB by default) beside
 * what it shows live, and the page opens one by its name. An import must carry the header
 * {@code X-Stator-Import}, so that a page of another site cannot post one through the browser
 * of someone who has the inspector open.
 *
 * <h2>Thread safety and lifecycle</h2>
 * An inspector is started by {@link Builder#start()} and runs until {@link #close()}; every
 * method may be called from any thread. Requests are served on virtual threads; one daemon
 * thread polls the source for new records every {@linkplain Builder#pollInterval poll
 * interval} and sends what it found as one event of at most
 * {@linkplain Builder#eventRecords records} (a page told that some were left out says it
 * sampled); each event-stream client has a bounded buffer of
 * {@linkplain Builder#clientBuffer events}: a client that falls that far behind gets a
 * {@code resync} event and reloads, so a slow page never makes the server buffer without bound
 * (at most {@code clientBuffer × eventRecords} records per client).
 * The inspector only reads machines and the history; it adds no tracer and records nothing of
 * its own.
 */
public final class Inspector implements AutoCloseable {
  /* Design: the lifecycle is RUNNING -> CLOSED, one CAS; close stops the poller, ends every
   * event stream (EventHub.closeAll, so their request threads return) and then stops the
   * server, which waits for requests in flight. State changes are announced by polling the
   * source (History offers no callback), see Poller and LiveSource. */

  private enum State { RUNNING, CLOSED }

  /** The recordings imported from the page that are kept; one more forgets the oldest. */
  static final int IMPORTS_KEPT = 4;

  private final AtomicReference<State> state = new AtomicReference<>(State.RUNNING);
  private final WebServer server; // written once by start
  private final ScheduledExecutorService poller;
  private final Poller pump;
  private final EventHub hub;
  private final InspectorSource source;
  private final String host;
  private final @Nullable String token;

  private Inspector(Builder b, InspectorSource source) {
    this.source = source;
    this.host = b.bind;
    this.token = b.token;
    this.hub = new EventHub(b.clientBuffer);
    this.pump = new Poller(source, hub, b.eventRecords);
    Api api = new Api(source, new Imports(IMPORTS_KEPT), b.importLimit, hub, b.token,
        b.keepAlive);
    this.server = WebServer.builder().host(b.bind).port(b.port).shutdownHook(false)
        .shutdownGracePeriod(Duration.ofMillis(500)).routing(api::routes).build().start();
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "stator-inspector-poller");
      t.setDaemon(true);
      return t;
    });
    long every = b.pollInterval.toNanos();
    poller.scheduleWithFixedDelay(this::pollQuietly, every, every, TimeUnit.NANOSECONDS);
  }

  /** Starts configuring an inspector. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts an inspector on {@code 127.0.0.1:port} (0: a free port) over the listed machines of
   * this process and what {@code history} recorded of them; the same as
   * {@code builder().port(port).history(history).start()}.
   *
   * @throws IllegalArgumentException if the port is not from 0 to 65535
   * @throws java.io.UncheckedIOException if the server cannot listen (the port is taken)
   */
  public static Inspector start(int port, History history) {
    return builder().port(port).history(history).start();
  }

  /** The port the server listens on (the one chosen by the system when configured as 0). */
  public int port() {
    return server.port();
  }

  /**
   * The page's address, for example {@code http://127.0.0.1:7070/}, with {@code ?token=...}
   * when a token is set.
   */
  public URI url() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    String q = token == null ? "" : "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
    return URI.create("http://" + h + ":" + port() + "/" + q);
  }

  /** What this inspector shows. */
  public InspectorSource source() {
    return source;
  }

  /** Whether {@link #close()} has been called. */
  public boolean isClosed() {
    return state.get() == State.CLOSED;
  }

  /** Polls the source once now; for tests, which then need no poll interval to pass. */
  void pump() {
    pump.poll();
  }

  /** The number of open event streams. */
  int eventClients() {
    return hub.clients();
  }

  private void pollQuietly() {
    try {
      pump.poll();
    } catch (RuntimeException e) {
      System.getLogger(Inspector.class.getName()).log(System.Logger.Level.WARNING,
          "inspector poll failed; trying again at the next poll", e);
    }
  }

  /**
   * Stops the server: ends every event stream, then waits for requests in flight. Idempotent.
   * The machines and the history are not touched.
   */
  @Override
  public void close() {
    if (!state.compareAndSet(State.RUNNING, State.CLOSED)) return;
    poller.shutdownNow();
    hub.closeAll();
    server.stop();
  }

  @Override
  public String toString() {
    return "Inspector[" + url() + ", " + source + (isClosed() ? ", closed]" : "]");
  }

  /**
   * Configuration of an {@link Inspector}, validated as it is set. Not thread-safe.
   */
  public static final class Builder {
    private int port = 0;
    private String bind = "127.0.0.1";
    private @Nullable String token;
    private @Nullable InspectorSource source;
    private Duration pollInterval = Duration.ofMillis(50);
    private Duration keepAlive = Duration.ofSeconds(15);
    private int clientBuffer = 32;
    private int eventRecords = 2_000;
    private int importLimit = 16 << 20;

    Builder() {}

    /**
     * The port to listen on (default 0: one the system chooses, read it with
     * {@link Inspector#port()}).
     *
     * @throws IllegalArgumentException if not from 0 to 65535
     */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be from 0 to 65535: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The address to bind (default {@code 127.0.0.1}). Any address that is not a loopback
     * address needs a {@link #token}.
     *
     * @throws IllegalArgumentException if blank
     */
    public Builder bind(String address) {
      Objects.requireNonNull(address, "address");
      if (address.isBlank()) throw new IllegalArgumentException("bind address is blank");
      this.bind = address.strip();
      return this;
    }

    /**
     * The token every request must carry (required when not bound to a loopback address).
     *
     * @throws IllegalArgumentException if shorter than 16 characters or with characters
     *     outside printable ASCII
     */
    public Builder token(String token) {
      Objects.requireNonNull(token, "token");
      if (token.length() < 16) {
        throw new IllegalArgumentException("token must have at least 16 characters: it has "
            + token.length());
      }
      for (int i = 0; i < token.length(); i++) {
        char c = token.charAt(i);
        if (c <= ' ' || c > '~') {
          throw new IllegalArgumentException("token must be printable ASCII without spaces;"
              + " character " + i + " is U+" + String.format("%04X", (int) c));
        }
      }
      this.token = token;
      return this;
    }

    /** Shows the live machines of this process and what {@code history} recorded of them. */
    public Builder history(History history) {
      this.source = InspectorSource.live(history);
      return this;
    }

    /** Shows a fixed recording. */
    public Builder recording(Recording recording) {
      this.source = InspectorSource.of(recording);
      return this;
    }

    /** Shows {@code source} (replacing {@link #history} or {@link #recording}). */
    public Builder source(InspectorSource source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /**
     * How often the source is polled for new records (default 50 ms).
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder pollInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("poll interval must be positive: " + interval);
      }
      this.pollInterval = interval;
      return this;
    }

    /**
     * How long an idle event stream waits before it sends a keep-alive comment (default 15 s);
     * a stream whose page went away ends at the latest then.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder keepAlive(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("keep-alive interval must be positive: " + interval);
      }
      this.keepAlive = interval;
      return this;
    }

    /**
     * The most events buffered for one event-stream client (default 32: over a second and a
     * half of polls at the default interval); a client that falls further behind gets a
     * {@code resync} event instead.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder clientBuffer(int events) {
      if (events <= 0) {
        throw new IllegalArgumentException("client buffer must be positive: " + events);
      }
      this.clientBuffer = events;
      return this;
    }

    /**
     * The most records one event carries (default 2,000). A poll that finds more sends the
     * newest this many and the number it left out, which the page shows as sampled; at the
     * default poll interval that is 40,000 transitions a second before a page samples.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder eventRecords(int records) {
      if (records <= 0) {
        throw new IllegalArgumentException("records per event must be positive: " + records);
      }
      this.eventRecords = records;
      return this;
    }

    /**
     * The largest recording the page may import, in bytes (default 16 MiB); a larger one is
     * refused with status 413.
     *
     * @throws IllegalArgumentException if not positive
     */
    public Builder importLimit(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("import limit must be positive: " + bytes);
      }
      this.importLimit = bytes;
      return this;
    }

    /**
     * Starts the inspector.
     *
     * @throws IllegalStateException if no source was set, or if the bind address is not a
     *     loopback address and no token was set
     * @throws IllegalArgumentException if the bind address cannot be resolved
     * @throws java.io.UncheckedIOException if the server cannot listen (for example the port is
     *     taken)
     */
    public Inspector start() {
      InspectorSource s = source;
      if (s == null) {
        throw new IllegalStateException("an inspector needs a source: set history(...),"
            + " recording(...) or source(...)");
      }
      boolean loopback;
      try {
        loopback = InetAddress.getByName(bind).isLoopbackAddress();
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("cannot resolve bind address " + bind, e);
      }
      if (!loopback && token == null) {
        throw new IllegalStateException("bind address " + bind + " is not a loopback address:"
            + " set a token (Builder.token) so that only those who have it can read the"
            + " machines");
      }
      return new Inspector(this, s);
    }
  }
}
