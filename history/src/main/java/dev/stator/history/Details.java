package dev.stator.history;

import dev.stator.Args;
import dev.stator.Key;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The parts of a record that are kept as references while it sits in the ring and turned into
 * text when a copy is taken: arguments (through their keys' codecs) and an error's stack trace.
 * Rendering on the reader's side keeps the machine's cost a plain store.
 */
final class Details {
  private Details() {}

  /** The most characters of a stack trace a record keeps. */
  static final int MAX_TRACE = 8 * 1024;

  /**
   * The arguments as text: a value through its key's codec, or {@code <Type>} for a key
   * without one (a value without a codec is not shown: it may not be meant for the eyes of
   * whoever reads the history). A failing codec shows its failure instead of the value.
   */
  static Map<String, String> args(@Nullable Args args) {
    if (args == null || args.isEmpty()) return Map.of();
    Map<String, String> out = new LinkedHashMap<>();
    args.forEach((k, v) -> out.put(k.name(), text(k, v)));
    return Collections.unmodifiableMap(out);
  }

  @SuppressWarnings("unchecked")
  private static String text(Key<?> key, @Nullable Object value) {
    Key.Codec<Object> codec = (Key.Codec<Object>) key.codec();
    if (codec == null) return "<" + key.type().getSimpleName() + ">";
    if (value == null) return "null";
    try {
      return Recorder.cut(codec.encode(value), Recorder.MAX_TEXT);
    } catch (RuntimeException e) {
      return "<codec failed: " + e + ">";
    }
  }

  /** The stack trace of {@code t}, cut at {@link #MAX_TRACE} characters; null for null. */
  static @Nullable String trace(@Nullable Throwable t) {
    if (t == null) return null;
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return Recorder.cut(w.toString(), MAX_TRACE);
  }
}
