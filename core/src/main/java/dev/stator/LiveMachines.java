package dev.stator;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The machines built with {@link Machine.Builder#listed()}, for inspectors: weakly held (the
 * registry never keeps a machine alive), removed when closed or collected.
 */
final class LiveMachines {
  private static final ConcurrentHashMap<Long, Entry> MACHINES = new ConcurrentHashMap<>();
  private static final ReferenceQueue<MachineImpl<?>> COLLECTED = new ReferenceQueue<>();

  private LiveMachines() {}

  /** A weak reference that remembers its key. */
  private static final class Entry extends WeakReference<MachineImpl<?>> {
    final long serial;

    Entry(MachineImpl<?> m, long serial) {
      super(m, COLLECTED);
      this.serial = serial;
    }
  }

  static void add(MachineImpl<?> m, long serial) {
    expunge();
    MACHINES.put(serial, new Entry(m, serial));
  }

  static void remove(long serial) {
    MACHINES.remove(serial);
    expunge();
  }

  /** The listed machines still open, in creation order. */
  static List<Machine<?>> live() {
    expunge();
    List<Entry> entries = new ArrayList<>(MACHINES.values());
    entries.sort(Comparator.comparingLong(e -> e.serial));
    List<Machine<?>> out = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      MachineImpl<?> m = e.get();
      if (m != null && !m.isClosed()) out.add(m);
    }
    return List.copyOf(out);
  }

  private static void expunge() {
    for (Object r; (r = COLLECTED.poll()) != null; ) {
      Entry e = (Entry) r;
      MACHINES.remove(e.serial, e);
    }
  }
}
