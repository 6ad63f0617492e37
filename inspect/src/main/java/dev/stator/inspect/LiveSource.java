package dev.stator.inspect;

import dev.stator.Machine;
import dev.stator.history.History;
import dev.stator.history.Recording;
import dev.stator.history.TransitionRecord;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** {@link InspectorSource#live(History)}. Thread-safe. */
final class LiveSource implements InspectorSource {
  /* Design: History has no change notification, only appended() (one atomic read),
   * recording() (a copy of the whole ring) and recording(from) (a copy of the records from a
   * sequence on). The source keeps the latest whole copy with the appended() count it was
   * taken at and copies again only when the count moved: polling an idle history costs one
   * atomic read, and one copy serves every request until the next transition. records(from),
   * which the event poller calls 20 times a second, uses that copy when it is current and
   * otherwise copies only the records from `from` on, so a busy history is not copied whole
   * (and its records' arguments and traces not rendered again) on every poll. The cost is in
   * docs/inspector.md. The cache is one immutable pair in a volatile field: racing
   * readers may both copy, and either copy is valid. A copy that misses a record (being
   * written, or given up by its writer) is used but not kept. */

  private record Copy(long appended, boolean complete, Recording recording) {}

  private final History history;
  private volatile @Nullable Copy copy; // written by any reader that refreshed it

  LiveSource(History history) {
    this.history = history;
  }

  @Override
  public List<MachineView> machines() {
    List<MachineView> out = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (Machine<?> m : Machine.listed()) {
      if (m.isClosed()) continue;
      Throwable e = m.lastError();
      out.add(new MachineView(m.id(), m.schema().data(), m.schema().hash(), m.snapshot(),
          m.queueSize(), e == null ? null : e.getClass().getName() + ": " + e.getMessage(),
          true));
      ids.add(m.id());
    }
    out.addAll(RecordingSource.views(recording(), ids));
    return out;
  }

  @Override
  public List<TransitionRecord> records(long from) {
    Copy c = copy;
    if (c == null || c.appended() != history.appended() || !c.complete()) {
      return history.recording(from).records(); // only the newer records are copied
    }
    List<TransitionRecord> out = new ArrayList<>();
    for (TransitionRecord r : c.recording().records()) {
      if (r.sequence() >= from) out.add(r);
    }
    return out;
  }

  @Override
  public long nextSequence() {
    return history.appended();
  }

  @Override
  public Recording recording() {
    long n = history.appended();
    Copy c = copy;
    if (c == null || c.appended() != n || !c.complete()) {
      Recording r = history.recording();
      // A record claimed but not yet written when the ring was copied is missing from the
      // copy; such a copy is not cached, so that the record shows once it is written.
      long expected = Math.min(n, (long) history.capacity());
      c = new Copy(n, r.records().size() >= expected, r);
      copy = c;
    }
    return c.recording();
  }

  @Override
  public boolean live() {
    return true;
  }

  @Override
  public String toString() {
    return "InspectorSource[live, " + history.appended() + " records appended]";
  }
}
