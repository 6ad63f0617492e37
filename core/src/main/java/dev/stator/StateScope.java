package dev.stator;

import dev.stator.supervision.Action;
import dev.stator.supervision.Task;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;

/**
 * The work and resources owned by one activation of one state. Obtained in a handler with
 * {@link Event#scope()}; it ends when its state deactivates (or, for a {@code multi} state,
 * enters again).
 *
 * {@snippet :
 * void sessionState(Event<Conn> e) throws IOException {
 *   StateScope<Conn> scope = e.scope();
 *   Socket socket = scope.open(Socket::new);           // closed when Session ends
 *   scope.fork("dial", () -> {                          // interrupted when Session ends
 *     socket.connect(address, 5_000);
 *     scope.machine().add(Conn.Connected);              // CANCELED if Session already ended
 *   });
 * }
 * }
 *
 * <h2>Lifecycle</h2>
 * {@code OPEN} from the commit that activates the state; {@code ENDED} from the commit that
 * deactivates it: its tasks are interrupted, {@link #fork}, {@link #open} and {@link #hold}
 * refuse new work (a resource passed to a refused {@code open} is closed at once), waits bound
 * to it are cancelled, and mutations through {@link #machine()} are {@code CANCELED}; then,
 * after that transition's final handlers and serially with the machine's handlers (on the owner
 * thread in confined mode): the scope waits for its tasks up to the machine's scope-close bound,
 * then closes resources and releases held contexts exactly once, in reverse order of
 * registration. A failing close does not stop the others; failures, and tasks that outlived the
 * bound, become one error mutation of the machine. An interrupt of the closing thread does not
 * cut these bounded waits short: the close still waits for the tasks and the held contexts' exits
 * up to the bound, closes resources with a clear interrupt status, and re-asserts the interrupt
 * when it is done. Any scope-close bound is accepted; one too long to count in nanoseconds
 * (centuries) means no bound.
 *
 * <h2>Thread safety</h2>
 * All methods may be called from any thread, including the scope's own tasks. A task's
 * failure becomes an error state of the machine (logged once, with the task's name);
 * interruption after the scope ended is not a failure.
 *
 * @param <S> the type that names a state
 */
public sealed interface StateScope<S> permits Scope {

  /** The name of the state this scope belongs to. */
  String state();

  /** The state's clock at the activation this scope belongs to (odd). */
  long activation();

  /** Whether the activation is still current: cheap, lock-free. */
  boolean isCurrent();

  /**
   * The machine, seen through this scope: reads are the machine's; mutations are
   * {@code CANCELED} once the scope has ended (checked when the mutation runs). Made from a
   * thread other than the machine's draining thread (a task, typically), a mutation is always
   * queued and run by another thread, so a task never runs the transition that ends its own
   * scope; await its {@link Result} to learn the outcome.
   */
  Machine<S> machine();

  /**
   * Starts a named task on a new virtual thread (or the machine's thread factory); it is
   * interrupted when the scope ends.
   *
   * @throws ScopeEndedException if the scope has ended
   */
  Task<@Nullable Void> fork(String name, Action body);

  /** As {@link #fork(String, Action)}, for a task with a result. */
  <T extends @Nullable Object> Task<T> call(String name, Callable<? extends T> body);

  /**
   * Opens a resource owned by this scope: closed exactly once when the scope closes, after its
   * tasks have ended, in reverse order of registration.
   *
   * @throws E what the opener throws (nothing is registered then)
   * @throws ScopeEndedException if the scope has ended (the new resource is closed first)
   */
  <R extends AutoCloseable, E extends Exception> R open(Opener<R, E> opener) throws E;

  /**
   * Enters a thread-confined context (a lock, a tracing scope, a {@code ScopedValue}
   * binding…) on a dedicated holder thread, which keeps it until the scope closes and exits it
   * there, on the same thread. Returns once the context is entered.
   *
   * <p>If the calling thread is interrupted while it waits for the entry, {@code hold} throws
   * {@link InterruptedException} at once and the context is not held by the scope: the holder
   * thread goes on entering and, as soon as it has entered, exits the context again on its own
   * thread and ends (a failing exit is logged). If the scope ends while the context is being
   * entered, {@code hold} exits it (on the holder thread) before it throws.
   *
   * @throws InterruptedException if interrupted while waiting for the entry (see above)
   * @throws Exception what entering the context threw (nothing is held then)
   * @throws ScopeEndedException if the scope has ended
   */
  void hold(String name, Context context) throws Exception;

  /**
   * Binds a wait to this scope: it is cancelled when the scope ends (at once if it has ended).
   * Returns the wait. A bound wait leaves the scope as soon as it is done (completed, failed,
   * cancelled, or timed out in {@link Wait#await}), so binding one wait per round of a polling
   * loop keeps nothing.
   */
  Wait bind(Wait wait);

  /**
   * Opens a resource.
   *
   * @param <R> the resource
   * @param <E> what opening may throw
   */
  @FunctionalInterface
  interface Opener<R extends AutoCloseable, E extends Exception> {
    /** Opens the resource. */
    R open() throws E;
  }

  /** A context entered and exited on one thread. */
  @FunctionalInterface
  interface Context {
    /**
     * Enters the context on the holder thread and returns how to exit it, which the same thread
     * calls when the scope closes.
     */
    AutoCloseable enter() throws Exception;
  }
}
