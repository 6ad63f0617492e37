package dev.stator.inspect;

import dev.stator.history.TransitionRecord;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns what is new in a source into events for the {@link EventHub}: one {@code record}
 * event per new record, and a {@code machines} event when the set of machines changed. Run
 * by the inspector's poller thread, and by tests through {@link Inspector#pump()}; the two
 * never run at once ({@code synchronized}).
 */
final class Poller {
  /* Design: the cursor is the sequence number up to which records have been looked for. A
   * sequence inside the looked-at range that was missing (its writer had claimed it but not
   * yet written it when the history was copied) is kept in `pending` for a few polls and sent
   * if it shows up; after that it is given up (the writer lost it, or the ring dropped it).
   * Pending is bounded, so a storm of gaps cannot grow it. The machine list is compared when
   * records arrived and on every tenth poll otherwise (machines can open without a record). */

  private static final int PENDING_MAX = 1024;
  private static final int PENDING_POLLS = 20;
  private static final int MACHINE_CHECK_EVERY = 10;

  private final InspectorSource source;
  private final EventHub hub;
  // guarded by this
  private long cursor;
  private final Map<Long, Integer> pending = new LinkedHashMap<>(); // sequence -> polls left
  private List<String> machineIds;
  private int polls;

  Poller(InspectorSource source, EventHub hub) {
    this.source = source;
    this.hub = hub;
    this.cursor = source.nextSequence();
    this.machineIds = ids();
  }

  private List<String> ids() {
    return source.machines().stream().map(MachineView::id).toList();
  }

  synchronized void poll() {
    polls++;
    long hi = source.nextSequence();
    List<EventHub.Event> batch = new ArrayList<>();
    if (hi != cursor || !pending.isEmpty()) {
      long from = cursor;
      for (long p : pending.keySet()) from = Math.min(from, p);
      long next = Math.max(cursor, hi);
      long expect = cursor;
      List<Long> gaps = new ArrayList<>();
      for (TransitionRecord r : source.records(from)) {
        long seq = r.sequence();
        if (seq >= cursor) {
          for (long g = expect; g < seq; g++) gaps.add(g);
          expect = seq + 1;
          next = Math.max(next, seq + 1);
          batch.add(new EventHub.Event("record", Api.recordJson(r)));
        } else if (pending.remove(seq) != null) {
          batch.add(new EventHub.Event("record", Api.recordJson(r)));
        }
      }
      for (long g = expect; g < hi; g++) gaps.add(g);
      for (Iterator<Map.Entry<Long, Integer>> it = pending.entrySet().iterator(); it.hasNext();) {
        Map.Entry<Long, Integer> e = it.next();
        if (e.getValue() <= 1) {
          it.remove();
        } else {
          e.setValue(e.getValue() - 1);
        }
      }
      for (long g : gaps) {
        if (pending.size() >= PENDING_MAX) break;
        pending.put(g, PENDING_POLLS);
      }
      cursor = next;
    }
    if (!batch.isEmpty() || polls % MACHINE_CHECK_EVERY == 0) {
      List<String> now = ids();
      if (!now.equals(machineIds)) {
        machineIds = now;
        JsonWriter w = new JsonWriter().object().strings("machines", now).endObject();
        batch.add(0, new EventHub.Event("machines", w.toString()));
      }
    }
    hub.publish(batch);
  }
}
