package dev.stator.examples.task;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A stream of one task's updates for one reader: first a snapshot of the task ({@code event}
 * null), then every later event in order, with no gap, then the end of the stream
 * ({@link #next} returns null). A request's stream ends when the request does; a subscription
 * ends when the task does.
 *
 * <p><b>Slow subscribers.</b> The buffer holds at most {@code capacity} updates and the task
 * never waits for a reader: an update that finds the buffer full disconnects the subscription.
 * The reader still gets the updates it had buffered, then {@link #next} throws {@link Overflow}
 * once; it may subscribe again for a fresh snapshot. Other readers and the task go on. An
 * abandoned subscription therefore holds at most {@code capacity} updates, and never delays
 * the task's end or retirement.
 *
 * <p>Read it from one thread. An interrupted {@link #next} closes the subscription and throws
 * {@link InterruptedException}.
 */
public final class Subscription implements AutoCloseable {
  /** One item: an event and the task after it, or (event null) the snapshot that opens a stream. */
  public record Update(TaskEvent event, Task task) {}

  /** The reader fell behind by a whole buffer and was disconnected. */
  public static final class Overflow extends RuntimeException {
    Overflow(String message) {
      super(message);
    }
  }

  /** A request that never ran: the task ended (or its actor closed) before its turn. */
  public static final class Rejected extends RuntimeException {
    Rejected(String message) {
      super(message);
    }
  }

  private static final Object END = new Object();
  private final int capacity;
  private final ArrayBlockingQueue<Object> items; // updates, then one END or failure
  private final AtomicBoolean ended = new AtomicBoolean(); // the last item was put
  private volatile boolean closed; // the reader let go
  private volatile Runnable release = () -> { };
  private boolean done; // reader only: the last item was taken

  Subscription(int capacity) {
    if (capacity < 1) throw new IllegalArgumentException("capacity must be positive: " + capacity);
    this.capacity = capacity;
    this.items = new ArrayBlockingQueue<>(capacity + 1); // room for the last item
  }

  /**
   * The next update, or null at the end of the stream.
   *
   * @throws Overflow once, if this reader was disconnected for falling behind
   * @throws Rejected once, if this was a request that never ran
   * @throws InterruptedException if interrupted while waiting (the subscription is then closed)
   * @throws TimeoutException if nothing came within {@code timeout}
   */
  public Update next(Duration timeout) throws InterruptedException, TimeoutException {
    if (closed) throw new IllegalStateException("subscription closed");
    if (done) return null;
    Object o;
    try {
      o = items.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      close();
      throw e;
    }
    if (o == null) throw new TimeoutException("no update within " + timeout);
    if (o instanceof Update u) return u;
    done = true;
    if (o instanceof RuntimeException failure) throw failure;
    return null;
  }

  /** Lets go: drops what is buffered and stops receiving. */
  @Override
  public void close() {
    closed = true;
    items.clear();
    release.run();
  }

  boolean isClosed() {
    return closed;
  }

  /** Buffers {@code u}; false if this subscription no longer receives (ended, closed, or full). */
  boolean offer(Update u) {
    if (ended.get() || closed) return false;
    if (items.size() < capacity) return items.offer(u);
    finish(new Overflow("subscriber fell " + capacity + " updates behind at " + u.task()));
    return false;
  }

  void end() {
    finish(END);
  }

  void finish(Object last) {
    if (!ended.compareAndSet(false, true)) return;
    items.offer(last);
    release.run();
  }

  @Override
  public String toString() {
    return "subscription(" + items.size() + "/" + capacity + ")";
  }

  /** The fan-out of one task: its live subscriptions. Owned by the task's Live scope. */
  static final class Hub implements AutoCloseable {
    private final Set<Subscription> subs = ConcurrentHashMap.newKeySet();

    /** Attaches {@code s}, opening its stream with {@code snapshot}. */
    void add(Subscription s, Task snapshot) {
      s.release = () -> subs.remove(s);
      if (s.offer(new Update(null, snapshot))) subs.add(s);
      if (s.closed || s.ended.get()) subs.remove(s);
    }

    void publish(Update u) {
      for (Subscription s : subs) {
        if (!s.offer(u)) subs.remove(s);
      }
    }

    int size() {
      return subs.size();
    }

    /** Ends every stream (after what is buffered). */
    @Override
    public void close() {
      for (Subscription s : subs) s.end();
      subs.clear();
    }
  }
}
