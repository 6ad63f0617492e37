package dev.stator.history;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The little JSON the export format needs: writing strings with escapes, and parsing one line
 * into maps ({@link LinkedHashMap}), lists, strings, {@link Long}s, {@link Double}s, booleans
 * and nulls. Hand-written so that the module depends on core only.
 */
final class Json {
  private Json() {}

  /** Appends {@code s} as a JSON string, or {@code null}. */
  static StringBuilder string(StringBuilder sb, @Nullable String s) {
    if (s == null) return sb.append("null");
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"');
  }

  /** Appends a JSON array of strings. */
  static StringBuilder strings(StringBuilder sb, List<String> list) {
    sb.append('[');
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) sb.append(',');
      string(sb, list.get(i));
    }
    return sb.append(']');
  }

  /** Appends a JSON array of numbers. */
  static StringBuilder longs(StringBuilder sb, long[] values) {
    sb.append('[');
    for (int i = 0; i < values.length; i++) {
      if (i > 0) sb.append(',');
      sb.append(values[i]);
    }
    return sb.append(']');
  }

  /**
   * Parses one JSON value that fills {@code text}.
   *
   * @throws IllegalArgumentException saying where the text is not JSON
   */
  static @Nullable Object parse(String text) {
    Parser p = new Parser(text);
    p.space();
    Object v = p.value();
    p.space();
    if (p.i != text.length()) throw p.error("unexpected text after the value");
    return v;
  }

  private static final class Parser {
    final String s;
    int i;

    Parser(String s) {
      this.s = s;
    }

    @Nullable Object value() {
      if (i >= s.length()) throw error("unexpected end");
      char c = s.charAt(i);
      return switch (c) {
        case '{' -> object();
        case '[' -> array();
        case '"' -> string();
        case 't' -> literal("true", Boolean.TRUE);
        case 'f' -> literal("false", Boolean.FALSE);
        case 'n' -> literal("null", null);
        default -> {
          if (c == '-' || (c >= '0' && c <= '9')) yield number();
          throw error("unexpected '" + c + "'");
        }
      };
    }

    Map<String, @Nullable Object> object() {
      Map<String, @Nullable Object> out = new LinkedHashMap<>();
      i++;
      space();
      if (peek() == '}') {
        i++;
        return out;
      }
      for (;;) {
        space();
        if (peek() != '"') throw error("expected a field name");
        String key = string();
        space();
        expect(':');
        space();
        out.put(key, value());
        space();
        char c = next();
        if (c == '}') return out;
        if (c != ',') throw error("expected ',' or '}'");
      }
    }

    List<@Nullable Object> array() {
      List<@Nullable Object> out = new ArrayList<>();
      i++;
      space();
      if (peek() == ']') {
        i++;
        return out;
      }
      for (;;) {
        space();
        out.add(value());
        space();
        char c = next();
        if (c == ']') return out;
        if (c != ',') throw error("expected ',' or ']'");
      }
    }

    String string() {
      expect('"');
      StringBuilder sb = new StringBuilder();
      for (;;) {
        char c = next();
        if (c == '"') return sb.toString();
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        char e = next();
        switch (e) {
          case '"', '\\', '/' -> sb.append(e);
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'u' -> {
            if (i + 4 > s.length()) throw error("short \\u escape");
            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            i += 4;
          }
          default -> throw error("bad escape \\" + e);
        }
      }
    }

    Object number() {
      int start = i;
      if (peek() == '-') i++;
      boolean fraction = false;
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c >= '0' && c <= '9') {
          i++;
        } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
          fraction = true;
          i++;
        } else {
          break;
        }
      }
      String n = s.substring(start, i);
      try {
        return fraction ? (Object) Double.parseDouble(n) : (Object) Long.parseLong(n);
      } catch (NumberFormatException e) {
        throw error("bad number " + n);
      }
    }

    @Nullable Object literal(String word, @Nullable Object value) {
      if (!s.startsWith(word, i)) throw error("expected " + word);
      i += word.length();
      return value;
    }

    void space() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    char peek() {
      if (i >= s.length()) throw error("unexpected end");
      return s.charAt(i);
    }

    char next() {
      char c = peek();
      i++;
      return c;
    }

    void expect(char c) {
      if (next() != c) {
        i--;
        throw error("expected '" + c + "'");
      }
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException(what + " at column " + (i + 1));
    }
  }
}
