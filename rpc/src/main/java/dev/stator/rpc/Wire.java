package dev.stator.rpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.stator.MutationKind;
import dev.stator.Schema;
import dev.stator.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The messages of {@code src/main/proto/stator_rpc.proto}, encoded and decoded by hand with
 * protobuf's coded streams. Decoding is strict: any input either decodes into a message or
 * throws {@link DecodeException} with a message; unknown fields are skipped (protobuf's rule).
 */
final class Wire {
  /* Design: no protoc at build time (the grpc-java code generator for this platform is not
   * always served, and the messages are few). Limits are enforced while decoding, before any
   * allocation proportional to a length read from the input: at most 64 states and clocks per
   * message (Schema.MAX_STATES), at most MAX_ARGS arguments, and the transport's message size
   * limit bounds every string. */

  static final int MAX_ARGS = 64;

  private Wire() {}

  /** Input that is not a valid message of the expected type. */
  static final class DecodeException extends Exception {
    DecodeException(String message) {
      super(message);
    }
  }

  // ------------------------------------------------------------------ messages

  record AttachRequest(String machineId, String schemaHash) {}

  /**
   * An update on an Attach stream: exactly one of hello, clock, closed; {@code takenAtMicros}
   * is the server's wall clock (microseconds since the epoch) when the clock's snapshot was
   * taken, 0 if not given.
   */
  record Update(@Nullable Hello hello, @Nullable Clock clock, @Nullable String closed,
      long takenAtMicros) {
    Update(@Nullable Hello hello, @Nullable Clock clock, @Nullable String closed) {
      this(hello, clock, closed, 0);
    }
  }

  record Hello(String schemaHash, Schema.SchemaData schema) {}

  /** A full clock ({@code changed} null) or a delta. */
  record Clock(boolean full, long active, long[] ticks, long queueTick, int @Nullable [] changed) {
    static Clock full(long active, long[] ticks, long queueTick) {
      return new Clock(true, active, ticks, queueTick, null);
    }

    /** The clocks after applying this one to {@code base} (for a delta), or its own (full). */
    long[] applyTo(long @Nullable [] base) throws DecodeException {
      if (full) return ticks.clone();
      if (base == null) throw new DecodeException("a clock delta before any full clock");
      long[] out = base.clone();
      int[] c = Objects.requireNonNull(changed);
      for (int k = 0; k < c.length; k++) {
        if (c[k] >= out.length) {
          throw new DecodeException("clock delta names state " + c[k] + " of " + out.length);
        }
        out[c[k]] = ticks[k];
      }
      return out;
    }

    /** The delta from {@code before} to these (full) clocks. */
    static Clock delta(long[] before, long active, long[] after, long queueTick) {
      int n = 0;
      for (int i = 0; i < after.length; i++) if (after[i] != before[i]) n++;
      int[] changed = new int[n];
      long[] ticks = new long[n];
      int k = 0;
      for (int i = 0; i < after.length; i++) {
        if (after[i] != before[i]) {
          changed[k] = i;
          ticks[k++] = after[i];
        }
      }
      return new Clock(false, active, ticks, queueTick, changed);
    }
  }

  record Arg(String key, String value) {}

  record ErrorData(String type, String message) {}

  /**
   * One mutation. {@code id} numbers it on a Mutations stream (0 on a Mutate call);
   * {@code traceparent} is its W3C trace context on a stream (empty: the call's metadata's).
   */
  record MutateRequest(String machineId, MutationKind kind, int[] states, boolean toggle,
      @Nullable ErrorData error, List<Arg> args, long id, String traceparent) {
    MutateRequest(String machineId, MutationKind kind, int[] states, boolean toggle,
        @Nullable ErrorData error, List<Arg> args) {
      this(machineId, kind, states, toggle, error, args, 0, "");
    }
  }

  /**
   * The answer to one mutation. {@code id} is its request's; {@code code}, on a Mutations
   * stream, is the gRPC status code with which the server refused it (0: not refused; the
   * reason then says why).
   */
  record Answer(Status status, String reason, @Nullable Clock after, long id, int code) {
    Answer(Status status, String reason, @Nullable Clock after) {
      this(status, reason, after, 0, 0);
    }
  }

  /**
   * Answers on a Mutations stream, and the machine's clock right after the last of them;
   * {@code batch} is the number of the MutateBatch answered (1 for the stream's first), 0 for
   * the final answer of a queued mutation.
   */
  record AnswerBatch(List<Answer> answers, @Nullable Clock after, long batch) {}

  /** The most mutations in one MutateBatch. */
  static final int MAX_BATCH = 1024;

  record WhenArgsRequest(String machineId, int state, List<Arg> args) {}

  /** First {@code registered} (the server's wait is in place), then the one with {@code after}. */
  record Waited(boolean registered, @Nullable Clock after) {}

  // ------------------------------------------------------------------ encoding

  private interface Body {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] encode(Body body) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
      CodedOutputStream out = CodedOutputStream.newInstance(bytes, 64); // (default: 4 KiB each)
      body.write(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
    }
  }

  private static void writeMessage(CodedOutputStream out, int field, byte[] message)
      throws IOException {
    out.writeByteArray(field, message);
  }

  static byte[] encode(AttachRequest m) {
    return encode(out -> {
      if (!m.machineId().isEmpty()) out.writeString(1, m.machineId());
      if (!m.schemaHash().isEmpty()) out.writeString(2, m.schemaHash());
    });
  }

  static byte[] encode(Update m) {
    return encode(out -> {
      if (m.hello() != null) writeMessage(out, 1, encode(m.hello()));
      if (m.clock() != null) writeMessage(out, 2, encode(m.clock()));
      if (m.closed() != null) writeMessage(out, 3, encode(o -> o.writeString(1, m.closed())));
      if (m.takenAtMicros() != 0) out.writeFixed64(4, m.takenAtMicros());
    });
  }

  static byte[] encode(Hello m) {
    return encode(out -> {
      out.writeString(1, m.schemaHash());
      writeMessage(out, 2, encode(m.schema()));
    });
  }

  static byte[] encode(Schema.SchemaData d) {
    return encode(out -> {
      out.writeString(1, d.name());
      for (Schema.StateData s : d.states()) {
        writeMessage(out, 2, encode(o -> {
          o.writeString(1, s.name());
          for (String x : s.require()) o.writeString(2, x);
          for (String x : s.add()) o.writeString(3, x);
          for (String x : s.remove()) o.writeString(4, x);
          for (String x : s.after()) o.writeString(5, x);
          if (s.multi()) o.writeBool(6, true);
          if (s.auto()) o.writeBool(7, true);
          for (String x : s.tags()) o.writeString(8, x);
        }));
      }
    });
  }

  static byte[] encode(Clock c) {
    return encode(out -> {
      if (c.full()) out.writeBool(1, true);
      out.writeFixed64(2, c.active());
      if (c.ticks().length > 0) {
        int size = 0;
        for (long t : c.ticks()) size += CodedOutputStream.computeUInt64SizeNoTag(t);
        out.writeTag(3, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(size);
        for (long t : c.ticks()) out.writeUInt64NoTag(t);
      }
      if (c.queueTick() != 0) out.writeUInt64(4, c.queueTick());
      int[] ch = c.changed();
      if (ch != null && ch.length > 0) {
        int size = 0;
        for (int i : ch) size += CodedOutputStream.computeUInt32SizeNoTag(i);
        out.writeTag(5, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(size);
        for (int i : ch) out.writeUInt32NoTag(i);
      }
    });
  }

  static byte[] encode(MutateRequest m) {
    return encode(out -> {
      out.writeString(1, m.machineId());
      int kind = switch (m.kind()) {
        case ADD -> 0;
        case REMOVE -> 1;
        case SET -> 2;
        default -> throw new IllegalArgumentException("not a caller's mutation: " + m.kind());
      };
      if (kind != 0) out.writeEnum(2, kind);
      if (m.states().length > 0) {
        int size = 0;
        for (int i : m.states()) size += CodedOutputStream.computeUInt32SizeNoTag(i);
        out.writeTag(3, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(size);
        for (int i : m.states()) out.writeUInt32NoTag(i);
      }
      if (m.toggle()) out.writeBool(4, true);
      ErrorData e = m.error();
      if (e != null) {
        writeMessage(out, 5, encode(o -> {
          o.writeString(1, e.type());
          o.writeString(2, e.message());
        }));
      }
      writeArgs(out, 6, m.args());
      if (m.id() != 0) out.writeUInt64(7, m.id());
      if (!m.traceparent().isEmpty()) out.writeString(8, m.traceparent());
    });
  }

  private static void writeArgs(CodedOutputStream out, int field, List<Arg> args)
      throws IOException {
    for (Arg a : args) {
      writeMessage(out, field, encode(o -> {
        o.writeString(1, a.key());
        o.writeString(2, a.value());
      }));
    }
  }

  /** A MutateBatch of requests already encoded. */
  static byte[] encodeBatch(List<byte[]> requests) {
    return encode(out -> {
      for (byte[] r : requests) writeMessage(out, 1, r);
    });
  }

  static byte[] encode(AnswerBatch b) {
    return encode(out -> {
      for (Answer a : b.answers()) writeMessage(out, 1, encode(a));
      if (b.after() != null) writeMessage(out, 2, encode(b.after()));
      if (b.batch() != 0) out.writeUInt64(3, b.batch());
    });
  }

  static byte[] encode(WhenArgsRequest m) {
    return encode(out -> {
      out.writeString(1, m.machineId());
      if (m.state() != 0) out.writeUInt32(2, m.state());
      writeArgs(out, 3, m.args());
    });
  }

  static byte[] encode(Waited w) {
    return encode(out -> {
      if (w.after() != null) writeMessage(out, 1, encode(w.after()));
      if (w.registered()) out.writeBool(2, true);
    });
  }

  static byte[] encode(Answer a) {
    return encode(out -> {
      int s = switch (a.status()) {
        case EXECUTED -> 0;
        case CANCELED -> 1;
        case QUEUED -> 2;
      };
      if (s != 0) out.writeEnum(1, s);
      if (!a.reason().isEmpty()) out.writeString(2, a.reason());
      if (a.after() != null) writeMessage(out, 3, encode(a.after()));
      if (a.id() != 0) out.writeUInt64(4, a.id());
      if (a.code() != 0) out.writeUInt32(5, a.code());
    });
  }

  // ------------------------------------------------------------------ decoding

  /** Reads one message's fields; the reader sees each field's number and wire type. */
  private interface Fields {
    /** Handles a field; returns false to skip it (unknown). */
    boolean field(CodedInputStream in, int number, int wireType) throws IOException,
        DecodeException;
  }

  private static void read(byte[] bytes, String what, Fields fields) throws DecodeException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    in.setRecursionLimit(8);
    try {
      while (true) {
        int tag = in.readTag();
        if (tag == 0) return;
        int number = WireFormat.getTagFieldNumber(tag);
        int type = WireFormat.getTagWireType(tag);
        if (type == WireFormat.WIRETYPE_START_GROUP || type == WireFormat.WIRETYPE_END_GROUP) {
          throw new DecodeException(what + ": groups are not supported (field " + number + ")");
        }
        if (number == 0) throw new DecodeException(what + ": field number 0");
        if (!fields.field(in, number, type)) in.skipField(tag);
      }
    } catch (InvalidProtocolBufferException e) {
      throw new DecodeException("malformed " + what + ": " + e.getMessage());
    } catch (IOException e) {
      throw new DecodeException("unreadable " + what + ": " + e.getMessage());
    }
  }

  private static void expect(int wireType, int expected, String what, int number)
      throws DecodeException {
    if (wireType != expected) {
      throw new DecodeException(what + " field " + number + " has wire type " + wireType
          + ", expected " + expected);
    }
  }

  private static String string(CodedInputStream in, int type, String what, int number)
      throws IOException, DecodeException {
    expect(type, WireFormat.WIRETYPE_LENGTH_DELIMITED, what, number);
    return in.readStringRequireUtf8();
  }

  private static byte[] bytes(CodedInputStream in, int type, String what, int number)
      throws IOException, DecodeException {
    expect(type, WireFormat.WIRETYPE_LENGTH_DELIMITED, what, number);
    return in.readByteArray();
  }

  /** Packed (or, as protobuf allows, unpacked) uint64s appended to {@code out}, at most 64. */
  private static void uint64s(CodedInputStream in, int type, String what, int number,
      LongList out) throws IOException, DecodeException {
    if (type == WireFormat.WIRETYPE_VARINT) {
      out.add(in.readUInt64(), what);
      return;
    }
    expect(type, WireFormat.WIRETYPE_LENGTH_DELIMITED, what, number);
    int length = in.readRawVarint32();
    if (length < 0) throw new DecodeException(what + ": negative length");
    int limit = in.pushLimit(length);
    while (in.getBytesUntilLimit() > 0) out.add(in.readUInt64(), what);
    in.popLimit(limit);
  }

  /** A bounded list of longs. */
  private static final class LongList {
    long[] values = new long[8];
    int size;

    void add(long v, String what) throws DecodeException {
      if (size == Schema.MAX_STATES) {
        throw new DecodeException(what + ": more than " + Schema.MAX_STATES + " values");
      }
      if (size == values.length) values = Arrays.copyOf(values, values.length * 2);
      values[size++] = v;
    }

    long[] toArray() {
      return Arrays.copyOf(values, size);
    }

    int[] toIndexes(String what) throws DecodeException {
      int[] out = new int[size];
      for (int i = 0; i < size; i++) {
        if (values[i] < 0 || values[i] >= Schema.MAX_STATES) {
          throw new DecodeException(what + ": state index " + Long.toUnsignedString(values[i])
              + " out of range");
        }
        out[i] = (int) values[i];
      }
      return out;
    }
  }

  static AttachRequest decodeAttach(byte[] bytes) throws DecodeException {
    String[] f = {"", ""};
    read(bytes, "AttachRequest", (in, n, t) -> {
      switch (n) {
        case 1 -> f[0] = string(in, t, "AttachRequest", n);
        case 2 -> f[1] = string(in, t, "AttachRequest", n);
        default -> {
          return false;
        }
      }
      return true;
    });
    if (f[0].isEmpty()) throw new DecodeException("AttachRequest: machine_id is missing");
    return new AttachRequest(f[0], f[1]);
  }

  static MutateRequest decodeMutate(byte[] bytes) throws DecodeException {
    String[] id = {""};
    int[] kind = {0};
    boolean[] toggle = {false};
    LongList states = new LongList();
    ErrorData[] error = {null};
    List<Arg> args = new ArrayList<>();
    long[] callId = {0};
    String[] trace = {""};
    read(bytes, "MutateRequest", (in, n, t) -> {
      switch (n) {
        case 1 -> id[0] = string(in, t, "MutateRequest", n);
        case 2 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "MutateRequest", n);
          kind[0] = in.readEnum();
        }
        case 3 -> uint64s(in, t, "MutateRequest.states", n, states);
        case 4 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "MutateRequest", n);
          toggle[0] = in.readBool();
        }
        case 5 -> error[0] = decodeError(bytes(in, t, "MutateRequest", n));
        case 6 -> {
          if (args.size() == MAX_ARGS) {
            throw new DecodeException("MutateRequest: more than " + MAX_ARGS + " arguments");
          }
          args.add(decodeArg(bytes(in, t, "MutateRequest", n)));
        }
        case 7 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "MutateRequest", n);
          callId[0] = in.readUInt64();
        }
        case 8 -> trace[0] = string(in, t, "MutateRequest", n);
        default -> {
          return false;
        }
      }
      return true;
    });
    if (id[0].isEmpty()) throw new DecodeException("MutateRequest: machine_id is missing");
    MutationKind k = switch (kind[0]) {
      case 0 -> MutationKind.ADD;
      case 1 -> MutationKind.REMOVE;
      case 2 -> MutationKind.SET;
      default -> throw new DecodeException("MutateRequest: unknown kind " + kind[0]);
    };
    int[] s = states.toIndexes("MutateRequest.states");
    if (s.length == 0) throw new DecodeException("MutateRequest: no states");
    return new MutateRequest(id[0], k, s, toggle[0], error[0], List.copyOf(args), callId[0],
        trace[0]);
  }

  static WhenArgsRequest decodeWhenArgs(byte[] bytes) throws DecodeException {
    String[] id = {""};
    long[] state = {0};
    List<Arg> args = new ArrayList<>();
    read(bytes, "WhenArgsRequest", (in, n, t) -> {
      switch (n) {
        case 1 -> id[0] = string(in, t, "WhenArgsRequest", n);
        case 2 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "WhenArgsRequest", n);
          state[0] = in.readUInt64();
        }
        case 3 -> {
          if (args.size() == MAX_ARGS) {
            throw new DecodeException("WhenArgsRequest: more than " + MAX_ARGS + " arguments");
          }
          args.add(decodeArg(bytes(in, t, "WhenArgsRequest", n)));
        }
        default -> {
          return false;
        }
      }
      return true;
    });
    if (id[0].isEmpty()) throw new DecodeException("WhenArgsRequest: machine_id is missing");
    if (state[0] < 0 || state[0] > Integer.MAX_VALUE) {
      throw new DecodeException("WhenArgsRequest: state index " + Long.toUnsignedString(state[0])
          + " is out of range");
    }
    return new WhenArgsRequest(id[0], (int) state[0], List.copyOf(args));
  }

  static Waited decodeWaited(byte[] bytes) throws DecodeException {
    Clock[] after = {null};
    boolean[] registered = {false};
    read(bytes, "Waited", (in, n, t) -> {
      switch (n) {
        case 1 -> after[0] = decodeClock(bytes(in, t, "Waited", n));
        case 2 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "Waited", n);
          registered[0] = in.readBool();
        }
        default -> {
          return false;
        }
      }
      return true;
    });
    return new Waited(registered[0], after[0]);
  }

  private static ErrorData decodeError(byte[] bytes) throws DecodeException {
    String[] f = {"", ""};
    read(bytes, "Error", (in, n, t) -> {
      switch (n) {
        case 1 -> f[0] = string(in, t, "Error", n);
        case 2 -> f[1] = string(in, t, "Error", n);
        default -> {
          return false;
        }
      }
      return true;
    });
    return new ErrorData(f[0], f[1]);
  }

  private static Arg decodeArg(byte[] bytes) throws DecodeException {
    String[] f = {"", ""};
    read(bytes, "Arg", (in, n, t) -> {
      switch (n) {
        case 1 -> f[0] = string(in, t, "Arg", n);
        case 2 -> f[1] = string(in, t, "Arg", n);
        default -> {
          return false;
        }
      }
      return true;
    });
    if (f[0].isEmpty()) throw new DecodeException("Arg: key is missing");
    return new Arg(f[0], f[1]);
  }

  static Update decodeUpdate(byte[] bytes) throws DecodeException {
    Hello[] hello = {null};
    Clock[] clock = {null};
    String[] closed = {null};
    long[] taken = {0};
    read(bytes, "Update", (in, n, t) -> {
      switch (n) {
        case 4 -> {
          expect(t, WireFormat.WIRETYPE_FIXED64, "Update", n);
          taken[0] = in.readFixed64();
        }
        case 1 -> hello[0] = decodeHello(bytes(in, t, "Update", n));
        case 2 -> clock[0] = decodeClock(bytes(in, t, "Update", n));
        case 3 -> {
          String[] r = {""};
          read(bytes(in, t, "Update", n), "Closed", (i2, n2, t2) -> {
            if (n2 != 1) return false;
            r[0] = string(i2, t2, "Closed", n2);
            return true;
          });
          closed[0] = r[0];
        }
        default -> {
          return false;
        }
      }
      return true;
    });
    int set = (hello[0] != null ? 1 : 0) + (clock[0] != null ? 1 : 0) + (closed[0] != null ? 1 : 0);
    if (set != 1) throw new DecodeException("Update: expected one of hello, clock, closed");
    return new Update(hello[0], clock[0], closed[0], taken[0]);
  }

  private static Hello decodeHello(byte[] bytes) throws DecodeException {
    String[] hash = {""};
    Schema.SchemaData[] data = {null};
    read(bytes, "Hello", (in, n, t) -> {
      switch (n) {
        case 1 -> hash[0] = string(in, t, "Hello", n);
        case 2 -> data[0] = decodeSchema(bytes(in, t, "Hello", n));
        default -> {
          return false;
        }
      }
      return true;
    });
    if (data[0] == null) throw new DecodeException("Hello: schema is missing");
    return new Hello(hash[0], data[0]);
  }

  private static Schema.SchemaData decodeSchema(byte[] bytes) throws DecodeException {
    String[] name = {""};
    List<Schema.StateData> states = new ArrayList<>();
    read(bytes, "SchemaData", (in, n, t) -> {
      switch (n) {
        case 1 -> name[0] = string(in, t, "SchemaData", n);
        case 2 -> {
          if (states.size() == Schema.MAX_STATES) {
            throw new DecodeException("SchemaData: more than " + Schema.MAX_STATES + " states");
          }
          states.add(decodeState(bytes(in, t, "SchemaData", n)));
        }
        default -> {
          return false;
        }
      }
      return true;
    });
    return new Schema.SchemaData(name[0], states);
  }

  private static Schema.StateData decodeState(byte[] bytes) throws DecodeException {
    String[] name = {""};
    List<List<String>> lists = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
        new ArrayList<>(), new ArrayList<>());
    boolean[] flags = {false, false};
    read(bytes, "StateData", (in, n, t) -> {
      switch (n) {
        case 1 -> name[0] = string(in, t, "StateData", n);
        case 2, 3, 4, 5 -> lists.get(n - 2).add(string(in, t, "StateData", n));
        case 8 -> lists.get(4).add(string(in, t, "StateData", n));
        case 6, 7 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "StateData", n);
          flags[n - 6] = in.readBool();
        }
        default -> {
          return false;
        }
      }
      return true;
    });
    return new Schema.StateData(name[0], lists.get(0), lists.get(1), lists.get(2), lists.get(3),
        flags[0], flags[1], lists.get(4));
  }

  static Clock decodeClock(byte[] bytes) throws DecodeException {
    boolean[] full = {false};
    long[] scalars = {0, 0};
    LongList ticks = new LongList();
    LongList changed = new LongList();
    read(bytes, "Clock", (in, n, t) -> {
      switch (n) {
        case 1 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "Clock", n);
          full[0] = in.readBool();
        }
        case 2 -> {
          expect(t, WireFormat.WIRETYPE_FIXED64, "Clock", n);
          scalars[0] = in.readFixed64();
        }
        case 3 -> uint64s(in, t, "Clock.ticks", n, ticks);
        case 4 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "Clock", n);
          scalars[1] = in.readUInt64();
        }
        case 5 -> uint64s(in, t, "Clock.changed", n, changed);
        default -> {
          return false;
        }
      }
      return true;
    });
    long[] tk = ticks.toArray();
    for (long v : tk) {
      if (v < 0) throw new DecodeException("Clock: a clock above 2^63");
    }
    if (scalars[1] < 0) throw new DecodeException("Clock: queue tick above 2^63");
    if (full[0]) {
      if (changed.size != 0) throw new DecodeException("Clock: a full clock names changes");
      return new Clock(true, scalars[0], tk, scalars[1], null);
    }
    int[] ch = changed.toIndexes("Clock.changed");
    if (ch.length != tk.length) {
      throw new DecodeException("Clock: " + ch.length + " changed states for " + tk.length
          + " clocks");
    }
    return new Clock(false, scalars[0], tk, scalars[1], ch);
  }

  static Answer decodeAnswer(byte[] bytes) throws DecodeException {
    int[] status = {0};
    String[] reason = {""};
    Clock[] after = {null};
    long[] callId = {0};
    long[] code = {0};
    read(bytes, "Answer", (in, n, t) -> {
      switch (n) {
        case 1 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "Answer", n);
          status[0] = in.readEnum();
        }
        case 2 -> reason[0] = string(in, t, "Answer", n);
        case 3 -> after[0] = decodeClock(bytes(in, t, "Answer", n));
        case 4 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "Answer", n);
          callId[0] = in.readUInt64();
        }
        case 5 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "Answer", n);
          code[0] = in.readUInt32() & 0xffffffffL;
        }
        default -> {
          return false;
        }
      }
      return true;
    });
    Status s = switch (status[0]) {
      case 0 -> Status.EXECUTED;
      case 1 -> Status.CANCELED;
      case 2 -> Status.QUEUED;
      default -> throw new DecodeException("Answer: unknown status " + status[0]);
    };
    if (code[0] > 16) throw new DecodeException("Answer: unknown status code " + code[0]);
    return new Answer(s, reason[0], after[0], callId[0], (int) code[0]);
  }

  /** A MutateBatch: one to {@link #MAX_BATCH} requests, each numbered. */
  static List<MutateRequest> decodeBatch(byte[] bytes) throws DecodeException {
    List<MutateRequest> out = new ArrayList<>();
    read(bytes, "MutateBatch", (in, n, t) -> {
      if (n != 1) return false;
      if (out.size() == MAX_BATCH) {
        throw new DecodeException("MutateBatch: more than " + MAX_BATCH + " mutations");
      }
      out.add(decodeMutate(bytes(in, t, "MutateBatch", n)));
      return true;
    });
    if (out.isEmpty()) throw new DecodeException("MutateBatch: no mutations");
    return out;
  }

  static AnswerBatch decodeAnswerBatch(byte[] bytes) throws DecodeException {
    List<Answer> answers = new ArrayList<>();
    Clock[] after = {null};
    long[] batch = {0};
    read(bytes, "AnswerBatch", (in, n, t) -> {
      switch (n) {
        case 1 -> {
          if (answers.size() == MAX_BATCH) {
            throw new DecodeException("AnswerBatch: more than " + MAX_BATCH + " answers");
          }
          answers.add(decodeAnswer(bytes(in, t, "AnswerBatch", n)));
        }
        case 2 -> after[0] = decodeClock(bytes(in, t, "AnswerBatch", n));
        case 3 -> {
          expect(t, WireFormat.WIRETYPE_VARINT, "AnswerBatch", n);
          batch[0] = in.readUInt64();
        }
        default -> {
          return false;
        }
      }
      return true;
    });
    return new AnswerBatch(List.copyOf(answers), after[0], batch[0]);
  }
}
