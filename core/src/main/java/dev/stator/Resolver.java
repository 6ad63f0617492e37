package dev.stator;

import dev.stator.Resolution.Change;
import dev.stator.Resolution.Collector;
import org.jspecify.annotations.Nullable;

/**
 * Resolution of a mutation against the relations: a pure function from (schema, kind, called
 * states in the caller's order, active set) to the target active set. Implements steps 1-5 of
 * {@code docs/spec.md} section "Resolution"; step 6 (accept or cancel) is left to the caller,
 * with {@link #refusal} for the reason.
 *
 * <p>Works on 64-bit masks only and allocates nothing, unless given a {@link Collector}: then
 * every step is also reported to it ({@link Schema#explain}), from the same code, so an
 * explanation cannot disagree with what a machine does.
 */
final class Resolver {
  private Resolver() {}

  /**
   * The auto states that the auto mutation adds (spec Q3, R10): the inactive auto states not
   * removed by an active state, narrowed to those that survive resolution, re-resolved until
   * every one of them does, so an auto state that cannot activate has no effect at all (R10).
   */
  static long autoStates(Schema<?> schema, long before) {
    long autos = schema.auto & ~before;
    for (long m = autos; m != 0; m &= m - 1) {
      int i = Long.numberOfTrailingZeros(m);
      if ((schema.removedBy[i] & before) != 0) autos &= ~(1L << i);
    }
    while (autos != 0) {
      long survivors = autos & resolve(schema, MutationKind.AUTO, autos, null, before);
      if (survivors == autos) break;
      autos = survivors;
    }
    return autos;
  }

  /**
   * The target active set.
   *
   * @param kind ADD, REMOVE, SET or AUTO (AUTO resolves like ADD)
   * @param called the called states
   * @param order the called states in the caller's order, or {@code null} for schema order
   * @param active the active set before the transition
   */
  static long resolve(Schema<?> s, MutationKind kind, long called, byte @Nullable [] order,
      long active) {
    return resolve(s, kind, called, order, active, null);
  }

  /** As {@link #resolve(Schema, MutationKind, long, byte[], long)}, reporting each step to x. */
  static long resolve(Schema<?> s, MutationKind kind, long called, byte @Nullable [] order,
      long active, @Nullable Collector x) {
    // R1: candidates.
    long c = switch (kind) {
      case ADD, AUTO -> active | called;
      case REMOVE -> active & ~called;
      case SET -> called;
      case CLOSE -> 0;
    };
    if (x != null) candidates(x, kind, called, active, c);
    if (kind == MutationKind.CLOSE) return 0;
    if (kind == MutationKind.REMOVE) {
      // Nothing enters on a remove: only requirements can cascade.
      return requireFilter(s, c, x, "R3");
    }
    long reenter = called & active & s.multi;
    // R2: add closure of the states that enter.
    long pulled = 0;
    long frontier = (c & ~active) | reenter;
    while (frontier != 0) {
      long targets = 0;
      for (long m = frontier; m != 0; m &= m - 1) targets |= s.add[Long.numberOfTrailingZeros(m)];
      long fresh = targets & ~c;
      if (x != null) pulledBy(s, x, "R2", fresh, frontier);
      c |= fresh;
      pulled |= fresh;
      frontier = fresh & ~active;
    }
    // R3: requirements.
    c = requireFilter(s, c, x, "R3");
    // R4: remove conflicts, visiting pulled (last declared first), active, called (last named
    // first); a state is dropped if a candidate not yet dropped removes it.
    long calledIn = called & c;
    long pulledIn = pulled & c;
    long activeIn = c & ~calledIn & ~pulledIn;
    for (long m = pulledIn; m != 0; m &= ~Long.highestOneBit(m)) {
      c = visit(s, c, 63 - Long.numberOfLeadingZeros(m), x);
    }
    for (long m = activeIn; m != 0; m &= m - 1) {
      c = visit(s, c, Long.numberOfTrailingZeros(m), x);
    }
    if (order == null) {
      for (long m = calledIn; m != 0; m &= ~Long.highestOneBit(m)) {
        c = visit(s, c, 63 - Long.numberOfLeadingZeros(m), x);
      }
    } else {
      for (int k = order.length - 1; k >= 0; k--) {
        c = visit(s, c, order[k], x);
      }
    }
    // R5: pull in the add targets of entering survivors again, one at a time, always the first
    // pending target in schema order; a pulled state's own targets join the pending ones. A
    // target that conflicts either way with the result is skipped (conflicts only grow).
    long pending = 0;
    for (long m = (c & ~active) | (reenter & c); m != 0; m &= m - 1) {
      pending |= s.add[Long.numberOfTrailingZeros(m)];
    }
    pending &= ~c;
    long skipped = 0;
    while (pending != 0) {
      int j = Long.numberOfTrailingZeros(pending);
      long bit = 1L << j;
      pending &= ~bit;
      long conflicts = (s.remove[j] & c) | (s.removedBy[j] & c);
      if (conflicts == 0) {
        if (x != null) pulledBy(s, x, "R5", bit, c);
        c |= bit;
        if ((active & bit) == 0) pending |= s.add[j];
      } else {
        if (x != null) x.step("R5", Change.SKIPPED, j, lowest(conflicts), "remove");
        skipped |= bit;
      }
      pending &= ~c & ~skipped;
    }
    return requireFilter(s, c, x, "R5");
  }

  private static long visit(Schema<?> s, long c, int i, @Nullable Collector x) {
    long bit = 1L << i;
    long by = s.removedBy[i] & c & ~bit;
    if ((c & bit) != 0 && by != 0) {
      if (x != null) x.step("R4", Change.DROPPED, i, lowest(by), "remove");
      return c & ~bit;
    }
    return c;
  }

  /** Drops every state whose requirements are missing, until none is. */
  static long requireFilter(Schema<?> s, long c) {
    return requireFilter(s, c, null, "R3");
  }

  private static long requireFilter(Schema<?> s, long c, @Nullable Collector x, String rule) {
    long prev;
    do {
      prev = c;
      for (long m = c; m != 0; m &= m - 1) {
        int i = Long.numberOfTrailingZeros(m);
        long missing = s.require[i] & ~c;
        if (missing != 0) {
          if (x != null) x.step(rule, Change.DROPPED, i, lowest(missing), "require");
          c &= ~(1L << i);
        }
      }
    } while (c != prev);
    return c;
  }

  /**
   * Why resolution refuses an add or set (R6): the first called state missing from the target,
   * and what kept it out. The text a canceled {@link Result} carries.
   */
  static String refusal(Schema<?> schema, long missing, long target) {
    int i = Long.numberOfTrailingZeros(missing);
    String name = schema.names[i];
    long needs = schema.require[i] & ~target;
    if (needs != 0) return name + " requires " + String.join(", ", schema.namesOf(needs));
    long by = schema.removedBy[i] & target;
    if (by == 0) by = schema.remove[i] & target; // it lost a mutual removal
    if (by != 0) return name + " is removed by " + String.join(", ", schema.namesOf(by));
    return name + " did not resolve";
  }

  // ------------------------------------------------------------ explanation only

  private static int lowest(long mask) {
    return Long.numberOfTrailingZeros(mask);
  }

  /** R1 as steps: the called states that become candidates, the states the call drops. */
  private static void candidates(Collector x, MutationKind kind, long called, long active,
      long c) {
    switch (kind) {
      case ADD, AUTO, SET -> {
        for (long m = called; m != 0; m &= m - 1) {
          x.step("R1", Change.CALLED, lowest(m), -1, "called");
        }
        for (long m = active & ~c; m != 0; m &= m - 1) {
          x.step("R1", Change.DROPPED, lowest(m), -1, "set");
        }
      }
      case REMOVE -> {
        for (long m = active & called; m != 0; m &= m - 1) {
          x.step("R1", Change.DROPPED, lowest(m), -1, "called");
        }
      }
      case CLOSE -> {
        for (long m = active; m != 0; m &= m - 1) {
          x.step("R1", Change.DROPPED, lowest(m), -1, "close");
        }
      }
    }
  }

  /** Each state of {@code fresh} as pulled in by the first of {@code sources} that adds it. */
  private static void pulledBy(Schema<?> s, Collector x, String rule, long fresh, long sources) {
    for (long m = fresh; m != 0; m &= m - 1) {
      int t = lowest(m);
      int by = -1;
      for (long k = sources; k != 0 && by < 0; k &= k - 1) {
        if ((s.add[lowest(k)] & (1L << t)) != 0) by = lowest(k);
      }
      x.step(rule, Change.PULLED, t, by, "add");
    }
  }
}
