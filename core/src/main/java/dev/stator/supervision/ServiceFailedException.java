package dev.stator.supervision;

/**
 * Thrown by {@link BackgroundService#awaitStarted} when the service failed to start; the cause
 * is exactly what {@link BackgroundService.Service#startUp()} threw.
 */
public final class ServiceFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ServiceFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
