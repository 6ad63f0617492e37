package dev.stator.history;

import dev.stator.MutationKind;
import dev.stator.Schema;
import dev.stator.Snapshot;
import dev.stator.Status;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An immutable set of recorded transitions and the machines they belong to: a copy of a
 * {@link History} ({@link History#recording()}) or a recording read back from JSON lines
 * ({@link #read}). Safe to share between threads.
 *
 * <h2>Format: JSON lines, version {@value #FORMAT_VERSION}</h2>
 * One JSON object per line, UTF-8, {@code \n}-separated:
 * <ol>
 *   <li>a header: {@code {"format":"stator-history","version":1,"firstSequence":0}};
 *   <li>one {@code "machine"} line per machine, before its transitions: its id, its schema as
 *       data ({@link Schema#data()}: name, hash, and per state {@code name}, {@code require},
 *       {@code add}, {@code remove}, {@code after}, {@code multi}, {@code auto}, {@code tags})
 *       and its {@code start} state ({@code active} names, {@code ticks} in schema order,
 *       {@code queueTick});
 *   <li>one {@code "transition"} line per record, in sequence order: {@code seq},
 *       {@code machine}, {@code id}, {@code kind} ({@code add}, {@code remove}, {@code set},
 *       {@code auto}, {@code close}), {@code called}, {@code source}, {@code before},
 *       {@code after}, {@code entered} (state names), {@code ticks} (clocks after, schema
 *       order), {@code status} ({@code EXECUTED} or {@code CANCELED}), {@code reason},
 *       {@code error}, {@code wall} (ISO-8601 instant), {@code nanos}, {@code queueTick} and
 *       {@code handlers} (each {@code name}, {@code state}, {@code phase}, {@code nanos},
 *       {@code accepted}, {@code failure}), and when present {@code trace} (the error's stack
 *       trace) and {@code args} (an object of argument name to text, see
 *       {@link TransitionRecord#args()});
 *   <li>one {@code "scope"} line per {@link ScopeEvent}, after the transitions: {@code seq},
 *       {@code machine}, {@code state}, {@code activation}, {@code kind}
 *       ({@code task_started}, {@code task_ended}, {@code task_cancelled},
 *       {@code resource_opened}, {@code resource_closed}, {@code context_held},
 *       {@code context_released}), {@code name}, {@code wall},
 *       {@code failure}.
 * </ol>
 * Readers ignore fields they do not know, so later minor additions keep version 1; a change
 * that old readers would misread raises the version, and {@link #read} refuses versions it
 * does not know. {@code docs/telemetry.md} shows a complete example.
 */
public final class Recording {
  /** The version of the JSON-lines format this class writes and reads. */
  public static final int FORMAT_VERSION = 1;

  private static final String FORMAT = "stator-history";

  private final List<MachineInfo> machines;
  private final List<TransitionRecord> records;
  private final long firstSequence;
  private final List<ScopeEvent> scopeEvents;

  private Recording(List<MachineInfo> machines, List<TransitionRecord> records,
      long firstSequence, List<ScopeEvent> scopeEvents) {
    this.machines = List.copyOf(machines);
    this.records = List.copyOf(records);
    this.firstSequence = firstSequence;
    this.scopeEvents = List.copyOf(scopeEvents);
  }

  /** The recording of {@code records}; their machines first, then {@code more} machines. */
  static Recording of(List<TransitionRecord> records, List<MachineInfo> more,
      long firstSequence) {
    return of(records, more, firstSequence, List.of());
  }

  /** As above, with scope events. */
  static Recording of(List<TransitionRecord> records, List<MachineInfo> more,
      long firstSequence, List<ScopeEvent> scopeEvents) {
    Map<String, MachineInfo> byId = new LinkedHashMap<>();
    for (TransitionRecord r : records) byId.putIfAbsent(r.machineId(), r.machine());
    for (MachineInfo m : more) byId.putIfAbsent(m.id(), m);
    return new Recording(new ArrayList<>(byId.values()), records, firstSequence, scopeEvents);
  }

  /**
   * The scope events kept (tasks and resources of state scopes), oldest first; see
   * {@link ScopeEvent}.
   */
  public List<ScopeEvent> scopeEvents() {
    return scopeEvents;
  }

  /** The scope events of one machine, oldest first. */
  public List<ScopeEvent> scopeEvents(String machineId) {
    Objects.requireNonNull(machineId, "machineId");
    return scopeEvents.stream().filter(e -> e.machineId().equals(machineId)).toList();
  }

  /** The machines, in the order they first appear. */
  public List<MachineInfo> machines() {
    return machines;
  }

  /** All records, in sequence order. */
  public List<TransitionRecord> records() {
    return records;
  }

  /**
   * The sequence number the history had reached when its oldest kept record was appended; the
   * records before it were dropped.
   */
  public long firstSequence() {
    return firstSequence;
  }

  /**
   * The timeline of one machine.
   *
   * @throws IllegalArgumentException if the recording has no such machine
   */
  public Timeline timeline(String machineId) {
    for (MachineInfo m : machines) {
      if (m.id().equals(machineId)) {
        return new Timeline(m, records.stream().filter(r -> r.machineId().equals(machineId))
            .toList());
      }
    }
    throw new IllegalArgumentException("no machine '" + machineId + "' in this recording; it has "
        + machines.stream().map(MachineInfo::id).toList());
  }

  // ------------------------------------------------------------ export

  /** Writes this recording as JSON lines (see the class comment). */
  public void write(Appendable out) throws IOException {
    StringBuilder sb = new StringBuilder(256);
    sb.append("{\"format\":\"").append(FORMAT).append("\",\"version\":").append(FORMAT_VERSION)
        .append(",\"firstSequence\":").append(firstSequence).append("}\n");
    out.append(sb);
    for (MachineInfo m : machines) {
      sb.setLength(0);
      machineLine(sb, m);
      out.append(sb.append('\n'));
    }
    for (TransitionRecord r : records) {
      sb.setLength(0);
      transitionLine(sb, r);
      out.append(sb.append('\n'));
    }
    for (ScopeEvent e : scopeEvents) {
      sb.setLength(0);
      scopeLine(sb, e);
      out.append(sb.append('\n'));
    }
  }

  private static void scopeLine(StringBuilder sb, ScopeEvent e) {
    sb.append("{\"type\":\"scope\",\"seq\":").append(e.sequence()).append(",\"machine\":");
    Json.string(sb, e.machineId());
    Json.string(sb.append(",\"state\":"), e.state());
    sb.append(",\"activation\":").append(e.activation()).append(",\"kind\":\"")
        .append(e.kind().name().toLowerCase(Locale.ROOT)).append('"');
    Json.string(sb.append(",\"name\":"), e.name());
    Json.string(sb.append(",\"wall\":"), e.wall().toString());
    Json.string(sb.append(",\"failure\":"), e.failure());
    sb.append('}');
  }

  /** This recording as JSON lines. */
  public String toJsonLines() {
    StringBuilder sb = new StringBuilder();
    try {
      write(sb);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringBuilder does not throw
    }
    return sb.toString();
  }

  private static void machineLine(StringBuilder sb, MachineInfo m) {
    sb.append("{\"type\":\"machine\",\"id\":");
    Json.string(sb, m.id());
    sb.append(",\"schema\":{\"name\":");
    Json.string(sb, m.schema().name());
    sb.append(",\"hash\":");
    Json.string(sb, m.schemaHash());
    sb.append(",\"states\":[");
    List<Schema.StateData> states = m.schema().states();
    for (int i = 0; i < states.size(); i++) {
      Schema.StateData s = states.get(i);
      if (i > 0) sb.append(',');
      sb.append("{\"name\":");
      Json.string(sb, s.name());
      Json.strings(sb.append(",\"require\":"), s.require());
      Json.strings(sb.append(",\"add\":"), s.add());
      Json.strings(sb.append(",\"remove\":"), s.remove());
      Json.strings(sb.append(",\"after\":"), s.after());
      sb.append(",\"multi\":").append(s.multi()).append(",\"auto\":").append(s.auto());
      Json.strings(sb.append(",\"tags\":"), s.tags());
      sb.append('}');
    }
    sb.append("]},\"start\":{\"active\":");
    Json.strings(sb, m.start().activeNames());
    Json.longs(sb.append(",\"ticks\":"), m.start().ticks());
    sb.append(",\"queueTick\":").append(m.start().queueTick()).append("}}");
  }

  private static void transitionLine(StringBuilder sb, TransitionRecord r) {
    sb.append("{\"type\":\"transition\",\"seq\":").append(r.sequence()).append(",\"machine\":");
    Json.string(sb, r.machineId());
    sb.append(",\"id\":").append(r.transitionId()).append(",\"kind\":\"")
        .append(r.kind().name().toLowerCase(Locale.ROOT)).append('"');
    Json.strings(sb.append(",\"called\":"), r.called());
    Json.string(sb.append(",\"source\":"), r.source());
    Json.strings(sb.append(",\"before\":"), r.before());
    Json.strings(sb.append(",\"after\":"), r.after());
    Json.strings(sb.append(",\"entered\":"), r.entered());
    Json.longs(sb.append(",\"ticks\":"), r.sharedTicks());
    sb.append(",\"status\":\"").append(r.status()).append('"');
    Json.string(sb.append(",\"reason\":"), r.reason());
    Json.string(sb.append(",\"error\":"), r.error());
    if (r.errorTrace() != null) Json.string(sb.append(",\"trace\":"), r.errorTrace());
    if (!r.args().isEmpty()) {
      sb.append(",\"args\":{");
      boolean more = false;
      for (Map.Entry<String, String> a : r.args().entrySet()) {
        if (more) sb.append(',');
        more = true;
        Json.string(sb, a.getKey());
        Json.string(sb.append(':'), a.getValue());
      }
      sb.append('}');
    }
    Json.string(sb.append(",\"wall\":"), r.wallTime().toString());
    sb.append(",\"nanos\":").append(r.durationNanos()).append(",\"queueTick\":")
        .append(r.queueTick()).append(",\"handlers\":[");
    List<HandlerCall> calls = r.handlers();
    for (int i = 0; i < calls.size(); i++) {
      HandlerCall c = calls.get(i);
      if (i > 0) sb.append(',');
      Json.string(sb.append("{\"name\":"), c.name());
      Json.string(sb.append(",\"state\":"), c.handler().state());
      sb.append(",\"phase\":\"").append(c.handler().phase().label()).append("\",\"nanos\":")
          .append(c.nanos()).append(",\"accepted\":").append(c.accepted());
      Json.string(sb.append(",\"failure\":"), c.failure());
      sb.append('}');
    }
    sb.append("]}");
  }

  // ------------------------------------------------------------ import

  /** Reads a recording from JSON lines; see {@link #read(Reader)}. */
  public static Recording parse(String jsonLines) {
    try {
      return read(new StringReader(jsonLines));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringReader does not throw
    }
  }

  /**
   * Reads a recording written by {@link #write} (this version or an earlier one). Blank lines
   * are skipped.
   *
   * @throws IllegalArgumentException naming the line, if the text is not such a recording or
   *     is of a later format version
   * @throws IOException if reading fails
   */
  public static Recording read(Reader in) throws IOException {
    BufferedReader lines = in instanceof BufferedReader b ? b : new BufferedReader(in);
    Map<String, MachineInfo> machines = new LinkedHashMap<>();
    List<TransitionRecord> records = new ArrayList<>();
    List<ScopeEvent> scopes = new ArrayList<>();
    long first = 0;
    boolean header = false;
    int n = 0;
    for (String line; (line = lines.readLine()) != null; ) {
      n++;
      if (line.isBlank()) continue;
      try {
        Map<String, @Nullable Object> o = object(Json.parse(line), "line");
        if (!header) {
          if (!FORMAT.equals(o.get("format"))) {
            throw new IllegalArgumentException("not a Stator history: the first line has no "
                + "\"format\":\"" + FORMAT + "\"");
          }
          long version = num(o, "version");
          if (version < 1 || version > FORMAT_VERSION) {
            throw new IllegalArgumentException("history format version " + version
                + " is not supported (this reader knows 1 to " + FORMAT_VERSION + ")");
          }
          Object fs = o.get("firstSequence");
          first = fs instanceof Long l ? l : 0;
          header = true;
          continue;
        }
        String type = str(o, "type");
        switch (type) {
          case "machine" -> {
            MachineInfo m = machine(o);
            if (machines.putIfAbsent(m.id(), m) != null) {
              throw new IllegalArgumentException("machine '" + m.id() + "' appears twice");
            }
          }
          case "transition" -> records.add(transition(o, machines));
          case "scope" -> scopes.add(scope(o));
          default -> { } // a later minor version's line: ignored
        }
      } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
        throw new IllegalArgumentException("line " + n + ": " + e.getMessage(), e);
      }
    }
    if (!header) throw new IllegalArgumentException("empty input: not a Stator history");
    return of(records, new ArrayList<>(machines.values()), first, scopes);
  }

  private static ScopeEvent scope(Map<String, @Nullable Object> o) {
    return new ScopeEvent(num(o, "seq"), str(o, "machine"), str(o, "state"),
        num(o, "activation"), ScopeEvent.Kind.valueOf(str(o, "kind").toUpperCase(Locale.ROOT)),
        str(o, "name"), TransitionRecord.epochNanos(instant(str(o, "wall"))),
        (String) o.get("failure"));
  }

  private static Instant instant(String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("bad wall time: " + e.getMessage(), e);
    }
  }

  private static MachineInfo machine(Map<String, @Nullable Object> o) {
    String id = str(o, "id");
    Map<String, @Nullable Object> schema = object(o.get("schema"), "schema");
    List<Schema.StateData> states = new ArrayList<>();
    for (Object s : list(schema, "states")) {
      Map<String, @Nullable Object> st = object(s, "state");
      states.add(new Schema.StateData(str(st, "name"), strs(st, "require"), strs(st, "add"),
          strs(st, "remove"), strs(st, "after"), bool(st, "multi"), bool(st, "auto"),
          strs(st, "tags")));
    }
    Schema.SchemaData data = new Schema.SchemaData(str(schema, "name"), states);
    List<String> names = states.stream().map(Schema.StateData::name).toList();
    Map<String, @Nullable Object> start = object(o.get("start"), "start");
    long active = maskOf(names, strs(start, "active"));
    Snapshot snap = new Snapshot(str(schema, "hash"), names, active, longs(start, "ticks"),
        num(start, "queueTick"));
    return new MachineInfo(id, data, str(schema, "hash"), snap);
  }

  private static TransitionRecord transition(Map<String, @Nullable Object> o,
      Map<String, MachineInfo> machines) {
    String id = str(o, "machine");
    MachineInfo m = machines.get(id);
    if (m == null) {
      throw new IllegalArgumentException("transition of machine '" + id + "' before its "
          + "\"machine\" line");
    }
    List<HandlerCall> calls = new ArrayList<>();
    HandlerName.Resolver resolver = HandlerName.resolver(m.names());
    for (Object h : list(o, "handlers")) {
      Map<String, @Nullable Object> c = object(h, "handler");
      HandlerName parsed = resolver.of(str(c, "name"));
      Object phase = c.get("phase");
      HandlerName name = phase instanceof String p
          ? new HandlerName(parsed.name(), (String) c.get("state"), HandlerPhase.ofLabel(p))
          : parsed;
      calls.add(new HandlerCall(name, num(c, "nanos"), bool(c, "accepted"),
          (String) c.get("failure")));
    }
    Instant wall = instant(str(o, "wall"));
    Map<String, String> args = new LinkedHashMap<>();
    if (o.get("args") != null) {
      for (Map.Entry<String, @Nullable Object> a : object(o.get("args"), "args").entrySet()) {
        args.put(a.getKey(), (String) a.getValue());
      }
    }
    String kind = str(o, "kind");
    long[] ticks = longs(o, "ticks");
    if (ticks.length != m.names().size()) {
      throw new IllegalArgumentException("transition " + id + "/" + num(o, "id") + " has "
          + ticks.length + " clocks for " + m.names().size() + " states");
    }
    return new TransitionRecord(num(o, "seq"), m, num(o, "id"),
        MutationKind.valueOf(kind.toUpperCase(Locale.ROOT)), maskOf(m.names(), strs(o, "called")),
        (String) o.get("source"), maskOf(m.names(), strs(o, "before")),
        maskOf(m.names(), strs(o, "after")), maskOf(m.names(), strs(o, "entered")), ticks,
        Status.valueOf(str(o, "status")), (String) o.get("reason"), (String) o.get("error"),
        TransitionRecord.epochNanos(wall), num(o, "nanos"), num(o, "queueTick"), calls, args,
        (String) o.get("trace"));
  }

  private static long maskOf(List<String> names, List<String> states) {
    long m = 0;
    for (String s : states) {
      int i = names.indexOf(s);
      if (i < 0) throw new IllegalArgumentException("unknown state '" + s + "'");
      m |= 1L << i;
    }
    return m;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, @Nullable Object> object(@Nullable Object o, String what) {
    if (o instanceof Map<?, ?> m) return (Map<String, @Nullable Object>) m;
    throw new IllegalArgumentException(what + " is not a JSON object");
  }

  private static List<?> list(Map<String, @Nullable Object> o, String field) {
    if (o.get(field) instanceof List<?> l) return l;
    throw new IllegalArgumentException("field \"" + field + "\" is not a list");
  }

  private static List<String> strs(Map<String, @Nullable Object> o, String field) {
    List<String> out = new ArrayList<>();
    for (Object e : list(o, field)) {
      if (!(e instanceof String s)) {
        throw new IllegalArgumentException("field \"" + field + "\" holds a non-string");
      }
      out.add(s);
    }
    return out;
  }

  private static long[] longs(Map<String, @Nullable Object> o, String field) {
    List<?> l = list(o, field);
    long[] out = new long[l.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(l.get(i) instanceof Long v)) {
        throw new IllegalArgumentException("field \"" + field + "\" holds a non-integer");
      }
      out[i] = v;
    }
    return out;
  }

  private static String str(Map<String, @Nullable Object> o, String field) {
    if (o.get(field) instanceof String s) return s;
    throw new IllegalArgumentException("field \"" + field + "\" is missing or not a string");
  }

  private static long num(Map<String, @Nullable Object> o, String field) {
    if (o.get(field) instanceof Long l) return l;
    throw new IllegalArgumentException("field \"" + field + "\" is missing or not an integer");
  }

  private static boolean bool(Map<String, @Nullable Object> o, String field) {
    if (o.get(field) instanceof Boolean b) return b;
    throw new IllegalArgumentException("field \"" + field + "\" is missing or not a boolean");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Recording r && firstSequence == r.firstSequence
        && machines.equals(r.machines) && records.equals(r.records);
  }

  @Override
  public int hashCode() {
    return Objects.hash(machines, records, firstSequence);
  }

  @Override
  public String toString() {
    return "Recording[" + machines.size() + " machines, " + records.size() + " transitions]";
  }
}
