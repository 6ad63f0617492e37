package dev.stator;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A machine seen through a {@link StateScope}: reads and waits are the machine's; every
 * mutation carries the scope and is {@code CANCELED} when it runs if the scope has ended.
 * {@link #close()} closes the machine itself.
 */
final class ScopedMachine<S> extends MachineBase<S> {
  private final MachineImpl<S> m;
  private final Scope<S> scope;

  ScopedMachine(MachineImpl<S> m, Scope<S> scope) {
    this.m = m;
    this.scope = scope;
  }

  @Override
  MachineImpl<S> core() {
    return m;
  }

  @Override
  Result submit(MutationKind kind, long called, byte @Nullable [] order, Args args, int flags) {
    if (!scope.isCurrent()) { // cheap early answer; checked again when it runs
      return Outcome.of(false, "the scope of " + scope.state() + " (activation " + scope.tick
          + ") has ended", java.util.List.of());
    }
    return m.submit(kind, called, order, args, flags, scope);
  }

  @Override
  Delayed schedule(java.time.Duration delay, MutationKind kind, long called,
      byte @Nullable [] order, Args args) {
    return m.schedule(delay, kind, called, order, args, scope);
  }

  @Override
  public Wait whenIdle() {
    return m.whenIdle();
  }

  @Override
  public String id() {
    return m.id();
  }

  @Override
  public Schema<S> schema() {
    return m.schema();
  }

  @Override
  public boolean is(S state) {
    return m.is(state);
  }

  @Override
  public boolean is(Collection<? extends S> states) {
    return m.is(states);
  }

  @Override
  public boolean not(S state) {
    return m.not(state);
  }

  @Override
  public boolean any(Collection<? extends S> states) {
    return m.any(states);
  }

  @Override
  public boolean hasError() {
    return m.hasError();
  }

  @Override
  public @Nullable Throwable lastError() {
    return m.lastError();
  }

  @Override
  public Set<S> active() {
    return m.active();
  }

  @Override
  public List<String> activeNames() {
    return m.activeNames();
  }

  @Override
  public long tick(S state) {
    return m.tick(state);
  }

  @Override
  public Snapshot snapshot() {
    return m.snapshot();
  }

  @Override
  public int queueSize() {
    return m.queueSize();
  }

  @Override
  public Wait when(S state) {
    return m.when(state);
  }

  @Override
  public Wait when(Collection<? extends S> states) {
    return m.when(states);
  }

  @Override
  public Wait whenNot(S state) {
    return m.whenNot(state);
  }

  @Override
  public Wait whenNot(Collection<? extends S> states) {
    return m.whenNot(states);
  }

  @Override
  public Wait whenTicks(S state, long ticks) {
    return m.whenTicks(state, ticks);
  }

  @Override
  public Wait whenArgs(S state, Args expected) {
    return m.whenArgs(state, expected);
  }

  @Override
  public Wait whenTime(Snapshot time) {
    return m.whenTime(time);
  }

  @Override
  public Wait whenQueue(Result result) {
    return m.whenQueue(result);
  }

  @Override
  public Wait whenError() {
    return m.whenError();
  }

  @Override
  public Wait whenClosed() {
    return m.whenClosed();
  }

  @Override
  public boolean isClosed() {
    return m.isClosed();
  }

  @Override
  public void close() {
    m.close();
  }

  @Override
  public String toString() {
    return m + " via scope of " + scope.state();
  }
}
