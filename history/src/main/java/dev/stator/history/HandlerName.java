package dev.stator.history;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * What a handler's name means for a schema: the state it belongs to and its phase
 * ({@code connectedEnter} is state {@code Connected}, phase {@link HandlerPhase#ENTER}; for a
 * pair handler {@code readyWorking} the state is the one entering, {@code Working}).
 *
 * <p>Telemetry uses it to label handler metrics with low-cardinality attributes; the names
 * follow the engine's naming rule (spec P8: {@code Connected -> connected},
 * {@code NOT_READY -> notReady}).
 *
 * @param name the handler's name
 * @param state the state it belongs to, or {@code null} for {@code anyEnter}, {@code anyState}
 *     and unknown names
 * @param phase its phase
 */
public record HandlerName(String name, @Nullable String state, HandlerPhase phase) {
  /* Design: the engine's Tracer reports handlers by name only (core keeps the slot in a
   * package-private field). Parsing the name back is exact for every name the engine produces,
   * because the engine rejects schemas whose handler names clash. A core hook
   * (Event.handlerState(), Event.handlerPhase()) would make this class unnecessary. */

  /**
   * A resolver of handler names for one schema, caching what it parsed. Thread-safe.
   *
   * @param stateNames the schema's state names in schema order
   */
  public static Resolver resolver(List<String> stateNames) {
    return new Resolver(stateNames);
  }

  /** Parses and caches handler names of one schema. Thread-safe; lookups do not allocate. */
  public static final class Resolver {
    private final List<String> states;
    private final String[] prefixes;
    private final Map<String, HandlerName> cache = new ConcurrentHashMap<>();

    Resolver(List<String> stateNames) {
      this.states = List.copyOf(stateNames);
      this.prefixes = new String[states.size()];
      for (int i = 0; i < prefixes.length; i++) prefixes[i] = prefix(states.get(i));
    }

    /** The meaning of {@code handler}. */
    public HandlerName of(String handler) {
      HandlerName n = cache.get(handler);
      if (n == null) {
        n = parse(handler);
        if (cache.size() < 4096) cache.put(handler, n);
      }
      return n;
    }

    private HandlerName parse(String h) {
      if (h.equals("anyEnter")) return new HandlerName(h, null, HandlerPhase.ANY_ENTER);
      if (h.equals("anyState")) return new HandlerName(h, null, HandlerPhase.ANY_STATE);
      for (int i = 0; i < prefixes.length; i++) {
        String p = prefixes[i];
        if (!h.startsWith(p)) continue;
        String rest = h.substring(p.length());
        switch (rest) {
          case "Enter" -> { return new HandlerName(h, states.get(i), HandlerPhase.ENTER); }
          case "Exit" -> { return new HandlerName(h, states.get(i), HandlerPhase.EXIT); }
          case "State" -> { return new HandlerName(h, states.get(i), HandlerPhase.STATE); }
          case "End" -> { return new HandlerName(h, states.get(i), HandlerPhase.END); }
          default -> { }
        }
      }
      for (int from = 0; from < prefixes.length; from++) {
        if (!h.startsWith(prefixes[from])) continue;
        String rest = h.substring(prefixes[from].length());
        for (int to = 0; to < prefixes.length; to++) {
          if (rest.equals(cap(prefixes[to]))) {
            return new HandlerName(h, states.get(to),
                from == to ? HandlerPhase.SELF : HandlerPhase.PAIR);
          }
        }
      }
      return new HandlerName(h, null, HandlerPhase.UNKNOWN);
    }
  }

  /** The engine's handler-name prefix of a state (spec P8). */
  static String prefix(String state) {
    if (state.equals(state.toUpperCase(Locale.ROOT))
        && !state.equals(state.toLowerCase(Locale.ROOT))) {
      StringBuilder sb = new StringBuilder();
      for (String part : state.toLowerCase(Locale.ROOT).split("_")) {
        if (part.isEmpty()) continue;
        sb.append(sb.isEmpty() ? part : cap(part));
      }
      return sb.toString();
    }
    return Character.toLowerCase(state.charAt(0)) + state.substring(1);
  }

  private static String cap(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
