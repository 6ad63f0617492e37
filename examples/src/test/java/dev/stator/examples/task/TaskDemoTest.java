package dev.stator.examples.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskDemoTest {
  @Test
  void demoCompletesCancelsFailsAndResumesWithNoLeak() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Map<String, Long> figures = new TaskDemo().run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(figures).containsExactly(Map.entry("tasks completed", 2L),
        Map.entry("tasks canceled", 1L), Map.entry("tasks failed", 1L), Map.entry("leaks", 0L));
    assertThat(text).contains("trip <- INPUT_REQUIRED 'where to?'", "cancel -> translate@",
        "retired: forecast", "weather service unreachable", "cancel after the end -> ");
  }
}
