package dev.stator.examples.session;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive leases by key, for example one live session per endpoint and client id in this
 * process. A lease is a {@link ReentrantLock}: it is owned by the thread that took it and can
 * only be given back by that same thread, which is what makes it a thread-confined context for
 * {@code StateScope.hold}.
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class Leases {
  private static final Leases PROCESS = new Leases();

  private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  /** The leases shared by this process (the default of {@code SessionClient.Builder.leases}). */
  public static Leases process() {
    return PROCESS;
  }

  /** The lock behind {@code key}'s lease (for tests and diagnostics). */
  public ReentrantLock lockOf(String key) {
    return locks.computeIfAbsent(Objects.requireNonNull(key, "key"), k -> new ReentrantLock());
  }

  /**
   * Takes {@code key}'s lease on the calling thread, without waiting, and returns how to give it
   * back; the returned {@code close()} must run on the same thread.
   *
   * @throws IllegalStateException if another thread holds the lease
   */
  public AutoCloseable acquire(String key) {
    ReentrantLock lock = lockOf(key);
    if (!lock.tryLock()) {
      throw new IllegalStateException("lease '" + key + "' is held by another session");
    }
    return lock::unlock; // IllegalMonitorStateException on any other thread
  }
}
