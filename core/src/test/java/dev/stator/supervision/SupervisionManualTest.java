package dev.stator.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The snippets of docs/supervision.md, run, with the lines they print and the records they log.
 * Keep the document and this file in step. In the document {@code out} is {@code System.out};
 * here it is captured, and every logger is a {@link RecordingLogger}.
 */
@Timeout(10)
class SupervisionManualTest {
  final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
  final RecordingLogger log = new RecordingLogger();
  final ThreadCounter threads = new ThreadCounter("manual");

  List<String> lines() {
    return printed.toString(StandardCharsets.UTF_8).lines().toList();
  }

  /** The records as the document shows them: {@code LEVEL message [throwable]}. */
  List<String> records() {
    return log.entries().stream()
        .map(e -> e.level() + " " + e.message() + (e.thrown() == null ? "" : "  " + e.thrown()))
        .toList();
  }

  @AfterEach
  void noThreadLeftBehind() throws InterruptedException {
    threads.assertNoLeaks();
  }

  // ------------------------------------------------------------------ 1. supervisor and tasks

  @Test
  void supervisorAndTasks() throws Exception {
    Supervisor workers = Supervisor.builder("workers").logger(log).threadFactory(threads).build();
    Task<Integer> answer = workers.fork("answer", () -> 6 * 7);
    workers.fireAndForget("upload", () -> {
      throw new IOException("disk full");
    });
    out.println(answer.join());
    workers.shutdown(); // no new tasks; the running ones finish
    workers.awaitTermination(Duration.ofSeconds(5));
    out.println(workers.running());

    assertThat(lines()).containsExactly("42", "0");
    assertThat(records()).containsExactly(
        "ERROR Task 'upload' of supervisor 'workers' failed  java.io.IOException: disk full");
  }

  @Test
  void failureHandler() throws Exception {
    Supervisor jobs = Supervisor.builder("jobs").threadFactory(threads).logger(log)
        .onFailure((task, failure) -> out.println("failed: " + task.name() + ": " + failure.getMessage()))
        .build();
    jobs.fireAndForget("resize", () -> {
      throw new IllegalArgumentException("negative width");
    });
    jobs.shutdown();
    jobs.awaitTermination(Duration.ofSeconds(5));

    assertThat(lines()).containsExactly("failed: resize: negative width");
    assertThat(records()).isEmpty();
  }

  // ------------------------------------------------------------------ 2. cancel and wait

  @Test
  void cancelAndWait() throws Exception {
    try (Supervisor workers = Supervisor.builder("workers").threadFactory(threads).logger(log).build()) {
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch entered = new CountDownLatch(1);
      Task<?> poll = workers.run("poll", () -> new CountDownLatch(1).await()); // honours interrupts
      Task<?> deaf = workers.run("deaf", () -> {
        entered.countDown(); // (test only)
        while (true) {
          try {
            release.await();
            return;
          } catch (InterruptedException ignored) {
            // swallowed: this task ignores cancellation
          }
        }
      });
      entered.await();
      out.println(poll.cancelAndWait(Duration.ofSeconds(1)) + " " + poll.status());
      out.println(deaf.cancelAndWait(Duration.ofMillis(50)) + " " + deaf.status());
      release.countDown();
      out.println(deaf.cancelAndWait(Duration.ofSeconds(1)) + " " + deaf.status());
    }
    assertThat(lines()).containsExactly("true CANCELLED", "false RUNNING", "true CANCELLED");
    assertThat(records()).containsExactly(
        "WARNING Task 'deaf' of supervisor 'workers' ignored cancellation: still running after PT0.05S");
  }

  @Test
  void cancelAndWaitRethrowsAnErrorWhileUnwinding() throws Exception {
    try (Supervisor workers = Supervisor.builder("workers").threadFactory(threads).logger(log).build()) {
      CountDownLatch started = new CountDownLatch(1);
      Task<?> writer = workers.run("writer", () -> {
        try {
          started.countDown();
          new CountDownLatch(1).await();
        } finally {
          throw new IOException("flush failed");
        }
      });
      started.await();
      try {
        writer.cancelAndWait(Duration.ofSeconds(1));
      } catch (TaskFailedException e) {
        out.println(e.getMessage());
      }
    }
    assertThat(lines()).containsExactly("task 'writer' of supervisor 'workers' failed: java.io.IOException: flush failed");
    assertThat(records()).isEmpty();
  }

  // ------------------------------------------------------------------ 3. context carriers

  static final ScopedValue<String> REQUEST_ID = ScopedValue.newInstance();

  @Test
  void carryingAScopedValue() throws Exception {
    try (Supervisor requests = Supervisor.builder("requests").threadFactory(threads).logger(log)
        .wrap(Supervisor.carrying(REQUEST_ID)).build()) {
      Task<String> seen = ScopedValue.where(REQUEST_ID, "req-17")
          .call(() -> requests.fork("audit", () -> REQUEST_ID.orElse("none")));
      out.println(seen.join());
    }
    assertThat(lines()).containsExactly("req-17");
  }

  // ------------------------------------------------------------------ 4. lifespan

  /** A resource that says when it opens and closes. */
  final class Resource implements AutoCloseable {
    final String name;

    Resource(String name) {
      this.name = name;
      out.println("open " + name);
    }

    @Override
    public void close() {
      out.println("close " + name);
    }
  }

  @Test
  void lifespan() throws Exception {
    String reply = Lifespan.call("server", life -> {
      Resource db = life.enter("db", () -> new Resource("db"));
      Resource cache = life.enter("cache", () -> new Resource("cache"));
      life.defer("metrics", () -> out.println("flush metrics"));
      return "served with " + db.name + " and " + cache.name;
    });
    out.println(reply);
    assertThat(lines()).containsExactly(
        "open db", "open cache", "flush metrics", "close cache", "close db", "served with db and cache");
  }

  @Test
  void lifespanStepFails() {
    assertThatThrownBy(() -> Lifespan.call("server", life -> {
      life.enter("db", () -> new Resource("db"));
      life.enter("cache", () -> {
        throw new IOException("cache unreachable");
      });
      life.enter("http", () -> new Resource("http")); // never starts
      return null;
    })).isInstanceOf(IOException.class).hasMessage("cache unreachable");
    assertThat(lines()).containsExactly("open db", "close db");
  }

  @Test
  void lifespanErrorsAggregated() {
    try {
      Lifespan.call("server", life -> {
        life.defer("db", () -> {
          throw new IOException("db close failed");
        });
        life.defer("cache", () -> out.println("close cache"));
        throw new IllegalStateException("request failed");
      });
    } catch (Exception e) {
      out.println(e.getMessage() + " / suppressed: " + e.getSuppressed()[0].getMessage());
    }
    assertThat(lines()).containsExactly("close cache", "request failed / suppressed: db close failed");
  }

  // ------------------------------------------------------------------ 5. background service

  @Test
  void backgroundService() throws Exception {
    BackgroundService poller = BackgroundService.builder("poller").threadFactory(threads).logger(log)
        .build(new BackgroundService.Service() {
          @Override
          public void startUp() {
            out.println("connected");
          }

          @Override
          public void run(BackgroundService.StopSignal stop) throws InterruptedException {
            while (!stop.await(Duration.ofMillis(10))) {
              // poll the feed
            }
          }

          @Override
          public void shutDown() throws IOException {
            throw new IOException("disconnect failed");
          }
        });
    poller.start();
    poller.awaitStarted(Duration.ofSeconds(5));
    out.println(poller.state());
    boolean clean = poller.stop(Duration.ofSeconds(2));
    out.println(clean + " " + poller.state());

    assertThat(lines()).containsExactly("connected", "RUNNING", "false FAILED");
    assertThat(records()).containsExactly(
        "ERROR Service 'poller' failed to shut down  java.io.IOException: disconnect failed");
  }

  @Test
  void backgroundServiceStartFails() throws Exception {
    BackgroundService http = BackgroundService.builder("http").threadFactory(threads).logger(log)
        .build(new BackgroundService.Service() {
          @Override
          public void startUp() throws IOException {
            throw new IOException("port 8080 in use");
          }

          @Override
          public void run(BackgroundService.StopSignal stop) {
          }
        });
    http.start();
    try {
      http.awaitStarted(Duration.ofSeconds(5));
    } catch (ServiceFailedException e) {
      out.println(e.getMessage());
    }
    assertThat(lines()).containsExactly("service 'http' failed to start: java.io.IOException: port 8080 in use");
    assertThat(records()).containsExactly(
        "ERROR Service 'http' failed to start  java.io.IOException: port 8080 in use");
  }

  // ------------------------------------------------------------------ 6. actor registry

  /** An actor: a job with its supervisor. */
  record Job(String id, Supervisor tasks) {
    static Job start(String id, Supervisor tasks) {
      tasks.run("work", () -> new CountDownLatch(1).await());
      return new Job(id, tasks);
    }
  }

  @Test
  void actorRegistry() throws Exception {
    ActorRegistry<String, Job> jobs = ActorRegistry.<String, Job>builder("jobs", Job::start)
        .cleanup((id, job) -> out.println("cleaned up " + id))
        .threadFactory(threads).logger(log)
        .build();
    Job job = jobs.getOrStart("job-17");
    out.println(jobs.getOrStart("job-17") == job);
    out.println(jobs.retire("job-17", job) + " " + jobs.retiring());
    job.tasks().cancelAll(Duration.ofSeconds(1)); // its last task ends: the cleanup runs
    jobs.close();
    out.println(jobs.retiring());

    assertThat(lines()).containsExactly("true", "true 1", "cleaned up job-17", "0");
    assertThat(records()).isEmpty();
  }
}
