package dev.stator.inspect;

import dev.stator.history.Recording;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Opens a recording in the inspector: {@code InspectorMain recording.jsonl [port]} serves it on
 * {@code 127.0.0.1} (port 7070 by default) until the process is stopped.
 */
public final class InspectorMain {
  private InspectorMain() {}

  /**
   * Runs the inspector over a recording.
   *
   * @param args the recording's path, and optionally the port
   * @throws IOException if the recording cannot be read
   * @throws InterruptedException if interrupted while serving
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: InspectorMain recording.jsonl [port]");
      System.exit(2);
    }
    int port = args.length == 2 ? Integer.parseInt(args[1]) : 7070;
    Recording recording;
    try (Reader in = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
      recording = Recording.read(in);
    }
    Inspector inspector = Inspector.builder().recording(recording).port(port).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      inspector.close();
      stopped.countDown();
    }));
    System.out.println("inspecting " + args[0] + " (" + recording.machines().size()
        + " machines, " + recording.records().size() + " transitions) at " + inspector.url());
    stopped.await();
  }
}
