package dev.stator.inspect;

import dev.stator.history.Recording;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Opens a recording in the inspector: {@code java -jar stator-inspect.jar recording.jsonl
 * [port]} serves it on {@code 127.0.0.1} (port 7070 by default; 0 for any free one) until the
 * process is stopped (Ctrl-C). It prints the page's address. A missing file, a file that is
 * not a recording and a bad port each end it with status 1 or 2 and a message naming the
 * problem.
 */
public final class InspectorMain {
  private static final String USAGE = "usage: java -jar stator-inspect.jar recording.jsonl"
      + " [port]";

  private InspectorMain() {}

  /**
   * Runs the inspector over a recording.
   *
   * @param args the recording's path, and optionally the port
   * @throws InterruptedException if interrupted while serving
   */
  public static void main(String[] args) throws InterruptedException {
    int status = run(args, System.out, System.err);
    if (status != 0) System.exit(status);
  }

  /** Starts serving, or returns the exit status of a problem it reported on {@code err}. */
  static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
    if (args.length < 1 || args.length > 2) {
      err.println(USAGE);
      return 2;
    }
    int port;
    try {
      port = args.length == 2 ? Integer.parseInt(args[1]) : 7070;
    } catch (NumberFormatException e) {
      err.println("the port must be a number from 0 to 65535: '" + args[1] + "'\n" + USAGE);
      return 2;
    }
    Recording recording;
    Path file = Path.of(args[0]);
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      recording = Recording.read(in);
    } catch (NoSuchFileException e) {
      err.println("no such file: " + file);
      return 1;
    } catch (IOException e) {
      err.println("cannot read " + file + ": " + e);
      return 1;
    } catch (IllegalArgumentException e) {
      err.println(file + " is not a Stator recording: " + e.getMessage());
      return 1;
    }
    Inspector inspector;
    try {
      inspector = Inspector.builder().recording(recording).port(port).start();
    } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
      err.println("cannot serve on port " + port + ": " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      inspector.close();
      stopped.countDown();
    }, "stator-inspector-shutdown"));
    out.println("inspecting " + file + " (" + recording.machines().size() + " machines, "
        + recording.records().size() + " transitions) at " + inspector.url());
    out.flush();
    stopped.await();
    return 0;
  }
}
