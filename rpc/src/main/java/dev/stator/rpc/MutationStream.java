package dev.stator.rpc;

import dev.stator.spi.RemoteReply;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One Mutations call of a remote machine: many mutations in flight on one gRPC stream, sent in
 * batches, answered by id.
 *
 * <p>Thread safety: {@link #submit} may be called by any number of threads at once.
 */
final class MutationStream {
  /* Design.
   *
   * Owner: a RemoteMachine opens one when a mutation finds none open (or the last one ended) and
   * cancels it when it closes. A stream that ended is never used again.
   * Callers (any thread): submit() takes a window permit (at most `window` mutations between
   * being sent and their final answer), registers the pending mutation under the next id, puts
   * its bytes in the outbox and, if no other thread is writing and fewer than UNANSWERED
   * batches await their answer, becomes the writer: it sends what is in the outbox as batches
   * (ClientCall.sendMessage is not thread-safe, so one writer at a time, by a CAS on `writing`,
   * re-checked after release so nothing is stranded). The listener, after each batch's
   * answer, writes too. No mutation is stranded in the outbox: a submitter adds, then reads
   * `answered`; the listener writes `answered`, then reads the outbox (both volatile), so one
   * of them sees the other and writes.
   * Answers: gRPC's listener callbacks, one at a time: the batch's clock advances the mirror
   * first (read-your-writes: a caller woken by its answer sees at least the state right after
   * its mutation), then each answer completes its pending mutation's first future (EXECUTED,
   * CANCELED, or QUEUED, which keeps it pending) or its final one; a final answer releases the
   * window permit. The server may send a queued mutation's final answer before the batch that
   * says QUEUED: the first answer to arrive that is final is taken as it.
   * End: onClose fails every pending mutation: its first future with the status (the caller
   * maps it: refused, or outcome unknown), its final one with RemoteOutcomeUnknownException.
   * Happens-before: a completed future's dependents see the mirror advanced (same thread, after).
   */

  /** Batches are cut at this many mutations or bytes, below the server's default limits. */
  private static final int BATCH_MUTATIONS = 256;
  private static final int BATCH_BYTES = 16 * 1024;
  /**
   * Batches sent and not yet answered, at most: while two are on their way, mutations wait in
   * the outbox and go in the next batch when an answer comes, so the busier the stream, the
   * larger its batches (one message per round trip instead of one per mutation); a lone
   * mutation is sent at once.
   */
  private static final int UNANSWERED = 2;

  /** A mutation sent and not finally answered. */
  static final class Pending {
    final long id;
    final CompletableFuture<Wire.Answer> first = new CompletableFuture<>();
    final CompletableFuture<RemoteReply> outcome = new CompletableFuture<>();
    private final AtomicBoolean released = new AtomicBoolean();

    Pending(long id) {
      this.id = id;
    }
  }

  private final String machineId;
  private final ClientCall<byte[], byte[]> call;
  private final Consumer<Wire.Clock> advance;
  private final Semaphore window;
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<byte[]> outbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean writing = new AtomicBoolean();
  private volatile long sent; // batches sent; written by the writer
  private volatile long answered; // the number of the last batch answered; by the listener
  private final AtomicLong ids = new AtomicLong();
  private volatile @Nullable Status ended;

  /**
   * Opens the stream.
   *
   * @param advance applies a clock from the server to the mirror; throws
   *     IllegalArgumentException for a clock that does not fit it
   */
  MutationStream(RpcClient client, String machineId, Metadata headers, int window,
      Consumer<Wire.Clock> advance) {
    this.machineId = machineId;
    this.advance = advance;
    this.window = new Semaphore(window);
    this.call = client.channel.newCall(Methods.MUTATIONS, CallOptions.DEFAULT);
    call.start(new Listener(), headers);
    call.request(1);
  }

  /** Whether the stream ended (a new one is needed). */
  boolean ended() {
    return ended != null;
  }

  /**
   * Sends one mutation (numbered here) and returns it pending; its futures complete with the
   * server's answers.
   *
   * @return null if no window permit came within {@code wait} (nothing was sent)
   * @throws InterruptedException if interrupted while waiting for a permit
   */
  @Nullable Pending submit(Wire.MutateRequest request, long waitNanos)
      throws InterruptedException {
    if (!window.tryAcquire(waitNanos, TimeUnit.NANOSECONDS)) return null;
    Pending p = new Pending(ids.incrementAndGet());
    pending.put(p.id, p);
    Status end = ended;
    if (end != null) { // the stream ended before the mutation was registered
      fail(p, end);
      return p;
    }
    outbox.add(Wire.encode(new Wire.MutateRequest(request.machineId(), request.kind(),
        request.states(), request.toggle(), request.error(), request.args(), p.id,
        request.traceparent())));
    write();
    return p;
  }

  /**
   * Sends what the outbox holds, unless another thread is sending or {@link #UNANSWERED}
   * batches are already unanswered (then the answer that comes sends it).
   */
  private void write() {
    while (!outbox.isEmpty() && sent - answered < UNANSWERED
        && writing.compareAndSet(false, true)) {
      try {
        while (!outbox.isEmpty() && sent - answered < UNANSWERED && ended == null) {
          List<byte[]> batch = new ArrayList<>();
          int bytes = 0;
          byte[] next;
          while ((next = outbox.peek()) != null && batch.size() < BATCH_MUTATIONS
              && (batch.isEmpty() || bytes + next.length <= BATCH_BYTES)) {
            outbox.poll();
            batch.add(next);
            bytes += next.length + 3;
          }
          sent++;
          call.sendMessage(Wire.encodeBatch(batch));
        }
      } catch (RuntimeException e) { // the call was closed meanwhile; onClose fails the rest
        outbox.clear();
      } finally {
        writing.set(false);
      }
    }
  }

  /** Forgets a mutation whose caller stopped waiting (its answer, if it comes, is ignored). */
  void abandon(Pending p) {
    if (pending.remove(p.id, p)) release(p);
  }

  /** Cancels the stream; pending mutations fail as with a dropped connection. */
  void cancel(String why) {
    call.cancel(why, null);
  }

  private void release(Pending p) {
    if (p.released.compareAndSet(false, true)) window.release();
  }

  private void fail(Pending p, Status s) {
    pending.remove(p.id, p);
    release(p);
    p.first.completeExceptionally(s.asException());
    p.outcome.completeExceptionally(new RemoteOutcomeUnknownException("the outcome of a queued "
        + "mutation of " + machineId + " is unknown: " + s.getCode() + ": " + s.getDescription(),
        s.asException()));
  }

  /** The reply a final answer stands for. */
  static RemoteReply reply(Wire.Answer a) {
    return switch (a.status()) {
      case EXECUTED -> RemoteReply.executed();
      case CANCELED -> RemoteReply.canceled(a.code() == 0 ? a.reason()
          : "refused by the server: " + Status.fromCodeValue(a.code()).getCode() + ": "
              + a.reason());
      case QUEUED -> throw new IllegalStateException("QUEUED is not a final answer");
    };
  }

  private final class Listener extends ClientCall.Listener<byte[]> {
    @Override
    public void onMessage(byte[] bytes) {
      Wire.AnswerBatch b;
      try {
        b = Wire.decodeAnswerBatch(bytes);
        Wire.Clock after = b.after();
        if (after != null && after.full()) advance.accept(after);
      } catch (Wire.DecodeException | IllegalArgumentException e) {
        call.cancel("bad answer from the server: " + e.getMessage(), e);
        return;
      }
      if (b.batch() > 0) answered = b.batch();
      for (Wire.Answer a : b.answers()) {
        Pending p = pending.get(a.id());
        if (p == null) continue; // abandoned, or a QUEUED after its final answer
        if (a.status() == dev.stator.Status.QUEUED) {
          p.first.complete(a);
          continue;
        }
        pending.remove(a.id(), p);
        release(p);
        if (!p.first.complete(a)) p.outcome.complete(reply(a));
      }
      write();
      call.request(1);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      Status s = status.isOk() ? Status.UNAVAILABLE.withDescription("the server ended the "
          + "Mutations stream") : status;
      ended = s;
      outbox.clear();
      for (Pending p : List.copyOf(pending.values())) fail(p, s);
    }
  }
}
