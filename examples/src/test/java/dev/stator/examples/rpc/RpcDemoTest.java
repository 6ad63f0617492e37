package dev.stator.examples.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo section runs end to end over TLS, says what it did, and leaves nothing behind. */
class RpcDemoTest {
  @Test
  void theDemoSectionRunsOverTlsAndLeavesNothingBehind() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Map<String, Long> figures;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      figures = new RpcDemo().run(out);
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("over TLS on localhost:")
        .contains("operator add(Closed): EXECUTED")
        .contains("operator add(Locked, who=guest): CANCELED (handler lockedEnter refused)")
        .contains("operator add(Locked, who=admin): EXECUTED")
        .contains("dashboard mirror sees [Closed, Locked]")
        .contains("dashboard add(Open): CANCELED (refused by the server: PERMISSION_DENIED");
    assertThat(figures).containsEntry("refused", 2L).containsEntry("leaks", 0L)
        .containsEntry("round trips", 1_000L).containsEntry("mirrors in sync", 1L);
  }
}
