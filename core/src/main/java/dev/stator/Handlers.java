package dev.stator;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The handler sources of one machine, with masks OR-ed over all of them. */
final class Handlers {
  final Binder.Source[] sources;
  final long[] masks = new long[5];
  final long pairTo;
  final boolean anyEnter;
  final boolean anyState;
  final boolean observesErrors;

  private Handlers(List<Binder.Source> list, int exception) {
    this.sources = list.toArray(Binder.Source[]::new);
    long pairTo = 0;
    boolean anyEnter = false;
    boolean anyState = false;
    for (Binder.Source s : sources) {
      for (int p = 0; p < 5; p++) masks[p] |= s.plan.masks[p];
      pairTo |= s.plan.pairTo;
      anyEnter |= s.plan.anyEnter != null;
      anyState |= s.plan.anyState != null;
    }
    this.pairTo = pairTo;
    this.anyEnter = anyEnter;
    this.anyState = anyState;
    long ex = 1L << exception;
    this.observesErrors = ((masks[Binder.ENTER] | masks[Binder.STATE]) & ex) != 0;
  }

  static @Nullable Handlers of(List<Binder.Source> list, int exception) {
    List<Binder.Source> nonEmpty = new ArrayList<>();
    for (Binder.Source s : list) {
      Binder.Plan p = s.plan;
      boolean any = p.anyEnter != null || p.anyState != null || p.pairTo != 0;
      for (long m : p.masks) any |= m != 0;
      if (any) nonEmpty.add(s);
    }
    if (nonEmpty.isEmpty()) return null;
    return new Handlers(nonEmpty, exception);
  }
}
