package dev.stator.inspect;

import dev.stator.history.TransitionRecord;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns what is new in a source into events for the {@link EventHub}: one {@code records}
 * event per poll that found new records ({@code {"records":[...],"sampled":n}}, at most
 * {@code maxBatch} records, the newest; {@code sampled} counts those left out), and a
 * {@code machines} event when the set of machines changed. Run by the inspector's poller
 * thread, and by tests through {@link Inspector#pump()}; the two never run at once
 * ({@code synchronized}).
 */
final class Poller {
  /* Design: the cursor is the sequence number up to which records have been looked for. A
   * sequence inside the looked-at range that was missing (its writer had claimed it but not
   * yet written it when the history was copied) is kept in `pending` for a few polls and sent
   * if it shows up; after that it is given up (the writer lost it, or the ring dropped it).
   * Pending is bounded, so a storm of gaps cannot grow it. The machine list is compared when
   * records arrived and on every tenth poll otherwise (machines can open without a record).
   * One event per poll, not per record: at 10,000 transitions/s a page gets 20 events a second
   * of about 500 records each, which it renders at once, so the per-client buffer (counted in
   * events) lasts seconds instead of a tenth of one. A poll with more than maxBatch new records
   * sends the newest maxBatch and says how many it left out, so that one event stays bounded;
   * the page says it sampled, and its next load reads the left-out records from the source. */

  private static final int PENDING_MAX = 1024;
  private static final int PENDING_POLLS = 20;
  private static final int MACHINE_CHECK_EVERY = 10;

  private final InspectorSource source;
  private final EventHub hub;
  private final int maxBatch;
  // guarded by this
  private long cursor;
  private final Map<Long, Integer> pending = new LinkedHashMap<>(); // sequence -> polls left
  private List<String> machineIds;
  private int polls;

  Poller(InspectorSource source, EventHub hub, int maxBatch) {
    this.source = source;
    this.hub = hub;
    this.maxBatch = maxBatch;
    this.cursor = source.nextSequence();
    this.machineIds = ids();
  }

  private List<String> ids() {
    return source.machines().stream().map(MachineView::id).toList();
  }

  synchronized void poll() {
    polls++;
    long hi = source.nextSequence();
    List<EventHub.Event> batch = new ArrayList<>(2);
    List<TransitionRecord> found = new ArrayList<>();
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
          found.add(r);
        } else if (pending.remove(seq) != null) {
          found.add(r);
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
    if (!found.isEmpty()) batch.add(recordsEvent(found));
    if (!found.isEmpty() || polls % MACHINE_CHECK_EVERY == 0) {
      List<String> now = ids();
      if (!now.equals(machineIds)) {
        machineIds = now;
        JsonWriter w = new JsonWriter().object().strings("machines", now).endObject();
        batch.add(0, new EventHub.Event("machines", w.toString()));
      }
    }
    hub.publish(batch);
  }

  /** The {@code records} event of one poll: the newest {@code maxBatch} of {@code found}. */
  private EventHub.Event recordsEvent(List<TransitionRecord> found) {
    int skip = Math.max(0, found.size() - maxBatch);
    JsonWriter w = new JsonWriter().object().field("sampled", skip).name("records").array();
    for (int i = skip; i < found.size(); i++) Api.record(w, found.get(i));
    return new EventHub.Event("records", w.endArray().endObject().toString());
  }
}
