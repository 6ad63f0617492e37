package dev.stator.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stator.Machine;
import dev.stator.history.History;
import dev.stator.inspect.Doors.Door;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executable jar ({@code target/stator-inspect.jar}, built by the shade plugin) started as
 * a user starts it, {@code java -jar stator-inspect.jar recording.jsonl 0}, in a process of its
 * own: it serves the recording, and a bad file ends it with a message. Run by failsafe after
 * the jar is packaged.
 */
@Timeout(60)
class InspectorJarIT {
  private static final Pattern URL = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+/)$");

  @TempDir Path dir;

  private static Path jar() {
    Path jar = Path.of(System.getProperty("inspector.jar", "target/stator-inspect.jar"));
    assertThat(jar).as("the executable jar (mvn package builds it)").isRegularFile();
    return jar;
  }

  private static ProcessBuilder java(String... args) {
    String java = ProcessHandle.current().info().command().orElseThrow();
    List<String> cmd = new java.util.ArrayList<>(List.of(java, "-jar", jar().toString()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd);
  }

  @Test
  void theJarServesARecording() throws Exception {
    History history = History.builder().build();
    String id;
    Path file = dir.resolve("run.jsonl");
    try (Machine<Door> door = Doors.door(history, new AtomicBoolean())) {
      door.add(Door.Closed);
      door.add(Door.Locked);
      id = door.id();
      Files.writeString(file, history.recording().toJsonLines());
    }
    Process p = java(file.toString(), "0").redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
             StandardCharsets.UTF_8));
         HttpClient http = HttpClient.newHttpClient()) {
      String url = null;
      StringBuilder seen = new StringBuilder();
      for (String line; url == null && (line = out.readLine()) != null;) {
        seen.append(line).append('\n');
        Matcher m = URL.matcher(line);
        if (line.startsWith("inspecting ") && m.find()) url = m.group(1);
      }
      assertThat(url).as("the jar's output:\n%s", seen).isNotNull();
      assertThat(seen.toString()).contains("(1 machines, 3 transitions)");
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url
          + "api/machines")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      Map<String, Object> body = TestJson.object(r.body());
      assertThat(body).containsEntry("live", false);
      assertThat(InspectorApiTest.list(body.get("machines"))).singleElement()
          .satisfies(m -> assertThat(m).containsEntry("id", id)
              .containsEntry("active", List.of("Closed", "Locked", "Ready", "Alarm")));
      HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(page.body()).contains("<title>Stator inspector</title>");
      HttpResponse<String> layout = http.send(HttpRequest.newBuilder(URI.create(url
          + "api/machines/" + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8))).build(),
          HttpResponse.BodyHandlers.ofString());
      // laid out by ELK inside the jar: every state a node with a place
      assertThat(InspectorApiTest.list(TestJson.object(layout.body()).get("nodes")))
          .extracting(n -> n.get("name"))
          .containsExactly("Open", "Closed", "Locked", "Ready", "Alarm", "Exception");
    } finally {
      p.destroy(); // SIGTERM: the shutdown hook closes the inspector
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aFileThatIsNotARecordingEndsItWithAMessage() throws Exception {
    Path file = dir.resolve("notes.txt");
    Files.writeString(file, "hello\n");
    Process p = java(file.toString(), "0").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
    assertThat(out).contains(file + " is not a Stator recording: ");
  }

  @Test
  void aMissingFileOrNoArgumentEndsItWithAMessage() throws Exception {
    Process missing = java(dir.resolve("none.jsonl").toString()).redirectErrorStream(true)
        .start();
    String out = new String(missing.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(missing.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(missing.exitValue()).isEqualTo(1);
    assertThat(out).contains("no such file: ");

    Process none = java().redirectErrorStream(true).start();
    String usage = new String(none.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(none.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(none.exitValue()).isEqualTo(2);
    assertThat(usage).contains("usage: java -jar stator-inspect.jar recording.jsonl [port]");
  }
}
