package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The watchdog takeover (E3) when the abandoned handler returns while the new drainer is still
 * busy. No sleeps: the stuck handler waits until a tracer on the new drainer has seen the
 * {@link HandlerTimeoutException}, and the new drainer waits (in a tracer, which the watchdog
 * does not time) until the stuck thread's mutation call has returned. Timeouts are guards.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class WatchdogTakeoverTest {
  enum W { Slow, Other }

  static final Schema<W> SCHEMA = Schema.of(W.class).state(W.Slow).state(W.Other).build();
  static final long GUARD_SECONDS = 30;

  @Test
  void abandonedHandlerReturningWhileTheNewDrainerIsBusyStopsAtOnce() throws Exception {
    CountDownLatch timedOut = new CountDownLatch(1);
    CountDownLatch stuckCallReturned = new CountDownLatch(1);
    AtomicReference<Thread> stuck = new AtomicReference<>();
    Queue<String> lateOnStuckThread = new ConcurrentLinkedQueue<>();
    Tracer tracer = new Tracer() {
      @Override
      public void transitionStart(Event<?> e) {
        if (e.error() instanceof HandlerTimeoutException) { // on the new drainer
          timedOut.countDown();
          await(stuckCallReturned); // hold the machine until the stuck thread has unwound
        }
      }
    };
    Machine<W> m = Machine.of(SCHEMA)
        .handlerTimeout(Duration.ofMillis(300)) // long enough that the stuck thread wakes before a second takeover
        .tracer(tracer)
        .onState(W.Slow, e -> {
          stuck.set(Thread.currentThread());
          await(timedOut); // runs past the timeout; returns once the watchdog took over
        })
        .onAnyState(e -> {
          if (Thread.currentThread() == stuck.get()) lateOnStuckThread.add(e.toString());
        })
        .build();
    Thread caller = Thread.ofPlatform().start(() -> {
      m.add(W.Slow);
      stuckCallReturned.countDown();
    });
    caller.join(Duration.ofSeconds(GUARD_SECONDS));
    assertThat(caller.isAlive()).isFalse();
    assertThat(m.remove(W.Other).await(Duration.ofSeconds(GUARD_SECONDS)))
        .isEqualTo(Status.EXECUTED); // a fence: everything before it has run

    List<String> late = List.copyOf(lateOnStuckThread);
    List<String> active = m.activeNames();
    m.close();
    assertThat(List.of(late, active)).as("[handlers the abandoned thread ran after it returned,"
        + " active states]").isEqualTo(List.of(List.of(), List.of("Slow", "Exception")));
  }

  static void await(CountDownLatch latch) {
    try {
      if (!latch.await(GUARD_SECONDS, TimeUnit.SECONDS)) throw new IllegalStateException("guard");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aHandlerStuckOnTheNewDrainerIsTimedOutToo() throws Exception {
    CountDownLatch firstTimeout = new CountDownLatch(1);
    CountDownLatch secondTimeout = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Tracer tracer = new Tracer() {
      @Override
      public void transitionStart(Event<?> e) {
        if (e.error() instanceof HandlerTimeoutException t && t.getMessage().contains("anyEnter")) {
          secondTimeout.countDown();
        }
      }
    };
    Machine<W> m = Machine.of(SCHEMA)
        .handlerTimeout(Duration.ofMillis(300))
        .tracer(tracer)
        .onState(W.Slow, e -> await(firstTimeout)) // stuck until the new drainer runs anyEnter
        .onAnyEnter(e -> {
          if (e.error() instanceof HandlerTimeoutException t && t.getMessage().contains("slowState")
              && firstTimeout.getCount() > 0) {
            firstTimeout.countDown(); // the abandoned slowState returns now...
            await(release); // ...while this handler is stuck: the watchdog must take over again
          }
          return true;
        })
        .build();
    Thread caller = Thread.ofPlatform().start(() -> m.add(W.Slow));
    boolean timedOutAgain = secondTimeout.await(10, TimeUnit.SECONDS); // guard
    release.countDown();
    caller.join(Duration.ofSeconds(GUARD_SECONDS));
    m.close();
    assertThat(timedOutAgain).as("the stuck anyEnter on the new drainer was timed out").isTrue();
  }
}
