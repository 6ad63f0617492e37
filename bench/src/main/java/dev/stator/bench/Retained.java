package dev.stator.bench;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jol.util.ObjectUtils;
import org.openjdk.jol.vm.VM;

/**
 * Heap measurements shared by the footprint mains.
 *
 * <p>{@link #unique} is the retained size of one instance that shares its schema (or
 * configuration, builder, factory) with others: the bytes reachable from {@code a} that are not
 * reachable from a second instance {@code b} of the same kind. It walks {@code b}'s object graph
 * first, then {@code a}'s, and adds up (with JOL's object sizes) the objects that only the second
 * walk reaches. The walks do not enter {@link Class}, {@link ClassLoader} and {@link Thread}
 * objects: these are never per-instance, and through a class loader a walk would reach every
 * loaded class, a graph that changes whenever a class is loaded (which happens during the
 * walk itself, so two JOL {@code GraphLayout} walks subtracted from each other can differ by
 * kilobytes in either direction).
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

  private static final Map<Class<?>, Field[]> FIELDS = new HashMap<>();

  private Retained() {}

  /**
   * Bytes reachable from one of {@code a} and {@code b} but not from the other, for two instances
   * of the same kind. Both directions are measured and the larger is returned: if one instance
   * happens to reach the other (an engine keeping a link between instances), that direction
   * counts nothing, and the other one is right.
   */
  public static long unique(Object a, Object b) {
    return Math.max(total(only(a, b)), total(only(b, a)));
  }

  /** The objects behind {@link #unique}, one line per class: count, bytes, class name. */
  public static List<String> breakdown(Object a, Object b) {
    Map<String, long[]> ab = only(a, b);
    Map<String, long[]> ba = only(b, a);
    List<String> out = new ArrayList<>();
    (total(ab) >= total(ba) ? ab : ba)
        .forEach((c, v) -> out.add(String.format("%6d %8d  %s", v[0], v[1], c)));
    return out;
  }

  /** Count and bytes per class of the objects reachable from {@code a} and not from {@code b}. */
  private static Map<String, long[]> only(Object a, Object b) {
    IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
    walk(b, seen, null);
    Map<String, long[]> byClass = new TreeMap<>();
    walk(a, seen, byClass);
    return byClass;
  }

  private static long total(Map<String, long[]> byClass) {
    long total = 0;
    for (long[] v : byClass.values()) total += v[1];
    return total;
  }

  private static void walk(Object root, IdentityHashMap<Object, Boolean> seen,
      Map<String, long[]> count) {
    ArrayDeque<Object> todo = new ArrayDeque<>();
    push(root, seen, todo);
    while (!todo.isEmpty()) {
      Object o = todo.pop();
      Class<?> c = o.getClass();
      if (count != null) {
        long[] v = count.computeIfAbsent(c.getName(), k -> new long[2]);
        v[0]++;
        v[1] += VM.current().sizeOf(o);
      }
      if (c.isArray()) {
        if (!c.getComponentType().isPrimitive()) {
          for (Object e : (Object[]) o) push(e, seen, todo);
        }
        continue;
      }
      for (Field f : fields(c)) push(ObjectUtils.value(o, f), seen, todo);
    }
  }

  private static void push(Object o, IdentityHashMap<Object, Boolean> seen,
      ArrayDeque<Object> todo) {
    if (o == null || o instanceof Class<?> || o instanceof ClassLoader || o instanceof Thread) {
      return;
    }
    if (seen.put(o, Boolean.TRUE) == null) todo.push(o);
  }

  private static Field[] fields(Class<?> c) {
    Field[] f = FIELDS.get(c);
    if (f == null) {
      List<Field> list = new ArrayList<>();
      for (Class<?> k = c; k != null; k = k.getSuperclass()) {
        for (Field d : k.getDeclaredFields()) {
          if (!Modifier.isStatic(d.getModifiers()) && !d.getType().isPrimitive()) list.add(d);
        }
      }
      f = list.toArray(Field[]::new);
      FIELDS.put(c, f);
    }
    return f;
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
