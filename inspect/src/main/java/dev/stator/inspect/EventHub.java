package dev.stator.inspect;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The clients of the event stream, each with a bounded buffer of events not yet sent. The
 * poller {@link #publish}es; each client's request thread {@link Client#take}s and writes.
 * Thread-safe.
 */
final class EventHub {
  /* Design: a client whose buffer cannot take a whole batch loses its buffer and gets one
   * "resync" event instead: the page then reloads through the HTTP API, which answers from the
   * history, so a slow page costs the server at most `capacity` events, never more. The batch
   * is taken or refused whole, under the client's lock, so a burst larger than the buffer always
   * resyncs, whatever the timing of the request thread. */

  /** One event to send: its SSE event name and its data (one line of JSON). */
  record Event(String name, String data) {
    static final Event RESYNC = new Event("resync", "{}");
    static final Event PING = new Event("ping", "");
    static final Event CLOSED = new Event("closed", "");
  }

  private final int capacity;
  private final Set<Client> clients = ConcurrentHashMap.newKeySet();

  EventHub(int capacity) {
    this.capacity = capacity;
  }

  Client register() {
    Client c = new Client();
    clients.add(c);
    return c;
  }

  void unregister(Client c) {
    clients.remove(c);
  }

  int clients() {
    return clients.size();
  }

  void publish(List<Event> batch) {
    if (batch.isEmpty()) return;
    for (Client c : clients) c.offer(batch);
  }

  /** Ends every client's stream; later {@link #register}s get a closed client. */
  void closeAll() {
    for (Client c : clients) c.close();
  }

  /** One event-stream client. */
  final class Client {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    // all guarded by lock; written by the poller (offer) and the request thread (take)
    private final ArrayDeque<Event> buffer = new ArrayDeque<>();
    private boolean resync;
    private boolean closed;

    void offer(List<Event> batch) {
      lock.lock();
      try {
        if (closed || resync) return;
        if (buffer.size() + batch.size() > capacity) {
          buffer.clear();
          resync = true;
        } else {
          buffer.addAll(batch);
        }
        ready.signal();
      } finally {
        lock.unlock();
      }
    }

    /**
     * The next event: a buffered one, {@link Event#RESYNC} after an overflow, {@link Event#PING}
     * when nothing came within {@code keepAlive}, or {@link Event#CLOSED} once closed.
     */
    Event take(Duration keepAlive) throws InterruptedException {
      lock.lock();
      try {
        long nanos = keepAlive.toNanos();
        for (;;) {
          if (closed) return Event.CLOSED;
          if (resync) {
            resync = false;
            return Event.RESYNC;
          }
          Event e = buffer.poll();
          if (e != null) return e;
          if (nanos <= 0) return Event.PING;
          nanos = ready.awaitNanos(nanos);
        }
      } finally {
        lock.unlock();
      }
    }

    void close() {
      lock.lock();
      try {
        closed = true;
        buffer.clear();
        ready.signal();
      } finally {
        lock.unlock();
      }
    }
  }

}
