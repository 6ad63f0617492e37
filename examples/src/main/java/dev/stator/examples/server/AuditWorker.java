package dev.stator.examples.server;

import dev.stator.supervision.BackgroundService;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The background worker of {@link HelloServer}: a {@link BackgroundService.Service} that writes
 * one audit record per request served, off the request threads. Records are queued by
 * {@link #submit} and written in order; {@link #finish} queues the end, after which the service
 * writes what is left and returns (a graceful stop drains the queue).
 *
 * <p>Thread safety: {@code submit} and {@code finish} from any thread; {@code run} on the
 * service's thread.
 */
final class AuditWorker implements BackgroundService.Service {
  private static final String END = new String("end of audit"); // compared by identity

  /** What the worker does with a record; may throw to make the worker fail. */
  @FunctionalInterface
  interface Sink {
    void write(String record) throws Exception;
  }

  private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
  private final Sink sink;
  private final List<String> written;

  AuditWorker(Sink sink, List<String> written) {
    this.sink = Objects.requireNonNull(sink, "sink");
    this.written = Objects.requireNonNull(written, "written");
  }

  /** Queues a record. */
  void submit(String record) {
    queue.add(Objects.requireNonNull(record, "record"));
  }

  /** Queues the end: records queued before it are still written. */
  void finish() {
    queue.add(END);
  }

  @Override
  public void run(BackgroundService.StopSignal stop) throws Exception {
    for (String r; (r = queue.take()) != END; ) {
      sink.write(r);
      written.add(r);
    }
  }
}
