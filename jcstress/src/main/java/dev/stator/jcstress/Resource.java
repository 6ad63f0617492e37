package dev.stator.jcstress;

import java.util.concurrent.atomic.AtomicInteger;

/** A resource a state's scope owns: counts its openings and closes. */
final class Resource implements AutoCloseable {
  private final AtomicInteger opened = new AtomicInteger();
  private final AtomicInteger closed = new AtomicInteger();

  /** Counts an opening; returns this resource, for {@code scope.open(resource::open)}. */
  Resource open() {
    opened.incrementAndGet();
    return this;
  }

  @Override
  public void close() {
    closed.incrementAndGet();
  }

  int closes() {
    return closed.get();
  }

  /**
   * {@code none} (never opened), {@code closed} (opened and closed once), {@code open} (opened,
   * never closed: a leaked scope), or {@code opened-N-closed-M}.
   */
  String status() {
    int o = opened.get();
    int c = closed.get();
    if (o == 0 && c == 0) return "none";
    if (o == 1 && c == 1) return "closed";
    if (o == 1 && c == 0) return "open";
    return "opened-" + o + "-closed-" + c;
  }
}
