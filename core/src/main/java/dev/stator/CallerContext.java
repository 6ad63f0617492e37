package dev.stator;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * The context carriers of a machine (spec Q10): what a mutating caller's thread has bound (a
 * {@code ScopedValue}, an OpenTelemetry context), captured at submit and re-established where
 * the mutation's transition, and the tasks it forks, run later.
 *
 * <p>A captured context is a {@code Runnable} built by the carriers around a trampoline that
 * runs whatever body is current on the running thread ({@link #BODY}), so one capture serves the
 * transition and every task it forks.
 */
final class CallerContext {
  private static final System.Logger LOG = System.getLogger("dev.stator.Machine");
  /** The body a captured context runs; set on the running thread just before. */
  private static final ThreadLocal<Runnable> BODY = new ThreadLocal<>();

  private final List<UnaryOperator<Runnable>> carriers;

  CallerContext(List<UnaryOperator<Runnable>> carriers) {
    this.carriers = carriers;
  }

  /** Whether there are no carriers (nothing is ever captured). */
  boolean isEmpty() {
    return carriers.isEmpty();
  }

  /** The calling thread's context, as the carriers capture it, to be run later. */
  Runnable capture() {
    Runnable r = () -> BODY.get().run();
    for (UnaryOperator<Runnable> c : carriers) r = c.apply(r);
    return r;
  }

  /**
   * A task body wrapped with the context it must see: {@code captured} (the context of the
   * caller whose mutation is running) if there is one, else the forking thread's own.
   */
  Runnable wrap(Runnable body, @Nullable Runnable captured) {
    if (captured == null) {
      Runnable r = body;
      for (UnaryOperator<Runnable> c : carriers) r = c.apply(r);
      return r;
    }
    return () -> run(captured, body);
  }

  /** Runs {@code body} on this thread inside a context that {@link #capture} captured. */
  static void run(Runnable captured, Runnable body) {
    Runnable outer = BODY.get(); // a context run inside another on the same thread: restore
    BODY.set(body);
    try {
      captured.run();
    } finally {
      if (outer == null) {
        BODY.remove();
      } else {
        BODY.set(outer);
      }
    }
  }

  /**
   * Runs a transition inside {@code captured} and returns its result. A carrier that throws or
   * does not run its body must not cost the transition: it is logged and the transition runs
   * without the context; what the transition itself throws passes through.
   */
  static boolean runTransition(Runnable captured, BooleanSupplier transition, String machine) {
    Carried c = new Carried(transition);
    try {
      run(captured, c);
    } catch (RuntimeException | Error t) {
      if (t == c.own) throw t;
      LOG.log(System.Logger.Level.ERROR, "machine " + machine + ": a context carrier threw"
          + (c.ran ? " after" : " before") + " the transition it carried", t);
    }
    if (!c.ran) {
      LOG.log(System.Logger.Level.ERROR, "machine " + machine + ": a context carrier did not "
          + "run the transition it carried; it runs without the caller's context");
      c.run();
    }
    return c.result;
  }

  private static final class Carried implements Runnable {
    private final BooleanSupplier transition;
    boolean ran;
    boolean result;
    @Nullable Throwable own;

    Carried(BooleanSupplier transition) {
      this.transition = transition;
    }

    @Override
    public void run() {
      ran = true;
      try {
        result = transition.getAsBoolean();
      } catch (RuntimeException | Error t) {
        own = t;
        throw t;
      }
    }
  }
}
