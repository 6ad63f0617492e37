package dev.stator;

/**
 * Unwinds a thread whose handler the watchdog abandoned: thrown by {@link Transition} when the
 * handler returns too late, caught where the thread took the machine. Carries no stack trace.
 */
final class Abandoned extends RuntimeException {
  private static final long serialVersionUID = 1L;
  static final Abandoned BEFORE_COMMIT = new Abandoned(false);
  static final Abandoned AFTER_COMMIT = new Abandoned(true);

  /** Whether the abandoned transition had committed. */
  final boolean committed;

  private Abandoned(boolean committed) {
    super("abandoned", null, false, false);
    this.committed = committed;
  }
}
