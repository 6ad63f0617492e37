package dev.stator.inspect;

import dev.stator.history.MachineInfo;
import dev.stator.history.Recording;
import dev.stator.history.Timeline;
import dev.stator.history.TransitionRecord;
import java.util.ArrayList;
import java.util.List;

/** {@link InspectorSource#of(Recording)}: immutable, so thread-safe. */
final class RecordingSource implements InspectorSource {
  private final Recording recording;
  private final List<MachineView> machines;
  private final long next;

  RecordingSource(Recording recording) {
    this.recording = recording;
    this.machines = views(recording, List.of());
    List<TransitionRecord> rs = recording.records();
    this.next = rs.isEmpty() ? recording.firstSequence() : rs.get(rs.size() - 1).sequence() + 1;
  }

  /** The machines of {@code recording} not in {@code skip}, as their timelines end. */
  static List<MachineView> views(Recording recording, List<String> skip) {
    List<MachineView> out = new ArrayList<>();
    for (MachineInfo m : recording.machines()) {
      if (skip.contains(m.id())) continue;
      Timeline t = recording.timeline(m.id());
      String error = null;
      for (TransitionRecord r : t.records()) {
        if (r.error() != null) error = r.error();
      }
      out.add(new MachineView(m.id(), m.schema(), m.schemaHash(), t.end(), 0, error, false));
    }
    return List.copyOf(out);
  }

  @Override
  public List<MachineView> machines() {
    return machines;
  }

  @Override
  public List<TransitionRecord> records(long from) {
    List<TransitionRecord> out = new ArrayList<>();
    for (TransitionRecord r : recording.records()) {
      if (r.sequence() >= from) out.add(r);
    }
    return out;
  }

  @Override
  public long nextSequence() {
    return next;
  }

  @Override
  public Recording recording() {
    return recording;
  }

  @Override
  public boolean live() {
    return false;
  }

  @Override
  public String toString() {
    return "InspectorSource[" + recording.machines().size() + " recorded machines, "
        + recording.records().size() + " records]";
  }
}
