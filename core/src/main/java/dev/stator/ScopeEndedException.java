package dev.stator;

import java.util.concurrent.CancellationException;

/**
 * Thrown when work is given to a {@link StateScope} whose state has already ended: a task
 * forked, a resource opened or a context held after the scope ended. The resource or context is
 * released before this is thrown.
 *
 * <p>It is a {@link CancellationException} (and so an {@link IllegalStateException}): a stale
 * task that meets it is cancelled, not failed, so it is neither logged as a failure nor recorded
 * as an error of the machine.
 */
public final class ScopeEndedException extends CancellationException {
  private static final long serialVersionUID = 1L;

  ScopeEndedException(String message) {
    super(message);
  }
}
