package dev.stator;

import java.util.List;

/**
 * A schema failed validation. One exception reports every problem found, each naming the states
 * involved; {@link #problems()} lists them one by one. With one problem the message reads {@code
 * invalid schema Conn: state 'Ready' requires unknown state 'Conected'}; with several, one line
 * per problem follows the count.
 */
public final class SchemaException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** The problems, in the order found. */
  private final List<String> problems;

  SchemaException(String schema, List<String> problems) {
    super(message(schema, problems));
    this.problems = List.copyOf(problems);
  }

  /**
   * Every problem found, in the order found: those of declaration (a state declared twice) first,
   * then those of each state in schema order, then the schema's size and its cycles.
   *
   * @return an unmodifiable, non-empty list of messages, each naming the states involved
   */
  public List<String> problems() {
    return problems;
  }

  private static String message(String schema, List<String> problems) {
    if (problems.size() == 1) return "invalid schema " + schema + ": " + problems.get(0);
    StringBuilder sb = new StringBuilder("invalid schema ").append(schema).append(", ")
        .append(problems.size()).append(" problems:");
    for (String p : problems) sb.append("\n  - ").append(p);
    return sb.toString();
  }
}
