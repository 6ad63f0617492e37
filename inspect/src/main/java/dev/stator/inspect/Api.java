package dev.stator.inspect;

import dev.stator.Resolution;
import dev.stator.Schema;
import dev.stator.Snapshot;
import dev.stator.history.HandlerCall;
import dev.stator.history.Recording;
import dev.stator.history.ScopeEvent;
import dev.stator.history.TransitionRecord;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.http.sse.SseEvent;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.sse.SseSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP API and the page: routes, JSON rendering, the token check and the event stream.
 * Handlers run on the server's request threads (virtual threads), concurrently; this class
 * keeps no mutable state but the layout cache (a concurrent map of immutable layouts).
 */
final class Api {
  /* Design: every route goes through guard(), which checks the token (when one is set) from
   * the Authorization header ("Bearer t") or the "token" query parameter (EventSource cannot
   * set headers) with a constant-time comparison, and turns the two expected failures into
   * messages: NoSuchElementException -> 404, NumberFormatException -> 400. The event stream
   * runs on its request's virtual thread: it takes from its client's bounded buffer (EventHub)
   * and writes; a write to a closed connection throws and ends the loop. */

  private static final String JSON = "application/json; charset=utf-8";

  private static final HeaderName IMPORT_HEADER = HeaderNames.create("X-Stator-Import");

  private final InspectorSource source;
  private final Imports imports;
  private final int importLimit;
  private final EventHub hub;
  private final byte @Nullable [] token;
  private final Duration keepAlive;
  private final Map<String, SchemaLayout> layouts = new ConcurrentHashMap<>();
  private final Map<String, Schema<String>> schemas = new ConcurrentHashMap<>(); // by hash

  Api(InspectorSource source, Imports imports, int importLimit, EventHub hub,
      @Nullable String token, Duration keepAlive) {
    this.source = source;
    this.imports = imports;
    this.importLimit = importLimit;
    this.hub = hub;
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    this.keepAlive = keepAlive;
  }

  void routes(HttpRouting.Builder r) {
    r.get("/", guard((req, res) -> resource(res, "index.html", "text/html; charset=utf-8")))
        .get("/app.js", guard((req, res) -> resource(res, "app.js",
            "text/javascript; charset=utf-8")))
        .get("/style.css", guard((req, res) -> resource(res, "style.css",
            "text/css; charset=utf-8")))
        .get("/api/machines", guard((req, res) -> json(res, machines(src(req)))))
        .get("/api/machines/{id}", guard((req, res) -> json(res, machine(src(req), id(req)))))
        .get("/api/machines/{id}/records", guard((req, res) -> json(res, records(src(req),
            id(req), number(req.query().first("since").orElse("0"), "since")))))
        .get("/api/machines/{id}/at/{transition}", guard((req, res) -> json(res, at(src(req),
            id(req), number(req.path().pathParameters().get("transition"), "transition")))))
        .get("/api/machines/{id}/explain/{transition}", guard((req, res) -> json(res,
            explain(src(req), id(req), number(req.path().pathParameters().get("transition"),
                "transition")))))
        .get("/api/machines/{id}/scopes", guard((req, res) -> json(res, scopes(src(req),
            id(req)))))
        .get("/api/export", guard((req, res) -> {
          res.header(HeaderNames.CONTENT_TYPE, "application/x-ndjson; charset=utf-8");
          res.header(HeaderNames.CONTENT_DISPOSITION,
              "attachment; filename=\"stator-recording.jsonl\"");
          res.send(src(req).recording().toJsonLines().getBytes(StandardCharsets.UTF_8));
        }))
        .post("/api/recordings", guard(this::importRecording))
        .get("/api/recordings", guard((req, res) -> json(res, new JsonWriter().object()
            .strings("recordings", imports.names()).endObject())))
        .get("/api/events", guard(this::events));
  }

  // ------------------------------------------------------------------ guard

  private Handler guard(Handler h) {
    return (req, res) -> {
      if (token != null && !authorized(req)) {
        error(res, Status.UNAUTHORIZED_401, "this inspector needs its token: open the URL it"
            + " printed (with ?token=...) or send Authorization: Bearer <token>");
        return;
      }
      try {
        h.handle(req, res);
      } catch (NoSuchElementException e) {
        error(res, Status.NOT_FOUND_404, e.getMessage());
      } catch (NumberFormatException e) {
        error(res, Status.BAD_REQUEST_400, e.getMessage());
      }
    };
  }

  private boolean authorized(ServerRequest req) {
    byte[] expected = token;
    if (expected == null) return true;
    Optional<String> header = req.headers().first(HeaderNames.AUTHORIZATION);
    String given = header.filter(h -> h.startsWith("Bearer ")).map(h -> h.substring(7))
        .orElseGet(() -> req.query().first("token").orElse(""));
    return MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8));
  }

  private static void error(ServerResponse res, Status status, @Nullable String message) {
    if (res.isSent()) return;
    res.status(status);
    json(res, new JsonWriter().object().field("status", status.code())
        .field("error", message == null ? status.reasonPhrase() : message).endObject());
  }

  private static void json(ServerResponse res, JsonWriter w) {
    res.header(HeaderNames.CONTENT_TYPE, JSON);
    res.header(HeaderNames.CACHE_CONTROL, "no-store");
    res.send(w.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static void resource(ServerResponse res, String name, String type) {
    try (InputStream in = Api.class.getResourceAsStream("web/" + name)) {
      if (in == null) throw new NoSuchElementException("no resource " + name);
      res.header(HeaderNames.CONTENT_TYPE, type);
      res.header(HeaderNames.CACHE_CONTROL, "no-cache");
      res.send(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The source a request reads: an imported recording named by {@code source}, or the main one. */
  private InspectorSource src(ServerRequest req) {
    Optional<String> name = req.query().first("source").filter(n -> !n.isEmpty());
    return name.isEmpty() ? source : imports.get(name.get());
  }

  private static String id(ServerRequest req) {
    return req.path().pathParameters().get("id");
  }

  /** A whole number of at least 0. */
  static long number(String text, String what) {
    long n;
    try {
      n = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new NumberFormatException(what + " must be a whole number of at least 0: '" + text
          + "'");
    }
    if (n < 0) {
      throw new NumberFormatException(what + " must be a whole number of at least 0: " + n);
    }
    return n;
  }

  private static MachineView find(InspectorSource source, String id) {
    return source.machine(id).orElseThrow(() -> new NoSuchElementException("no machine '" + id
        + "'; machines: " + source.machines().stream().map(MachineView::id).toList()));
  }

  // ------------------------------------------------------------------ documents

  static JsonWriter machines(InspectorSource source) {
    JsonWriter w = new JsonWriter().object().field("live", source.live())
        .field("next", source.nextSequence()).name("machines").array();
    for (MachineView m : source.machines()) summary(w, m);
    return w.endArray().endObject();
  }

  private static void summary(JsonWriter w, MachineView m) {
    w.object().field("id", m.id()).field("schema", m.schema().name())
        .field("hash", m.schemaHash()).strings("active", m.snapshot().activeNames())
        .field("queue", m.queueSize()).field("lastError", m.lastError()).field("live", m.live())
        .endObject();
  }

  JsonWriter machine(InspectorSource source, String id) {
    MachineView m = find(source, id);
    SchemaLayout layout = layouts.computeIfAbsent(m.schemaHash(),
        h -> SchemaLayout.of(m.schema()));
    Snapshot s = m.snapshot();
    JsonWriter w = new JsonWriter().object().field("id", m.id()).field("schema",
        m.schema().name()).field("hash", m.schemaHash()).strings("active", s.activeNames())
        .strings("names", s.names()).longs("ticks", s.ticks()).field("time", s.time())
        .field("queue", m.queueSize()).field("lastError", m.lastError()).field("live", m.live())
        .name("layout").object().field("width", layout.width()).field("height", layout.height())
        .endObject();
    w.name("nodes").array();
    for (int i = 0; i < layout.nodes().size(); i++) {
      SchemaLayout.Node n = layout.nodes().get(i);
      var data = m.schema().states().get(i);
      w.object().field("name", n.name()).field("auto", n.auto()).field("multi", n.multi())
          .strings("tags", n.tags()).strings("require", data.require())
          .strings("add", data.add()).strings("remove", data.remove())
          .strings("after", data.after()).field("x", n.x()).field("y", n.y())
          .field("width", n.width()).field("height", n.height()).endObject();
    }
    w.endArray().name("edges").array();
    for (SchemaLayout.Edge e : layout.edges()) {
      w.object().field("from", e.from()).field("to", e.to()).field("kind", e.kind().label())
          .field("mutual", e.mutual()).name("points").array();
      for (double[] p : e.points()) w.array().value(p[0]).value(p[1]).endArray();
      w.endArray().endObject();
    }
    return w.endArray().endObject();
  }

  static JsonWriter records(InspectorSource source, String id, long since) {
    find(source, id);
    List<TransitionRecord> rs = source.records(id, since);
    long next = rs.isEmpty() ? since : rs.get(rs.size() - 1).sequence() + 1;
    JsonWriter w = new JsonWriter().object().field("machine", id).field("since", since)
        .field("next", next).name("records").array();
    for (TransitionRecord r : rs) record(w, r);
    return w.endArray().endObject();
  }

  static JsonWriter at(InspectorSource source, String id, long transition) {
    find(source, id);
    Snapshot s = source.snapshotAt(id, transition);
    return new JsonWriter().object().field("machine", id).field("transition", transition)
        .strings("active", s.activeNames()).strings("names", s.names())
        .longs("ticks", s.ticks()).field("time", s.time()).field("queueTick", s.queueTick())
        .endObject();
  }

  /**
   * How resolution treated a recorded transition: {@link Schema#explain} of its kind, called
   * states and before-state, by the schema rebuilt from the record's data (so it works for a
   * recording as well as a live machine). A transition a handler refused shows resolution's
   * acceptance and the record's reason.
   */
  JsonWriter explain(InspectorSource source, String id, long transition) {
    find(source, id);
    TransitionRecord r = source.records(id, 0).stream()
        .filter(x -> x.transitionId() == transition).findFirst()
        .orElseThrow(() -> new NoSuchElementException("machine '" + id + "' has no kept record"
            + " of transition " + transition));
    Schema<String> schema = schemas.computeIfAbsent(r.machine().schemaHash(),
        h -> Schema.fromData(r.machine().schema()));
    Resolution x = schema.explain(r.kind(), r.called(), r.before());
    JsonWriter w = new JsonWriter().object().field("machine", id).field("transition", transition)
        .field("kind", r.kind().name().toLowerCase(Locale.ROOT)).strings("called", x.called())
        .strings("before", x.before()).strings("target", x.target())
        .field("accepted", x.accepted()).field("refusal", x.refusal())
        .field("status", r.status().name()).field("reason", r.reason()).name("steps").array();
    for (Resolution.Step st : x.steps()) {
      w.object().field("rule", st.rule()).field("change", st.change().name().toLowerCase(
          Locale.ROOT)).field("state", st.state()).field("because", st.because())
          .field("relation", st.relation()).field("text", st.text()).endObject();
    }
    return w.endArray().endObject();
  }

  /** The scope events kept of a machine: its states' tasks and resources, oldest first. */
  static JsonWriter scopes(InspectorSource source, String id) {
    find(source, id);
    JsonWriter w = new JsonWriter().object().field("machine", id).name("events").array();
    for (ScopeEvent e : source.recording().scopeEvents(id)) {
      w.object().field("seq", e.sequence()).field("state", e.state())
          .field("activation", e.activation())
          .field("kind", e.kind().name().toLowerCase(Locale.ROOT)).field("name", e.name())
          .field("wall", e.wall().toString()).field("failure", e.failure()).endObject();
    }
    return w.endArray().endObject();
  }

  static void record(JsonWriter w, TransitionRecord r) {
    w.object().field("seq", r.sequence()).field("machine", r.machineId())
        .field("id", r.transitionId()).field("kind", r.kind().name().toLowerCase(Locale.ROOT))
        .strings("called", r.called()).field("source", r.source())
        .strings("before", r.before()).strings("after", r.after())
        .strings("added", r.added()).strings("removed", r.removed())
        .strings("entered", r.entered()).longs("ticks", r.ticksAfter())
        .field("status", r.status().name()).field("reason", r.reason())
        .field("error", r.error()).field("trace", r.errorTrace())
        .field("wall", r.wallTime().toString())
        .field("nanos", r.durationNanos()).field("queueTick", r.queueTick())
        .name("args").object();
    for (Map.Entry<String, String> a : r.args().entrySet()) w.field(a.getKey(), a.getValue());
    w.endObject().name("handlers").array();
    for (HandlerCall c : r.handlers()) {
      w.object().field("name", c.name()).field("state", c.handler().state())
          .field("phase", c.handler().phase().label()).field("nanos", c.nanos())
          .field("accepted", c.accepted()).field("failure", c.failure()).endObject();
    }
    w.endArray().endObject();
  }

  // ------------------------------------------------------------------ import

  /**
   * {@code POST /api/recordings}: the body is a recording's JSON lines; kept under a new name
   * the page then passes as {@code source}. The request must carry {@code X-Stator-Import}, a
   * header a page of another site cannot send without a CORS preflight this server never
   * grants, so such a page cannot fill the inspector's memory through a loopback address.
   */
  private void importRecording(ServerRequest req, ServerResponse res) throws IOException {
    if (req.headers().first(IMPORT_HEADER).isEmpty()) {
      error(res, Status.FORBIDDEN_403, "an import must carry the header X-Stator-Import"
          + " (the page sends it; it keeps pages of other sites from posting here)");
      return;
    }
    byte[] body;
    try (InputStream in = req.content().inputStream()) {
      body = in.readNBytes(importLimit + 1);
    }
    if (body.length > importLimit) {
      error(res, Status.REQUEST_ENTITY_TOO_LARGE_413, "a recording may have at most "
          + importLimit + " bytes (Inspector.Builder.importLimit); this one has more");
      return;
    }
    Recording recording;
    try {
      recording = Recording.read(new StringReader(new String(body, StandardCharsets.UTF_8)));
    } catch (IllegalArgumentException e) {
      error(res, Status.BAD_REQUEST_400, "not a Stator recording: " + e.getMessage());
      return;
    }
    String name = imports.add(recording);
    res.status(Status.CREATED_201);
    json(res, new JsonWriter().object().field("source", name)
        .strings("machines", recording.machines().stream().map(m -> m.id()).toList())
        .field("records", recording.records().size()).endObject());
  }

  // ------------------------------------------------------------------ event stream

  private void events(ServerRequest req, ServerResponse res) {
    EventHub.Client client = hub.register();
    try (SseSink sse = res.sink(SseSink.TYPE)) {
      sse.emit(SseEvent.builder().name("hello").data(new JsonWriter().object()
          .field("next", source.nextSequence()).field("live", source.live()).endObject()
          .toString()).build());
      for (;;) {
        EventHub.Event e = client.take(keepAlive);
        if (e == EventHub.Event.CLOSED) return;
        if (e == EventHub.Event.PING) {
          sse.emit(SseEvent.builder().comment("ping").build());
        } else {
          sse.emit(SseEvent.builder().name(e.name()).data(e.data()).build());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (UncheckedIOException e) {
      // the page went away; nothing to report
    } finally {
      hub.unregister(client);
    }
  }
}
