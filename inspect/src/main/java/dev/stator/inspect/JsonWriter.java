package dev.stator.inspect;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Writes JSON into a {@link StringBuilder}: objects, arrays, strings (escaped as RFC 8259
 * requires, plus U+2028/U+2029 so the text is also safe inside a script), numbers, booleans.
 * Commas are placed by the writer; the caller only opens, names and closes. Not thread-safe:
 * one writer per response.
 */
final class JsonWriter {
  /* Design: a depth-indexed "first element" bit set replaces a stack of states; 64 levels are
   * far more than the API nests (4). Doubles are written as integers when whole, else with
   * Double.toString (never NaN or infinity here: layout coordinates are finite). */

  private final StringBuilder sb;
  private long first = 1; // bit d: the next value at depth d is the first of its container
  private int depth;
  private boolean named; // a name was just written; the value needs no comma

  JsonWriter(StringBuilder sb) {
    this.sb = sb;
  }

  JsonWriter() {
    this(new StringBuilder(256));
  }

  private void comma() {
    if (named) {
      named = false;
      return;
    }
    if ((first >>> depth & 1) == 0) sb.append(',');
    first &= ~(1L << depth);
  }

  private void open(char c) {
    comma();
    sb.append(c);
    depth++;
    if (depth >= 64) throw new IllegalStateException("JSON nested too deep");
    first |= 1L << depth;
  }

  JsonWriter object() {
    open('{');
    return this;
  }

  JsonWriter array() {
    open('[');
    return this;
  }

  JsonWriter end(char c) {
    depth--;
    sb.append(c);
    return this;
  }

  JsonWriter endObject() {
    return end('}');
  }

  JsonWriter endArray() {
    return end(']');
  }

  /** Writes a field name; the next call writes its value. */
  JsonWriter name(String name) {
    comma();
    quote(sb, name);
    sb.append(':');
    named = true;
    return this;
  }

  JsonWriter value(@Nullable String s) {
    comma();
    if (s == null) {
      sb.append("null");
    } else {
      quote(sb, s);
    }
    return this;
  }

  JsonWriter value(long v) {
    comma();
    sb.append(v);
    return this;
  }

  JsonWriter value(double v) {
    comma();
    if (!Double.isFinite(v)) {
      sb.append("null");
    } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      sb.append((long) v);
    } else {
      sb.append(v);
    }
    return this;
  }

  JsonWriter value(boolean v) {
    comma();
    sb.append(v);
    return this;
  }

  JsonWriter field(String name, @Nullable String v) {
    return name(name).value(v);
  }

  JsonWriter field(String name, long v) {
    return name(name).value(v);
  }

  JsonWriter field(String name, double v) {
    return name(name).value(v);
  }

  JsonWriter field(String name, boolean v) {
    return name(name).value(v);
  }

  JsonWriter strings(String name, List<String> values) {
    name(name).array();
    for (String v : values) value(v);
    return endArray();
  }

  JsonWriter longs(String name, long[] values) {
    name(name).array();
    for (long v : values) value(v);
    return endArray();
  }

  @Override
  public String toString() {
    return sb.toString();
  }

  /** Appends {@code s} as a JSON string. */
  static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append("\\u").append(String.format("%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
