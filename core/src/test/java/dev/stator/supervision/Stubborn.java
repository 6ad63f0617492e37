package dev.stator.supervision;

import java.util.concurrent.CountDownLatch;

/**
 * Test fixture: a body that ignores interruption. It waits on {@code release} in a loop,
 * swallowing every interrupt (and counting {@code interrupted} down), until the test releases
 * it, so no thread leaks.
 */
final class Stubborn {
  final CountDownLatch release = new CountDownLatch(1);
  final CountDownLatch interrupted = new CountDownLatch(1);
  final CountDownLatch entered = new CountDownLatch(1);

  void run() {
    entered.countDown();
    while (true) {
      try {
        release.await();
        return;
      } catch (InterruptedException e) {
        interrupted.countDown(); // ignored on purpose
      }
    }
  }
}
