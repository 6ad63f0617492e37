package dev.stator.inspect;

import dev.stator.history.Recording;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The recordings opened from the page ({@code POST /api/recordings}), each a fixed
 * {@link InspectorSource} under a name ({@code r1}, {@code r2}, ...) that the page passes as
 * the {@code source} query parameter. At most {@code max} are kept: importing one more forgets
 * the oldest. Thread-safe (one monitor; every operation is a map update or lookup).
 */
final class Imports {
  private final int max;
  // guarded by this
  private final Map<String, InspectorSource> sources = new LinkedHashMap<>();
  private long counter;

  Imports(int max) {
    this.max = max;
  }

  /** Keeps {@code recording} and returns its name. */
  synchronized String add(Recording recording) {
    String name = "r" + ++counter;
    sources.put(name, InspectorSource.of(recording));
    for (Iterator<String> it = sources.keySet().iterator(); sources.size() > max;) {
      it.next();
      it.remove();
    }
    return name;
  }

  /**
   * The recording named {@code name}.
   *
   * @throws NoSuchElementException naming it and the kept ones, if not kept
   */
  synchronized InspectorSource get(String name) {
    InspectorSource s = sources.get(name);
    if (s == null) {
      throw new NoSuchElementException("no imported recording '" + name + "' (the inspector"
          + " keeps the latest " + max + "); imported: " + new ArrayList<>(sources.keySet()));
    }
    return s;
  }

  synchronized List<String> names() {
    return List.copyOf(sources.keySet());
  }
}
