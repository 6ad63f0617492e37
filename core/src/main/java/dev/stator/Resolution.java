package dev.stator;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How the engine resolves one mutation from an active set, step by step: the rules of
 * {@code docs/spec.md} section 2 (R1–R6) as data, made by {@link Schema#explain}. The steps are
 * recorded by the engine's own resolution code as it runs, so they never disagree with what a
 * machine does; handlers (P1–P2) can still refuse a mutation that resolution accepted.
 *
 * {@snippet :
 * Resolution r = schema.explain(MutationKind.ADD, List.of("Connected"), List.of("Idle"));
 * r.accepted();                  // false
 * r.refusal();                   // "Connected requires Session"
 * r.steps().get(0).text();       // "Connected is called (R1)"
 * }
 *
 * <p>Immutable and safe to share between threads.
 *
 * @param kind the mutation's kind ({@code AUTO} resolves once, like {@code ADD}, with the
 *     called states given; the machine's own auto mutation narrows its states first, R10)
 * @param called the called states, in the caller's order
 * @param before the active set before, in schema order
 * @param target the target active set, in schema order
 * @param accepted whether resolution accepts the mutation (R6)
 * @param refusal why it does not, in the words a {@link Result} of the machine uses, or
 *     {@code null} when accepted
 * @param steps what happened to each state, in the order resolution did it
 */
public record Resolution(MutationKind kind, List<String> called, List<String> before,
    List<String> target, boolean accepted, @Nullable String refusal, List<Step> steps) {

  /** Copies the lists. */
  public Resolution {
    Objects.requireNonNull(kind, "kind");
    called = List.copyOf(called);
    before = List.copyOf(before);
    target = List.copyOf(target);
    steps = List.copyOf(steps);
  }

  /** What a step did to a state. */
  public enum Change {
    /** A called state became a candidate (R1). */
    CALLED,
    /** An {@code add} relation pulled the state in (R2, R5). */
    PULLED,
    /**
     * The state left the candidates: the call removed it, {@code set} did not name it, a
     * requirement is missing (R3) or a candidate removes it (R4), or the machine closed.
     */
    DROPPED,
    /** An {@code add} target that conflicts with the result was not pulled in (R5). */
    SKIPPED
  }

  /**
   * One step of resolution.
   *
   * @param rule the rule of {@code docs/spec.md} that made it: {@code "R1"} to {@code "R5"}
   * @param change what happened to the state
   * @param state the state's name
   * @param because the other state that caused it (the one that adds, requires or removes),
   *     or {@code null} when the call itself did
   * @param relation {@code "called"}, {@code "set"}, {@code "close"}, {@code "add"},
   *     {@code "require"} or {@code "remove"}
   */
  public record Step(String rule, Change change, String state, @Nullable String because,
      String relation) {

    /** Checks the fields. */
    public Step {
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(change, "change");
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(relation, "relation");
    }

    /** The step as a sentence, for a person. */
    public String text() {
      String what = switch (change) {
        case CALLED -> state + " is called";
        case PULLED -> because + " adds " + state;
        case SKIPPED -> state + " is not added: it conflicts with " + because;
        case DROPPED -> switch (relation) {
          case "require" -> state + " is dropped: it requires " + because;
          case "remove" -> state + " is dropped: " + because + " removes it";
          case "set" -> state + " is dropped: set does not name it";
          case "close" -> state + " is dropped: the machine closes";
          default -> state + " is dropped by the call";
        };
      };
      return what + " (" + rule + ")";
    }
  }

  /** Collects steps from {@link Resolver} with the schema's names. */
  static final class Collector {
    private final Schema<?> schema;
    final List<Step> steps = new ArrayList<>();

    Collector(Schema<?> schema) {
      this.schema = schema;
    }

    void step(String rule, Change change, int state, int because, String relation) {
      steps.add(new Step(rule, change, schema.names[state],
          because < 0 ? null : schema.names[because], relation));
    }
  }
}
