package dev.stator;

import org.jspecify.annotations.Nullable;

/**
 * Resolution of a mutation against the relations: a pure function from (schema, kind, called
 * states in the caller's order, active set) to the target active set. Implements steps 1-5 of
 * {@code docs/spec.md} section "Resolution"; step 6 (accept or cancel) is left to the caller.
 *
 * <p>Works on 64-bit masks only and allocates nothing.
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
    // R1: candidates.
    long c = switch (kind) {
      case ADD, AUTO -> active | called;
      case REMOVE -> active & ~called;
      case SET -> called;
      case CLOSE -> 0;
    };
    if (kind == MutationKind.CLOSE) return 0;
    if (kind == MutationKind.REMOVE) {
      // Nothing enters on a remove: only requirements can cascade.
      return requireFilter(s, c);
    }
    long reenter = called & active & s.multi;
    // R2: add closure of the states that enter.
    long pulled = 0;
    long frontier = (c & ~active) | reenter;
    while (frontier != 0) {
      long targets = 0;
      for (long m = frontier; m != 0; m &= m - 1) targets |= s.add[Long.numberOfTrailingZeros(m)];
      long fresh = targets & ~c;
      c |= fresh;
      pulled |= fresh;
      frontier = fresh & ~active;
    }
    // R3: requirements.
    c = requireFilter(s, c);
    // R4: remove conflicts, visiting pulled (last declared first), active, called (last named
    // first); a state is dropped if a candidate not yet dropped removes it.
    long calledIn = called & c;
    long pulledIn = pulled & c;
    long activeIn = c & ~calledIn & ~pulledIn;
    for (long m = pulledIn; m != 0; m &= ~Long.highestOneBit(m)) {
      c = visit(s, c, 63 - Long.numberOfLeadingZeros(m));
    }
    for (long m = activeIn; m != 0; m &= m - 1) {
      c = visit(s, c, Long.numberOfTrailingZeros(m));
    }
    if (order == null) {
      for (long m = calledIn; m != 0; m &= ~Long.highestOneBit(m)) {
        c = visit(s, c, 63 - Long.numberOfLeadingZeros(m));
      }
    } else {
      for (int k = order.length - 1; k >= 0; k--) {
        c = visit(s, c, order[k]);
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
      if ((s.remove[j] & c) == 0 && (s.removedBy[j] & c) == 0) {
        c |= bit;
        if ((active & bit) == 0) pending |= s.add[j];
      } else {
        skipped |= bit;
      }
      pending &= ~c & ~skipped;
    }
    return requireFilter(s, c);
  }

  private static long visit(Schema<?> s, long c, int i) {
    long bit = 1L << i;
    if ((c & bit) != 0 && (s.removedBy[i] & c & ~bit) != 0) return c & ~bit;
    return c;
  }

  /** Drops every state whose requirements are missing, until none is. */
  static long requireFilter(Schema<?> s, long c) {
    long prev;
    do {
      prev = c;
      for (long m = c; m != 0; m &= m - 1) {
        int i = Long.numberOfTrailingZeros(m);
        if ((s.require[i] & ~c) != 0) c &= ~(1L << i);
      }
    } while (c != prev);
    return c;
  }
}
