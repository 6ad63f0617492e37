package dev.stator.bench;

import java.util.ArrayList;
import java.util.List;
import org.openjdk.jol.info.GraphLayout;

/**
 * Heap measurements shared by the footprint mains.
 *
 * <p>{@link #unique} is the retained size of one instance that shares its schema (or config,
 * factory, builder) with others: the bytes reachable from {@code a} that are not reachable from
 * a second instance {@code b} of the same kind, computed with JOL as
 * {@code size(graph(a, b)) - size(graph(b))}. Everything the two share (schema, configuration,
 * classes' shared constants, thread pools) cancels out; nothing depends on object addresses, so a
 * GC between the walks does not matter.
 */
public final class Retained {
  static {
    // JOL on JDK 25 cannot read record fields through Unsafe offsets without this (and the
    // Instrumentation route needs -Djdk.attach.allowAttachSelf on the command line). Set before
    // any JOL class initializes, so that the mains run with a plain `java -cp`.
    if (System.getProperty("jol.magicFieldOffset") == null) {
      System.setProperty("jol.magicFieldOffset", "true");
    }
  }

  private Retained() {}

  /**
   * Bytes reachable from {@code a} but not from {@code b}. Computed in both directions and the
   * larger taken: if one instance happens to reach the other (an engine keeping a link between
   * instances), that direction undercounts, and the other one is right.
   */
  public static long unique(Object a, Object b) {
    long both = GraphLayout.parseInstance(a, b).totalSize();
    return Math.max(both - GraphLayout.parseInstance(b).totalSize(),
        both - GraphLayout.parseInstance(a).totalSize());
  }

  /** The objects behind {@link #unique}, one line per class: count, bytes, class name. */
  public static List<String> breakdown(Object a, Object b) {
    GraphLayout both = GraphLayout.parseInstance(a, b);
    GraphLayout other = GraphLayout.parseInstance(b);
    List<String> out = new ArrayList<>();
    for (Class<?> c : both.getClasses()) {
      long count = both.getClassCounts().count(c) - other.getClassCounts().count(c);
      long size = both.getClassSizes().count(c) - other.getClassSizes().count(c);
      if (count != 0) out.add(String.format("%6d %8d  %s", count, size, c.getName()));
    }
    out.sort(null);
    return out;
  }

  /** Heap in use after repeated full GCs (an estimate: System.gc() is a request). */
  public static long usedAfterGc() {
    Runtime rt = Runtime.getRuntime();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      used = Math.min(used, rt.totalMemory() - rt.freeMemory());
    }
    return used;
  }
}
