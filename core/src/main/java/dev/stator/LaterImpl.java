package dev.stator;

import java.time.Duration;
import java.util.Collection;
import java.util.Objects;

/** {@link Later}: resolves the states now and hands the mutation to its machine's schedule. */
final class LaterImpl<S> implements Later<S> {
  private final MachineBase<S> machine;
  private final Duration delay;

  LaterImpl(MachineBase<S> machine, Duration delay) {
    this.machine = machine;
    this.delay = Time.checkDelay(delay);
  }

  private long one(S state) {
    return 1L << machine.core().schema.indexOf(state);
  }

  @Override
  public Delayed add(S state) {
    return machine.schedule(delay, MutationKind.ADD, one(state), null, Args.NONE);
  }

  @Override
  public Delayed add(S state, Args args) {
    return machine.schedule(delay, MutationKind.ADD, one(state), null,
        Objects.requireNonNull(args, "args"));
  }

  @Override
  public Delayed add(Collection<? extends S> states, Args args) {
    byte[] order = machine.order(states);
    return machine.schedule(delay, MutationKind.ADD, MachineBase.maskOf(order), order,
        Objects.requireNonNull(args, "args"));
  }

  @Override
  public Delayed remove(S state) {
    return machine.schedule(delay, MutationKind.REMOVE, one(state), null, Args.NONE);
  }

  @Override
  public Delayed remove(Collection<? extends S> states, Args args) {
    byte[] order = machine.order(states);
    return machine.schedule(delay, MutationKind.REMOVE, MachineBase.maskOf(order), order,
        Objects.requireNonNull(args, "args"));
  }

  @Override
  public Delayed set(S state) {
    return machine.schedule(delay, MutationKind.SET, one(state), null, Args.NONE);
  }

  @Override
  public Delayed set(Collection<? extends S> states, Args args) {
    byte[] order = machine.order(states);
    return machine.schedule(delay, MutationKind.SET, MachineBase.maskOf(order), order,
        Objects.requireNonNull(args, "args"));
  }

  @Override
  public String toString() {
    return "Later[" + machine.id() + " after " + delay + "]";
  }
}
