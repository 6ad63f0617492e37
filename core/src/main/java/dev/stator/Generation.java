package dev.stator;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One generation of the right to drain a machine, and the drainer-local state that belongs to
 * it.
 *
 * <p>A machine starts with generation 0. Only the watchdog makes a new one, when it abandons a
 * stuck handler: the abandoned thread keeps the old, dead generation and can change nothing
 * through it, because every drainer path first asks {@link #isDrainer} of the live generation.
 */
final class Generation<S> {
  /* Who writes what.
   *   thread   the thread draining with this generation now, or null between two drainers: written
   *            by the acquirer right after its CAS on MachineImpl.running, cleared before the
   *            release CAS; read by submit (is it me?), the watchdog (whom to abandon), scopeOf.
   *            A thread reads back null or another thread, never itself after it released.
   *   dead     written once by the watchdog before it publishes the next generation.
   *   the rest drainer-local: written and read by the thread that holds this generation; the
   *            acquire CAS (or Thread.start for a hand-off or takeover) orders them between
   *            successive holders. */

  private static final java.lang.invoke.VarHandle THREAD;

  static {
    try {
      THREAD = java.lang.invoke.MethodHandles.lookup()
          .findVarHandle(Generation.class, "thread", Thread.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final int number;
  /*
   * Written with release stores, read with acquire loads: no full fence per acquire and release
   * of the machine. That is enough: the acquirer writes it right after its CAS on
   * MachineImpl.running (itself a full fence) and clears it before the release CAS; a thread
   * asking "is it me" reads back its own last write or a later thread's, never itself after it
   * cleared it; the watchdog reads it after a volatile read of `running` and tolerates a stale
   * value (Watchdog design).
   */
  private @Nullable Thread thread;
  volatile boolean dead;

  /** Error mutations that run before anything else queued. */
  private @Nullable ArrayDeque<Mutation> priority;
  /** Whether the auto mutation is due after the running top-level transition. */
  boolean autoPending;
  /** The one event reused for this generation's transitions. */
  @Nullable Event<S> event;
  /** The queued mutation running now, for the watchdog and for its outcome. */
  @Nullable Mutation current;
  /** The kind and flags of the transition running now. */
  MutationKind kind = MutationKind.ADD;
  int flags;
  /** Why the last refused transition was refused. */
  String refusal = "";
  /** Failures of final handlers and scope closes of the running transition, or null. */
  @Nullable List<Throwable> failures;
  /** The task context of the queued mutation running now (CallerContext), or null. */
  @Nullable Runnable context;
  /** Scopes ended at the running commit, closed after its final handlers. */
  @Nullable ArrayList<Scope<S>> ending;

  Generation(int number) {
    this.number = number;
  }

  /** Whether {@code me} drains with this (live) generation now. */
  boolean isDrainer(Thread me) {
    return THREAD.getAcquire(this) == me && !dead;
  }

  /** The thread draining with this generation now, or null. */
  @Nullable Thread thread() {
    return (Thread) THREAD.getAcquire(this);
  }

  /** Sets the draining thread (or null between two drainers). */
  void thread(@Nullable Thread t) {
    THREAD.setRelease(this, t);
  }

  ArrayDeque<Mutation> priority() {
    ArrayDeque<Mutation> p = priority;
    if (p == null) priority = p = new ArrayDeque<>(4);
    return p;
  }

  @Nullable Mutation pollPriority() {
    ArrayDeque<Mutation> p = priority;
    return p == null ? null : p.poll();
  }

  void addFailure(Throwable t) {
    List<Throwable> f = failures;
    if (f == null) failures = f = new ArrayList<>(2);
    f.add(t);
  }

  /** Takes the failures recorded so far (an immutable list, empty if none). */
  List<Throwable> takeFailures() {
    List<Throwable> f = failures;
    if (f == null) return List.of();
    failures = null;
    return List.copyOf(f);
  }
}
