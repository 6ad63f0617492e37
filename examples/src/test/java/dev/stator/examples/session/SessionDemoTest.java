package dev.stator.examples.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The demo section runs end to end, reports its figures and leaves nothing behind. */
@Timeout(20)
class SessionDemoTest {
  @Test
  void demoReconnectsOnceAndLeaksNothing() throws Exception {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Map<String, Long> figures;
    try (PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8)) {
      figures = new SessionDemo().run(out);
    }
    assertThat(figures).containsEntry("reconnects", 1L).containsEntry("leaks", 0L)
        .containsEntry("resources opened", 6L).containsEntry("resources closed", 6L);
    assertThat(figures.get("heartbeats")).isGreaterThanOrEqualTo(2L);
    assertThat(text.toString(StandardCharsets.UTF_8)).contains("1. connect", "4. disconnect");
  }
}
