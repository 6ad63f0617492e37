package dev.stator.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import dev.stator.Snapshot;
import dev.stator.Status;
import dev.stator.history.History;
import dev.stator.history.Recording;
import dev.stator.history.Timeline;
import dev.stator.history.TransitionRecord;
import dev.stator.inspect.Doors.Door;
import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The JSON API against a real server on an ephemeral loopback port. */
class InspectorApiTest {
  private final HttpClient http = HttpClient.newHttpClient();
  private final AtomicBoolean jammed = new AtomicBoolean();
  private History history;
  private Machine<Door> door;
  private Inspector inspector;

  @BeforeEach
  void start() {
    history = History.builder().capacity(100).build();
    door = Doors.door(history, jammed);
    inspector = Inspector.builder().history(history).start();
  }

  @AfterEach
  void stop() {
    inspector.close();
    door.close();
    http.close();
  }

  record Answer(int status, String body) {
    Map<String, Object> json() {
      return TestJson.object(body);
    }
  }

  Answer get(String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + inspector.port() + path)).build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body());
  }

  Answer post(String path, String body, boolean importHeader) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + inspector.port() + path)).POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/x-ndjson");
    if (importHeader) b.header("X-Stator-Import", "1");
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body());
  }

  String path(Machine<?> m) {
    return "/api/machines/" + URLEncoder.encode(m.id(), StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> list(Object o) {
    return (List<Map<String, Object>>) o;
  }

  @Test
  void startWithAPortAndAHistoryServesTheLiveMachines() throws Exception {
    try (Inspector quick = Inspector.start(0, history)) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(quick.url().resolve(
          "/api/machines")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(list(TestJson.object(r.body()).get("machines")))
          .anySatisfy(m -> assertThat(m).containsEntry("id", door.id()));
      assertThat(quick.url().getHost()).isEqualTo("127.0.0.1");
    }
  }

  @Test
  void startsOnAnEphemeralLoopbackPort() {
    assertThat(inspector.port()).isPositive();
    assertThat(inspector.url()).hasToString("http://127.0.0.1:" + inspector.port() + "/");
  }

  @Test
  void machinesListsIdSchemaActiveStatesQueueAndError() throws Exception {
    door.add(Door.Closed);
    door.addError(new IllegalStateException("hinge \"squeaks\"\n"));
    Answer a = get("/api/machines");
    assertThat(a.status()).isEqualTo(200);
    Map<String, Object> body = a.json();
    assertThat(body).containsEntry("live", true);
    Map<String, Object> m = list(body.get("machines")).stream()
        .filter(x -> x.get("id").equals(door.id())).findFirst().orElseThrow();
    assertThat(m).containsEntry("schema", "Door").containsEntry("queue", 0L)
        .containsEntry("live", true)
        .containsEntry("lastError", "java.lang.IllegalStateException: hinge \"squeaks\"\n")
        .containsEntry("active", List.of("Closed", "Ready", "Exception"));
  }

  @Test
  void machineIsItsSchemaAsNodesAndEdgesWithKindsFlagsAndLayout() throws Exception {
    door.add(Door.Closed);
    Map<String, Object> m = get(path(door)).json();
    assertThat(m).containsEntry("id", door.id()).containsEntry("schema", "Door")
        .containsEntry("active", List.of("Closed", "Ready"));
    List<Map<String, Object>> nodes = list(m.get("nodes"));
    assertThat(nodes).extracting(n -> n.get("name"))
        .containsExactly("Open", "Closed", "Locked", "Ready", "Alarm", "Exception");
    Map<String, Object> ready = nodes.get(3);
    assertThat(ready).containsEntry("auto", true).containsEntry("multi", false)
        .containsEntry("require", List.of("Closed"));
    assertThat(nodes.get(4)).containsEntry("multi", true).containsEntry("auto", false);
    for (Map<String, Object> n : nodes) {
      assertThat(((Number) n.get("width")).doubleValue()).isPositive();
      assertThat(((Number) n.get("x")).doubleValue()).isNotNegative();
    }
    // the layout spreads the states: no two boxes at the same place
    assertThat(nodes).extracting(n -> n.get("x") + "," + n.get("y")).doesNotHaveDuplicates();
    Map<String, Object> size = (Map<String, Object>) m.get("layout");
    assertThat(((Number) size.get("width")).doubleValue()).isPositive();
    List<Map<String, Object>> edges = list(m.get("edges"));
    assertThat(edges).extracting(e -> e.get("from") + " " + e.get("kind") + " " + e.get("to")
        + (Boolean.TRUE.equals(e.get("mutual")) ? " mutual" : "")).containsExactly(
        "Open remove Closed mutual", "Open remove Locked", "Locked require Closed",
        "Locked add Alarm", "Ready require Closed", "Ready after Closed");
    for (Map<String, Object> e : edges) assertThat((List<?>) e.get("points")).hasSizeGreaterThan(1);
  }

  @Test
  void recordsSinceASequenceNumber() throws Exception {
    door.add(Door.Closed);
    door.add(Door.Locked);
    jammed.set(true);
    assertThat(door.add(Door.Open).status()).isEqualTo(Status.CANCELED);
    List<TransitionRecord> kept = history.recording().timeline(door.id()).records();

    Map<String, Object> all = get(path(door) + "/records").json();
    List<Map<String, Object>> rs = list(all.get("records"));
    assertThat(rs).extracting(r -> ((Number) r.get("seq")).longValue())
        .containsExactlyElementsOf(kept.stream().map(TransitionRecord::sequence).toList());
    Map<String, Object> refused = rs.get(rs.size() - 1);
    assertThat(refused).containsEntry("status", "CANCELED").containsEntry("kind", "add")
        .containsEntry("called", List.of("Open")).containsEntry("added", List.of())
        .containsEntry("machine", door.id());
    assertThat((String) refused.get("reason")).isNotBlank();
    Map<String, Object> lock = rs.stream().filter(r -> r.get("called").equals(List.of("Locked")))
        .findFirst().orElseThrow();
    assertThat(lock).containsEntry("added", List.of("Locked", "Alarm"))
        .containsEntry("status", "EXECUTED");
    assertThat(all.get("next")).isEqualTo(kept.get(kept.size() - 1).sequence() + 1);

    long second = kept.get(1).sequence();
    Map<String, Object> since = get(path(door) + "/records?since=" + second).json();
    assertThat(list(since.get("records"))).extracting(r -> ((Number) r.get("seq")).longValue())
        .containsExactlyElementsOf(kept.subList(1, kept.size()).stream()
            .map(TransitionRecord::sequence).toList());
    Map<String, Object> none = get(path(door) + "/records?since=" + (second + 1000)).json();
    assertThat(list(none.get("records"))).isEmpty();
    assertThat(none.get("next")).isEqualTo(second + 1000);
  }

  @Test
  void snapshotAtATransitionIsTheTimelines() throws Exception {
    door.add(Door.Closed);
    door.add(Door.Locked);
    door.add(Door.Open);
    Timeline t = history.recording().timeline(door.id());
    TransitionRecord lock = t.latest("Locked").orElseThrow();
    Snapshot then = t.snapshotAt(lock.transitionId());

    Map<String, Object> at = get(path(door) + "/at/" + lock.transitionId()).json();
    assertThat(at).containsEntry("transition", lock.transitionId())
        .containsEntry("active", then.activeNames()).containsEntry("time", then.time());
    assertThat(then.activeNames()).contains("Locked", "Closed");
    assertThat(at.get("ticks")).isEqualTo(
        java.util.Arrays.stream(then.ticks()).boxed().toList());
    Map<String, Object> start = get(path(door) + "/at/0").json();
    assertThat(start).containsEntry("active", List.of());
  }

  @Test
  void anUnknownMachineIs404AndNamesIt() throws Exception {
    for (String p : List.of("/api/machines/nope%20door", "/api/machines/nope%20door/records",
        "/api/machines/nope%20door/at/1")) {
      Answer a = get(p);
      assertThat(a.status()).as(p).isEqualTo(404);
      assertThat((String) a.json().get("error")).as(p).contains("'nope door'")
          .contains(door.id());
    }
    door.add(Door.Closed);
    Answer missing = get(path(door) + "/at/999");
    assertThat(missing.status()).isEqualTo(404);
    assertThat((String) missing.json().get("error")).contains("transition 999");
  }

  @Test
  void badNumbersAre400() throws Exception {
    Answer a = get(path(door) + "/records?since=abc");
    assertThat(a.status()).isEqualTo(400);
    assertThat((String) a.json().get("error")).isEqualTo(
        "since must be a whole number of at least 0: 'abc'");
    Answer b = get(path(door) + "/records?since=-3");
    assertThat(b.status()).isEqualTo(400);
    assertThat((String) b.json().get("error")).contains("since").contains("-3");
    Answer c = get(path(door) + "/at/x1");
    assertThat(c.status()).isEqualTo(400);
    assertThat((String) c.json().get("error")).contains("transition").contains("'x1'");
  }

  @Test
  void exportIsTheHistorysJsonLines() throws Exception {
    door.add(Door.Closed);
    door.add(Door.Locked);
    Answer a = get("/api/export");
    assertThat(a.status()).isEqualTo(200);
    Recording back = Recording.read(new StringReader(a.body()));
    assertThat(back.timeline(door.id()).records()).extracting(TransitionRecord::toString)
        .containsExactlyElementsOf(history.recording().timeline(door.id()).records().stream()
            .map(TransitionRecord::toString).toList());
  }

  @Test
  void aRecordingOpensAsAFixedSource() throws Exception {
    door.add(Door.Closed);
    door.add(Door.Locked);
    Recording rec = Recording.read(new StringReader(history.recording().toJsonLines()));
    String id = door.id();
    door.close();
    try (Inspector fixed = Inspector.builder().recording(rec).start()) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + fixed.port() + "/api/machines")).build(), HttpResponse.BodyHandlers.ofString());
      Map<String, Object> body = TestJson.object(r.body());
      assertThat(body).containsEntry("live", false);
      assertThat(list(body.get("machines"))).singleElement().satisfies(m -> assertThat(m)
          .containsEntry("id", id).containsEntry("live", false)
          .containsEntry("active", List.of("Closed", "Locked", "Ready", "Alarm")));
    }
  }

  @Test
  void anImportedRecordingIsReadByItsNameBesideTheLiveMachines() throws Exception {
    door.add(Door.Closed);
    door.add(Door.Locked);
    String exported = history.recording().toJsonLines();
    long kept = 3; // add Closed, auto Ready, add Locked (and Alarm)
    door.remove(Door.Locked); // the live machine moves on; the import stays as it was
    Answer created = post("/api/recordings", exported, true);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(created.json()).containsEntry("source", "r1")
        .containsEntry("machines", List.of(door.id())).containsEntry("records", kept);

    Map<String, Object> imported = get("/api/machines?source=r1").json();
    assertThat(imported).containsEntry("live", false);
    assertThat(list(imported.get("machines"))).singleElement().satisfies(m -> assertThat(m)
        .containsEntry("live", false)
        .containsEntry("active", List.of("Closed", "Locked", "Ready", "Alarm")));
    assertThat(list(get(path(door) + "/records?source=r1").json().get("records")))
        .hasSize((int) kept);
    assertThat(get("/api/machines").json()).containsEntry("live", true);
    assertThat(get("/api/recordings").json()).containsEntry("recordings", List.of("r1"));
    Answer back = get("/api/export?source=r1");
    assertThat(Recording.read(new StringReader(back.body())).records()).hasSize((int) kept);
  }

  @Test
  void anImportWithoutItsHeaderIs403AndKeepsNothing() throws Exception {
    door.add(Door.Closed);
    Answer a = post("/api/recordings", history.recording().toJsonLines(), false);
    assertThat(a.status()).isEqualTo(403);
    assertThat((String) a.json().get("error")).contains("X-Stator-Import");
    assertThat(get("/api/recordings").json()).containsEntry("recordings", List.of());
  }

  @Test
  void anImportThatIsNotARecordingIs400AndNamesTheProblem() throws Exception {
    Answer a = post("/api/recordings", "{\"hello\":1}\n", true);
    assertThat(a.status()).isEqualTo(400);
    assertThat((String) a.json().get("error")).startsWith("not a Stator recording: ")
        .contains("not a Stator history");
    assertThat(get("/api/recordings").json()).containsEntry("recordings", List.of());
  }

  @Test
  void anImportOverTheLimitIs413() throws Exception {
    inspector.close();
    inspector = Inspector.builder().history(history).importLimit(100).start();
    door.add(Door.Closed);
    Answer a = post("/api/recordings", history.recording().toJsonLines(), true);
    assertThat(a.status()).isEqualTo(413);
    assertThat((String) a.json().get("error")).contains("at most 100 bytes");
  }

  @Test
  void anUnknownSourceIs404AndTheLatestFourImportsAreKept() throws Exception {
    door.add(Door.Closed);
    String exported = history.recording().toJsonLines();
    for (int i = 0; i < Inspector.IMPORTS_KEPT + 1; i++) {
      assertThat(post("/api/recordings", exported, true).status()).isEqualTo(201);
    }
    assertThat(get("/api/recordings").json()).containsEntry("recordings",
        List.of("r2", "r3", "r4", "r5"));
    Answer gone = get("/api/machines?source=r1");
    assertThat(gone.status()).isEqualTo(404);
    assertThat((String) gone.json().get("error")).contains("no imported recording 'r1'")
        .contains("[r2, r3, r4, r5]");
  }

  @Test
  void thePageAndItsScriptsAreServed() throws Exception {
    Answer page = get("/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).contains("<title>Stator inspector</title>");
    assertThat(get("/app.js").body()).contains("EventSource");
    assertThat(get("/style.css").status()).isEqualTo(200);
  }

  @Test
  void explainGivesTheResolutionStepsOfARecordedTransition() throws Exception {
    door.add(Door.Locked); // Locked requires Closed: refused by resolution
    door.add(Door.Closed);
    jammed.set(true);
    door.add(Door.Open); // accepted by resolution, refused by its enter handler
    Map<String, Object> refused = get(path(door) + "/explain/1").json();
    assertThat(refused).containsEntry("transition", 1L).containsEntry("kind", "add")
        .containsEntry("accepted", false).containsEntry("refusal", "Locked requires Closed")
        .containsEntry("status", "CANCELED").containsEntry("reason", "Locked requires Closed");
    assertThat(list(refused.get("steps"))).extracting(st -> st.get("text")).containsExactly(
        "Locked is called (R1)", "Locked adds Alarm (R2)",
        "Locked is dropped: it requires Closed (R3)");
    assertThat(list(refused.get("steps")).get(1)).containsEntry("rule", "R2")
        .containsEntry("change", "pulled").containsEntry("state", "Alarm")
        .containsEntry("because", "Locked").containsEntry("relation", "add");
    long open = history.recording().timeline(door.id()).find(r -> r.called().equals(
        List.of("Open"))).get(0).transitionId();
    Map<String, Object> byHandler = get(path(door) + "/explain/" + open).json();
    assertThat(byHandler).containsEntry("accepted", true).containsEntry("status", "CANCELED")
        .containsEntry("reason", "handler openEnter refused");
    assertThat(byHandler.get("target")).isEqualTo(List.of("Open"));
    Answer missing = get(path(door) + "/explain/999");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.json().get("error")).asString().contains("no kept record of transition 999");
  }

  @Test
  void recordsCarryArgumentsAndTracesAndScopesListTheTasksResourcesAndHeldContexts() throws Exception {
    dev.stator.Key<String> who = dev.stator.Key.of("who", String.class,
        dev.stator.Key.Codec.of(v -> v, v -> v));
    java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(1);
    try (Machine<Door> m = Machine.of(Doors.SCHEMA).id("scoped").listed()
        .tracer(history.tracer())
        .onState(Door.Closed, e -> {
          e.scope().open(() -> () -> { });
          try {
            e.scope().hold("lease", () -> () -> { });
          } catch (Exception x) {
            throw new IllegalStateException(x);
          }
          e.scope().fork("watch", ran::countDown);
        }).build()) {
      m.add(List.of(Door.Closed), dev.stator.Args.of(who, "ann"));
      ran.await();
      m.addError(new IllegalStateException("stuck"));
      String p = "/api/machines/scoped";
      List<Map<String, Object>> recs = list(get(p + "/records").json().get("records"));
      assertThat(recs.get(0).get("args")).isEqualTo(Map.of("who", "ann"));
      assertThat(recs.stream().filter(r -> r.get("error") != null).findFirst().orElseThrow()
          .get("trace")).asString().startsWith("java.lang.IllegalStateException: stuck");
      List<Map<String, Object>> events = list(get(p + "/scopes").json().get("events"));
      assertThat(events).extracting(e -> e.get("kind")).contains("resource_opened",
          "context_held", "task_started");
      assertThat(events).filteredOn(e -> e.get("kind").equals("context_held")).singleElement()
          .satisfies(e -> assertThat(e).containsEntry("name", "lease"));
      assertThat(events).allSatisfy(e -> assertThat(e).containsEntry("state", "Closed")
          .containsEntry("activation", 1L));
    }
  }
}
