package dev.stator.inspect;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A strict little JSON parser for the tests: objects as maps, arrays as lists, numbers as
 * {@code Long} or {@code Double}. Fails on anything that is not JSON, so a test also checks
 * that the server writes valid JSON. */
final class TestJson {
  private final String s;
  private int i;

  private TestJson(String s) {
    this.s = s;
  }

  static Object parse(String text) {
    TestJson p = new TestJson(text);
    p.ws();
    Object v = p.value();
    p.ws();
    if (p.i != text.length()) throw p.fail("text after the value");
    return v;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(String text) {
    return (Map<String, Object>) parse(text);
  }

  private Object value() {
    char c = s.charAt(i);
    switch (c) {
      case '{': {
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (s.charAt(i) == '}') { i++; return m; }
        for (;;) {
          ws();
          String k = string();
          ws();
          expect(':');
          ws();
          m.put(k, value());
          ws();
          char d = s.charAt(i++);
          if (d == '}') return m;
          if (d != ',') throw fail("expected , or }");
        }
      }
      case '[': {
        i++;
        List<Object> l = new ArrayList<>();
        ws();
        if (s.charAt(i) == ']') { i++; return l; }
        for (;;) {
          ws();
          l.add(value());
          ws();
          char d = s.charAt(i++);
          if (d == ']') return l;
          if (d != ',') throw fail("expected , or ]");
        }
      }
      case '"':
        return string();
      case 't': return word("true", Boolean.TRUE);
      case 'f': return word("false", Boolean.FALSE);
      case 'n': return word("null", null);
      default: {
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
        String n = s.substring(start, i);
        if (n.isEmpty()) throw fail("unexpected " + c);
        return n.matches("-?\\d+") ? (Object) Long.parseLong(n) : (Object) Double.parseDouble(n);
      }
    }
  }

  private Object word(String w, Object v) {
    if (!s.startsWith(w, i)) throw fail("expected " + w);
    i += w.length();
    return v;
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    for (;;) {
      char c = s.charAt(i++);
      if (c == '"') return b.toString();
      if (c < 0x20) throw fail("raw control character in a string");
      if (c != '\\') { b.append(c); continue; }
      char e = s.charAt(i++);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
        default -> throw fail("bad escape");
      }
    }
  }

  private void expect(char c) {
    if (s.charAt(i++) != c) throw fail("expected " + c);
  }

  private void ws() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
  }

  private IllegalArgumentException fail(String what) {
    return new IllegalArgumentException(what + " at " + i + " in " + s);
  }
}
