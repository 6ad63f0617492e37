package dev.stator.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import dev.stator.history.History;
import dev.stator.history.TransitionRecord;
import dev.stator.inspect.Doors.Door;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The event stream: the new records of a poll arrive as one event (bounded, saying how many it
 * left out), a client that falls behind its bounded buffer gets one resync event, close ends
 * the streams. The poller's interval is an hour, so the test
 * polls with {@link Inspector#pump()} and the order of events is deterministic.
 */
class InspectorEventsTest {
  private History history;
  private Machine<Door> door;
  private Inspector inspector;

  @BeforeEach
  void start() {
    history = History.builder().capacity(1_000).build();
    door = Doors.door(history, new AtomicBoolean());
    inspector = Inspector.builder().history(history).clientBuffer(1)
        .pollInterval(Duration.ofHours(1)).start();
  }

  @AfterEach
  void stop() {
    inspector.close();
    door.close();
  }

  private SseClient connect() throws Exception {
    SseClient c = new SseClient(URI.create("http://127.0.0.1:" + inspector.port()
        + "/api/events"));
    SseClient.Event hello = c.next();
    assertThat(hello.name()).isEqualTo("hello");
    assertThat(TestJson.object(hello.data())).containsEntry("live", true)
        .containsEntry("next", history.appended());
    return c;
  }

  private TransitionRecord last() {
    List<TransitionRecord> rs = history.recording().timeline(door.id()).records();
    return rs.get(rs.size() - 1);
  }

  /** The records of the next event, which must be a {@code records} event. */
  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> records(SseClient events, long sampled)
      throws Exception {
    SseClient.Event e = events.next();
    assertThat(e.name()).isEqualTo("records");
    Map<String, Object> body = TestJson.object(e.data());
    assertThat(body).containsEntry("sampled", sampled);
    return (List<Map<String, Object>>) body.get("records");
  }

  @Test
  void theNewRecordsOfAPollArriveAsOneEvent() throws Exception {
    try (SseClient events = connect()) {
      door.add(Door.Closed); // and Ready, auto, in a transition of its own
      inspector.pump();
      List<Map<String, Object>> rs = records(events, 0);
      assertThat(rs).hasSize(2);
      assertThat(rs.get(0)).containsEntry("machine", door.id())
          .containsEntry("seq", last().sequence() - 1).containsEntry("kind", "add")
          .containsEntry("called", List.of("Closed")).containsEntry("added", List.of("Closed"));
      assertThat(rs.get(1)).containsEntry("seq", last().sequence())
          .containsEntry("kind", "auto").containsEntry("added", List.of("Ready"));

      door.add(Door.Locked);
      inspector.pump();
      assertThat(records(events, 0)).singleElement().satisfies(r -> assertThat(r)
          .containsEntry("seq", last().sequence())
          .containsEntry("added", List.of("Locked", "Alarm")));
    }
  }

  @Test
  void aPollWithMoreRecordsThanAnEventCarriesSendsTheNewestAndSaysHowManyItLeftOut()
      throws Exception {
    inspector.close();
    inspector = Inspector.builder().history(history).eventRecords(3)
        .pollInterval(Duration.ofHours(1)).start();
    try (SseClient events = connect()) {
      for (int i = 0; i < 5; i++) door.toggle(Door.Closed); // 8 records: toggles and autos
      inspector.pump();
      List<Map<String, Object>> rs = records(events, 5);
      assertThat(rs).extracting(r -> r.get("seq")).containsExactly(last().sequence() - 2,
          last().sequence() - 1, last().sequence());
    }
  }

  @Test
  void aClientThatFallsBehindGetsOneResyncInsteadOfAnUnboundedBuffer() throws Exception {
    try (SseClient events = connect();
         Machine<Door> other = Doors.door(history, new AtomicBoolean())) {
      // One poll with a new machine and a record publishes two events; the buffer holds one.
      other.add(Door.Closed);
      inspector.pump();
      assertThat(events.next().name()).isEqualTo("resync");
      door.add(Door.Open);
      inspector.pump();
      assertThat(records(events, 0)).singleElement().satisfies(r -> assertThat(r)
          .containsEntry("seq", last().sequence()));
    }
  }

  @Test
  void everyClientGetsEveryRecord() throws Exception {
    try (SseClient a = connect(); SseClient b = connect()) {
      door.add(Door.Closed);
      door.add(Door.Locked);
      inspector.pump();
      for (SseClient c : List.of(a, b)) {
        assertThat(records(c, 0)).extracting(r -> r.get("called")).containsExactly(
            List.of("Closed"), List.of("Ready"), List.of("Locked"));
      }
    }
  }

  @Test
  void closingTheInspectorEndsTheStreams() throws Exception {
    try (SseClient events = connect()) {
      assertThat(inspector.eventClients()).isEqualTo(1);
      inspector.close();
      assertThat(events.next()).isEqualTo(SseClient.END);
      assertThat(inspector.isClosed()).isTrue();
    }
  }
}
