package dev.stator.examples.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The demo section runs end to end, reports its figures and leaves nothing behind. */
@Timeout(20)
class ServerDemoTest {
  @Test
  void demoServesThenShutsDownInReverseAndLeaksNothing() throws Exception {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Map<String, Long> figures;
    try (PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8)) {
      figures = new ServerDemo().run(out);
    }
    assertThat(figures).containsEntry("requests served", 3L).containsEntry("audit records", 3L)
        .containsEntry("visitors retired", 2L).containsEntry("teardowns run", 3L)
        .containsEntry("interrupt propagated", 1L).containsEntry("leaks", 0L);
    String s = text.toString(StandardCharsets.UTF_8);
    assertThat(s.indexOf("torn down Listener")).isLessThan(s.indexOf("torn down Worker"));
    assertThat(s.indexOf("torn down Worker")).isLessThan(s.indexOf("torn down Registry"));
  }
}
