package dev.stator.examples.session;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the resources a component opens and closes, and remembers, for each one, which thread
 * opened it, which thread closed it and how many times {@code close()} was called. A component
 * wraps each resource in {@link #track} and hands the wrapper to its owner (a state scope); tests
 * and the demo read the ledger to prove that every resource was closed exactly once, by the
 * thread that owns it.
 *
 * <p>Thread safety: every method may be called from any thread. A resource's close
 * happens-before {@link Entry#closedBy()} returns that closing thread.
 */
public final class ResourceLedger {
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong opened = new AtomicLong();
  private final AtomicLong closed = new AtomicLong();
  private final int keep;
  private final List<Entry> entries = new CopyOnWriteArrayList<>(); // the latest `keep` entries

  /** A ledger that keeps the details of the latest {@code keep} resources (counts are exact). */
  public ResourceLedger(int keep) {
    if (keep < 0) throw new IllegalArgumentException("keep must not be negative: " + keep);
    this.keep = keep;
  }

  /** A ledger that keeps the details of the latest 100 resources. */
  public ResourceLedger() {
    this(100);
  }

  /**
   * Records that {@code resource} of kind {@code kind} was just opened by the calling thread and
   * returns a wrapper whose {@code close()} records the closing thread and closes
   * {@code resource} the first time only.
   */
  public <R extends AutoCloseable> Tracked<R> track(String kind, R resource) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(resource, "resource");
    Entry e = new Entry(kind, ids.incrementAndGet(), Thread.currentThread());
    opened.incrementAndGet();
    if (keep > 0) {
      entries.add(e);
      if (entries.size() > keep) entries.remove(0);
    }
    return new Tracked<>(e, resource);
  }

  /** How many resources were opened. */
  public long opened() {
    return opened.get();
  }

  /** How many resources were closed (each counted once, however often it was closed). */
  public long closed() {
    return closed.get();
  }

  /** Opened and not yet closed. */
  public long open() {
    return opened.get() - closed.get();
  }

  /** The entries kept, oldest first. */
  public List<Entry> entries() {
    return List.copyOf(entries);
  }

  /** The entries kept of one kind, oldest first. */
  public List<Entry> entries(String kind) {
    return entries.stream().filter(e -> e.kind.equals(kind)).toList();
  }

  /** One resource. */
  public static final class Entry {
    private final String kind;
    private final long id;
    private final Thread openedBy;
    private volatile Thread closedBy; // written once, by the first close
    private final AtomicInteger closes = new AtomicInteger();

    Entry(String kind, long id, Thread openedBy) {
      this.kind = kind;
      this.id = id;
      this.openedBy = openedBy;
    }

    /** The kind given to {@link #track}. */
    public String kind() {
      return kind;
    }

    /** The thread that opened it. */
    public Thread openedBy() {
      return openedBy;
    }

    /** The thread that closed it first, or {@code null} while open. */
    public Thread closedBy() {
      return closedBy;
    }

    /** How many times {@code close()} was called. */
    public int closes() {
      return closes.get();
    }

    @Override
    public String toString() {
      Thread c = closedBy;
      return kind + "#" + id + " opened by " + openedBy.getName()
          + (c == null ? ", open" : ", closed by " + c.getName() + " (" + closes.get() + "x)");
    }
  }

  /**
   * A tracked resource: closes the resource once, and records the thread.
   *
   * @param <R> the resource
   */
  @SuppressWarnings("try") // close() may throw whatever the resource throws
  public final class Tracked<R extends AutoCloseable> implements AutoCloseable {
    private final Entry entry;
    private final R resource;

    Tracked(Entry entry, R resource) {
      this.entry = entry;
      this.resource = resource;
    }

    /** The resource. */
    public R resource() {
      return resource;
    }

    /** Its ledger entry. */
    public Entry entry() {
      return entry;
    }

    @Override
    public void close() throws Exception {
      if (entry.closes.incrementAndGet() != 1) return;
      try {
        resource.close();
      } finally {
        entry.closedBy = Thread.currentThread();
        closed.incrementAndGet();
      }
    }

    @Override
    public String toString() {
      return entry.toString();
    }
  }
}
