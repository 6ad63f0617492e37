package dev.stator.examples.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pacer whose time passes only when the test says so: each {@link #pause} records the pause
 * asked for and blocks until {@link #release} gives it a permit, or until its thread is
 * interrupted.
 */
final class ManualPacer implements Pacer {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<Duration> asked = new ArrayList<>(); // guarded by lock
  private int permits; // guarded by lock
  private int waiting; // guarded by lock
  private int interrupted; // guarded by lock

  @Override
  public void pause(Duration pause) throws InterruptedException {
    lock.lock();
    try {
      asked.add(pause);
      waiting++;
      changed.signalAll();
      try {
        while (permits == 0) changed.await();
        permits--;
      } catch (InterruptedException e) {
        interrupted++;
        throw e;
      } finally {
        waiting--;
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Lets {@code n} pauses end. */
  void release(int n) {
    lock.lock();
    try {
      permits += n;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until {@code n} pauses have been asked for in total. */
  void awaitAsked(int n, Duration timeout) throws InterruptedException, TimeoutException {
    long left = timeout.toNanos();
    lock.lock();
    try {
      while (asked.size() < n) {
        if (left <= 0) throw new TimeoutException(asked.size() + " pauses asked, not " + n);
        left = changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The pauses asked for, in order. */
  List<Duration> asked() {
    lock.lock();
    try {
      return List.copyOf(asked);
    } finally {
      lock.unlock();
    }
  }

  /** Pauses that ended by an interrupt. */
  int interrupted() {
    lock.lock();
    try {
      return interrupted;
    } finally {
      lock.unlock();
    }
  }

  /** Pauses waiting now. */
  int waiting() {
    lock.lock();
    try {
      return waiting;
    } finally {
      lock.unlock();
    }
  }
}
