package dev.stator;

import java.time.Duration;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * The mutation methods of {@link Machine}, written once over {@link #submit}: the machine
 * itself submits unguarded, a scope's view ({@link ScopedMachine}) submits guarded by its scope.
 */
abstract sealed class MachineBase<S> implements Machine<S> permits MachineImpl, ScopedMachine, MirrorMachine {

  /** The engine. */
  abstract MachineImpl<S> core();

  /** Resolves and runs, or queues, one mutation. */
  abstract Result submit(MutationKind kind, long called, byte @Nullable [] order, Args args,
      int flags);

  @Override
  public Result add(S state) {
    return submit(MutationKind.ADD, 1L << core().schema.indexOf(state), null, Args.NONE, 0);
  }

  @Override
  public Result add(S state, Args args) {
    return submit(MutationKind.ADD, 1L << core().schema.indexOf(state), null, checkArgs(args), 0);
  }

  @Override
  public Result add(Collection<? extends S> states, Args args) {
    byte[] order = order(states);
    return submit(MutationKind.ADD, maskOf(order), order, checkArgs(args), 0);
  }

  @SafeVarargs
  @SuppressWarnings("varargs") // order() only reads the array
  @Override
  public final Result add(S first, S second, S... more) {
    byte[] order = order(first, second, more);
    return submit(MutationKind.ADD, maskOf(order), order, Args.NONE, 0);
  }

  @Override
  public Result remove(S state) {
    return submit(MutationKind.REMOVE, 1L << core().schema.indexOf(state), null, Args.NONE, 0);
  }

  @Override
  public Result remove(S state, Args args) {
    return submit(MutationKind.REMOVE, 1L << core().schema.indexOf(state), null, checkArgs(args), 0);
  }

  @Override
  public Result remove(Collection<? extends S> states, Args args) {
    byte[] order = order(states);
    return submit(MutationKind.REMOVE, maskOf(order), order, checkArgs(args), 0);
  }

  @SafeVarargs
  @SuppressWarnings("varargs") // order() only reads the array
  @Override
  public final Result remove(S first, S second, S... more) {
    byte[] order = order(first, second, more);
    return submit(MutationKind.REMOVE, maskOf(order), order, Args.NONE, 0);
  }

  @Override
  public Result set(Collection<? extends S> states, Args args) {
    byte[] order = order(states);
    return submit(MutationKind.SET, maskOf(order), order, checkArgs(args), 0);
  }

  @Override
  public Result set(S state) {
    return submit(MutationKind.SET, 1L << core().schema.indexOf(state), null, Args.NONE, 0);
  }

  @SafeVarargs
  @SuppressWarnings("varargs") // order() only reads the array
  @Override
  public final Result set(S first, S second, S... more) {
    byte[] order = order(first, second, more);
    return submit(MutationKind.SET, maskOf(order), order, Args.NONE, 0);
  }

  @Override
  public Result toggle(S state) {
    return submit(MutationKind.ADD, 1L << core().schema.indexOf(state), null, Args.NONE,
        Mutation.TOGGLE);
  }

  @Override
  public Result addError(Throwable error) {
    java.util.Objects.requireNonNull(error, "error");
    return submit(MutationKind.ADD, 1L << core().schema.exception, null, Args.of(Key.ERROR, error),
        Mutation.ERROR);
  }

  @Override
  public Result addError(S errorState, Throwable error) {
    java.util.Objects.requireNonNull(error, "error");
    int i = core().schema.indexOf(errorState);
    byte[] order = {(byte) i, (byte) core().schema.exception};
    return submit(MutationKind.ADD, maskOf(order), order, Args.of(Key.ERROR, error),
        Mutation.ERROR);
  }

  @Override
  public Result removeError() {
    return submit(MutationKind.REMOVE, 1L << core().schema.exception, null, Args.NONE, 0);
  }

  @Override
  public final Later<S> after(Duration delay) {
    return new LaterImpl<>(this, delay);
  }

  /**
   * Schedules one delayed mutation (Later); a machine without delayed mutations (a mirror)
   * refuses.
   */
  Delayed schedule(Duration delay, MutationKind kind, long called, byte @Nullable [] order,
      Args args) {
    throw new UnsupportedOperationException("machine " + id() + " (" + getClass().getSimpleName()
        + ") does not support delayed mutations");
  }

  /** Refused by a machine that cannot tell (a mirror). */
  @Override
  public Wait whenIdle() {
    throw new UnsupportedOperationException("machine " + id() + " (" + getClass().getSimpleName()
        + ") does not support whenIdle()");
  }

  private Args checkArgs(Args args) {
    return java.util.Objects.requireNonNull(args, "args");
  }

  byte[] order(Collection<? extends S> states) {
    java.util.Objects.requireNonNull(states, "states");
    byte[] out = new byte[states.size()];
    int k = 0;
    for (S s : states) out[k++] = (byte) core().schema.indexOf(s);
    return out;
  }

  /** The caller's order of a varargs call; reads {@code more} and keeps no reference to it. */
  private byte[] order(S first, S second, S[] more) {
    java.util.Objects.requireNonNull(more, "states");
    byte[] out = new byte[2 + more.length];
    out[0] = (byte) core().schema.indexOf(first);
    out[1] = (byte) core().schema.indexOf(second);
    for (int k = 0; k < more.length; k++) out[2 + k] = (byte) core().schema.indexOf(more[k]);
    return out;
  }

  static long maskOf(byte[] order) {
    long m = 0;
    for (byte b : order) m |= 1L << b;
    return m;
  }
}
