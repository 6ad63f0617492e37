package dev.stator;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** Several tracers called in order; each guarded separately by the machine's trace(). */
final class Tracers extends Tracer {
  private final Tracer[] all;

  Tracers(List<Tracer> all) {
    this.all = all.toArray(Tracer[]::new);
  }

  @Override
  public void machineStarted(Machine<?> m) {
    for (Tracer t : all) t.machineStarted(m);
  }

  @Override
  public void machineRestored(Machine<?> m, Snapshot s) {
    for (Tracer t : all) t.machineRestored(m, s);
  }

  @Override
  public void mutationQueued(Machine<?> m, MutationKind k, List<String> states, Args args) {
    for (Tracer t : all) t.mutationQueued(m, k, states, args);
  }

  @Override
  public void transitionStart(Event<?> e) {
    for (Tracer t : all) t.transitionStart(e);
  }

  @Override
  public void handlerStart(Event<?> e, String h) {
    for (Tracer t : all) t.handlerStart(e, h);
  }

  @Override
  public void handlerEnd(Event<?> e, String h, boolean ok, @Nullable Throwable f) {
    for (Tracer t : all) t.handlerEnd(e, h, ok, f);
  }

  @Override
  public void transitionEnd(Event<?> e, boolean executed) {
    for (Tracer t : all) t.transitionEnd(e, executed);
  }

  @Override
  public void machineClosed(Machine<?> m) {
    for (Tracer t : all) t.machineClosed(m);
  }

  @Override
  public void scopeOpened(Machine<?> m, StateScope<?> s) {
    for (Tracer t : all) t.scopeOpened(m, s);
  }

  @Override
  public void scopeClosed(Machine<?> m, StateScope<?> s, @Nullable Throwable f) {
    for (Tracer t : all) t.scopeClosed(m, s, f);
  }

  @Override
  public void taskStarted(Machine<?> m, StateScope<?> s, String task) {
    for (Tracer t : all) t.taskStarted(m, s, task);
  }

  @Override
  public void taskEnded(Machine<?> m, StateScope<?> s, String task, @Nullable Throwable f,
      boolean cancelled) {
    for (Tracer t : all) t.taskEnded(m, s, task, f, cancelled);
  }

  @Override
  public void resourceOpened(Machine<?> m, StateScope<?> s, String resource) {
    for (Tracer t : all) t.resourceOpened(m, s, resource);
  }

  @Override
  public void resourceClosed(Machine<?> m, StateScope<?> s, String resource,
      @Nullable Throwable f) {
    for (Tracer t : all) t.resourceClosed(m, s, resource, f);
  }

  @Override
  public void contextHeld(Machine<?> m, StateScope<?> s, String name) {
    for (Tracer t : all) t.contextHeld(m, s, name);
  }

  @Override
  public void contextReleased(Machine<?> m, StateScope<?> s, String name,
      @Nullable Throwable f) {
    for (Tracer t : all) t.contextReleased(m, s, name, f);
  }
}
