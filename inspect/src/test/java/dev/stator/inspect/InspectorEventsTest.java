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
 * The event stream: new records arrive as events, a client that falls behind its bounded buffer
 * gets one resync event, close ends the streams. The poller's interval is an hour, so the test
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
    inspector = Inspector.builder().history(history).clientBuffer(4)
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

  @Test
  void aNewRecordArrivesAsAnEvent() throws Exception {
    try (SseClient events = connect()) {
      door.add(Door.Closed); // and Ready, auto, in a transition of its own
      inspector.pump();
      SseClient.Event e = events.next();
      assertThat(e.name()).isEqualTo("record");
      Map<String, Object> r = TestJson.object(e.data());
      assertThat(r).containsEntry("machine", door.id())
          .containsEntry("seq", last().sequence() - 1).containsEntry("kind", "add")
          .containsEntry("called", List.of("Closed")).containsEntry("added", List.of("Closed"));
      assertThat(TestJson.object(events.next().data())).containsEntry("seq", last().sequence())
          .containsEntry("kind", "auto").containsEntry("added", List.of("Ready"));

      door.add(Door.Locked);
      inspector.pump();
      assertThat(TestJson.object(events.next().data())).containsEntry("seq", last().sequence())
          .containsEntry("added", List.of("Locked", "Alarm"));
    }
  }

  @Test
  void aClientThatFallsBehindGetsOneResyncInsteadOfAnUnboundedBuffer() throws Exception {
    try (SseClient events = connect()) {
      for (int i = 0; i < 5; i++) door.toggle(Door.Closed); // 8 records, the buffer holds 4
      inspector.pump();
      assertThat(events.next().name()).isEqualTo("resync");
      door.add(Door.Open);
      inspector.pump();
      SseClient.Event after = events.next();
      assertThat(after.name()).isEqualTo("record");
      assertThat(TestJson.object(after.data())).containsEntry("seq", last().sequence());
    }
  }

  @Test
  void everyClientGetsEveryRecord() throws Exception {
    try (SseClient a = connect(); SseClient b = connect()) {
      door.add(Door.Closed);
      door.add(Door.Locked);
      inspector.pump();
      for (SseClient c : List.of(a, b)) {
        assertThat(TestJson.object(c.next().data())).containsEntry("called", List.of("Closed"));
        assertThat(TestJson.object(c.next().data())).containsEntry("called", List.of("Ready"));
        assertThat(TestJson.object(c.next().data())).containsEntry("called", List.of("Locked"));
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
