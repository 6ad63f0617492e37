package dev.stator;

import java.util.Collection;

/**
 * Delayed mutations of one machine with one delay, made by {@link Machine#after}: each method
 * schedules one mutation, which the machine queues once the delay has passed on its
 * {@link Time}. Made through a state scope's machine ({@code e.scope().machine().after(d)}), the
 * mutation belongs to that scope and is cancelled when the scope ends (spec TM5).
 *
 * <p>Bad input is refused at once, with the same errors as the immediate mutations (an unknown
 * state, null arguments); a machine that is closed refuses with
 * {@link MachineClosedException}.
 *
 * @param <S> the type that names a state
 */
public sealed interface Later<S> permits LaterImpl {

  /** Activates {@code state} after the delay. */
  Delayed add(S state);

  /** Activates {@code state} with arguments after the delay. */
  Delayed add(S state, Args args);

  /** Activates several states in one transition after the delay, in the order named. */
  Delayed add(Collection<? extends S> states, Args args);

  /** Deactivates {@code state} after the delay. */
  Delayed remove(S state);

  /** Deactivates several states in one transition after the delay. */
  Delayed remove(Collection<? extends S> states, Args args);

  /** Makes {@code state} the only active state (subject to relations) after the delay. */
  Delayed set(S state);

  /** Makes {@code states} exactly the active set (subject to relations) after the delay. */
  Delayed set(Collection<? extends S> states, Args args);
}
