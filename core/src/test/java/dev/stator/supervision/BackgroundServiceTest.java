package dev.stator.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/supervision.md, background service: one test per guarantee. */
@Timeout(10)
class BackgroundServiceTest {
  static final Duration LONG = Duration.ofSeconds(5);

  final RecordingLogger log = new RecordingLogger();
  final ThreadCounter threads = new ThreadCounter("svc");
  final List<String> events = new ArrayList<>();

  BackgroundService service(String name, BackgroundService.Service body) {
    return BackgroundService.builder(name).threadFactory(threads).logger(log).build(body);
  }

  void record(String event) {
    synchronized (events) {
      events.add(event);
    }
  }

  @AfterEach
  void noThreadLeftBehind() throws InterruptedException {
    threads.assertNoLeaks();
  }

  @Test
  void backgroundService_startupFails_waiterForStartedIsWokenWithTheError() throws Exception {
    IOException portInUse = new IOException("port in use");
    CountDownLatch proceed = new CountDownLatch(1);
    BackgroundService svc = service("http", new BackgroundService.Service() {
      @Override
      public void startUp() throws Exception {
        proceed.await();
        throw portInUse;
      }

      @Override
      public void run(BackgroundService.StopSignal stop) {
        record("run");
      }

      @Override
      public void shutDown() {
        record("shutDown");
      }
    });
    svc.start();
    Thread waiter = Thread.currentThread();
    threads.start(() -> { // fail the start-up only once this thread waits for "started"
      Spin.until("the test thread waits for started", () -> Spin.waiting(waiter));
      proceed.countDown();
    });

    assertThatThrownBy(() -> svc.awaitStarted(Duration.ofMinutes(1))).isInstanceOf(ServiceFailedException.class)
        .hasMessage("service 'http' failed to start: java.io.IOException: port in use").hasCause(portInUse);
    assertThat(svc.awaitTerminated(LONG)).isTrue();
    assertThat(svc.state()).isEqualTo(BackgroundService.State.FAILED);
    assertThat(svc.failure()).isSameAs(portInUse);
    assertThat(events).isEmpty(); // neither run nor shutDown after a failed start
    assertThat(log.entries()).singleElement().satisfies(e -> {
      assertThat(e.level()).isEqualTo(Level.ERROR);
      assertThat(e.message()).isEqualTo("Service 'http' failed to start");
      assertThat(e.thrown()).isSameAs(portInUse);
    });
    assertThat(svc.stop(LONG)).isFalse(); // not clean, and it does not wait
  }

  @Test
  void backgroundService_shutdownThrows_stopDoesNotHang() throws Exception {
    IllegalStateException flushFailed = new IllegalStateException("flush failed");
    BackgroundService svc = service("writer", new BackgroundService.Service() {
      @Override
      public void run(BackgroundService.StopSignal stop) throws InterruptedException {
        stop.await();
      }

      @Override
      public void shutDown() {
        throw flushFailed;
      }
    });
    svc.start();
    svc.awaitStarted(LONG);

    assertThat(svc.stop(Duration.ofMinutes(1))).isFalse(); // returns (no hang), and says: not clean
    assertThat(svc.state()).isEqualTo(BackgroundService.State.FAILED);
    assertThat(svc.failure()).isSameAs(flushFailed);
    assertThat(log.entries()).singleElement().satisfies(e -> {
      assertThat(e.message()).isEqualTo("Service 'writer' failed to shut down");
      assertThat(e.thrown()).isSameAs(flushFailed);
    });
  }

  @Test
  void backgroundService_foreignStop_blocksUpToBound_thenForcesCancellation_reportsNotClean() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    CountDownLatch running = new CountDownLatch(1);
    BackgroundService svc = service("poller", new BackgroundService.Service() {
      @Override
      public void run(BackgroundService.StopSignal stop) throws InterruptedException {
        record("run");
        running.countDown();
        never.await(); // ignores the stop signal; only an interrupt ends it
      }

      @Override
      public void shutDown() {
        record("shutDown interrupted=" + Thread.currentThread().isInterrupted());
      }
    });
    svc.start();
    running.await();

    // It ignores the signal, so the graceful bound elapses; the interrupt then ends it.
    assertThat(svc.stop(Duration.ofMillis(20), LONG)).isFalse();
    assertThat(svc.awaitTerminated(Duration.ZERO)).isTrue(); // forced, and it ended
    assertThat(svc.state()).isEqualTo(BackgroundService.State.STOPPED); // cancellation is no failure
    assertThat(events).containsExactly("run", "shutDown interrupted=false");
    assertThat(log.entries()).singleElement().satisfies(e -> {
      assertThat(e.level()).isEqualTo(Level.WARNING);
      assertThat(e.message()).isEqualTo("Service 'poller' did not stop within PT0.02S; interrupting it");
    });
  }

  @Test
  void bug11_closeFailureInsideWrappedInterruptIsAFailure() throws Exception {
    IOException closeFailed = new IOException("close failed");
    CountDownLatch running = new CountDownLatch(1);
    BackgroundService svc = service("wrapper", new BackgroundService.Service() {
      @Override
      public void run(BackgroundService.StopSignal stop) {
        try {
          try (AutoCloseable r = () -> {
            throw closeFailed;
          }) {
            running.countDown();
            new CountDownLatch(1).await(); // ignores the signal; the forced stop interrupts it
          }
        } catch (InterruptedException e) {
          throw new IllegalStateException("interrupted while polling", e);
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
    });
    svc.start();
    running.await();

    assertThat(svc.stop(Duration.ofMillis(20), LONG)).isFalse();
    assertThat(svc.state()).isEqualTo(BackgroundService.State.FAILED);
    assertThat(svc.failure()).isInstanceOf(IllegalStateException.class)
        .cause().satisfies(ie -> assertThat(ie.getSuppressed()).containsExactly(closeFailed));
    assertThat(log.at(Level.ERROR)).singleElement().satisfies(e -> {
      assertThat(e.message()).isEqualTo("Service 'wrapper' failed");
      assertThat(e.thrown()).isSameAs(svc.failure());
    });
  }

  @Test
  void bug15_forcedStopDuringShutDownIsNoFailure() throws Exception {
    CountDownLatch inShutDown = new CountDownLatch(1);
    BackgroundService svc = service("flusher", new BackgroundService.Service() {
      @Override
      public void run(BackgroundService.StopSignal stop) throws InterruptedException {
        stop.await();
      }

      @Override
      public void shutDown() throws InterruptedException {
        inShutDown.countDown();
        new CountDownLatch(1).await(); // a slow flush: only the forced stop's interrupt ends it
      }
    });
    svc.start();
    svc.awaitStarted(LONG);

    assertThat(svc.stop(Duration.ofMillis(20), LONG)).isFalse(); // forced: not clean
    assertThat(inShutDown.getCount()).isZero();
    assertThat(svc.awaitTerminated(Duration.ZERO)).isTrue();
    assertThat(svc.state()).isEqualTo(BackgroundService.State.STOPPED);
    assertThat(svc.failure()).isNull();
    assertThat(log.at(Level.ERROR)).isEmpty();
    assertThat(log.entries()).extracting(RecordingLogger.Entry::message)
        .containsExactly("Service 'flusher' did not stop within PT0.02S; interrupting it");
  }

  @Test
  void backgroundService_foreignStop_serviceIgnoringInterruption_isReportedAndStopStillReturns() throws Exception {
    Stubborn stubborn = new Stubborn();
    BackgroundService svc = service("deaf", stop -> stubborn.run());
    svc.start();
    stubborn.entered.await();

    assertThat(svc.stop(Duration.ofMillis(20))).isFalse();
    stubborn.interrupted.await(); // it was interrupted (and ignored it)
    assertThat(svc.state()).isEqualTo(BackgroundService.State.STOPPING);
    assertThat(log.at(Level.WARNING)).extracting(RecordingLogger.Entry::message).containsExactly(
        "Service 'deaf' did not stop within PT0.02S; interrupting it",
        "Service 'deaf' ignored cancellation: still running after PT0.02S");

    stubborn.release.countDown();
    assertThat(svc.awaitTerminated(LONG)).isTrue();
    assertThat(svc.state()).isEqualTo(BackgroundService.State.STOPPED);
  }

  @Test
  void backgroundService_foreignStop_serviceHonouringTheSignal_isClean() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    BackgroundService svc = service("ticker", new BackgroundService.Service() {
      @Override
      public void startUp() {
        record("startUp");
      }

      @Override
      public void run(BackgroundService.StopSignal stop) throws InterruptedException {
        record("run");
        running.countDown();
        stop.await();
      }

      @Override
      public void shutDown() {
        record("shutDown");
      }
    });
    svc.start();
    svc.awaitStarted(LONG);
    running.await();
    assertThat(svc.state()).isEqualTo(BackgroundService.State.RUNNING);

    assertThat(svc.stop(LONG)).isTrue();
    assertThat(svc.state()).isEqualTo(BackgroundService.State.STOPPED);
    assertThat(events).containsExactly("startUp", "run", "shutDown");
    assertThat(log.entries()).isEmpty();
    assertThat(svc.stop(LONG)).isTrue(); // again: already stopped cleanly
  }

  @Test
  void backgroundService_stopFromItsOwnThread_neverBlocks() throws Exception {
    AtomicReference<BackgroundService> self = new AtomicReference<>();
    CountDownLatch published = new CountDownLatch(1);
    AtomicReference<Boolean> returned = new AtomicReference<>();
    BackgroundService svc = service("self-stopper", new BackgroundService.Service() {
      @Override
      public void run(BackgroundService.StopSignal stop) throws InterruptedException {
        published.await();
        returned.set(self.get().stop(Duration.ofDays(1))); // would block for a day if it waited
        record("signal raised=" + stop.isRaised() + " interrupted=" + Thread.currentThread().isInterrupted());
      }

      @Override
      public void shutDown() {
        record("shutDown");
      }
    });
    self.set(svc);
    svc.start();
    published.countDown();

    assertThat(svc.awaitTerminated(LONG)).isTrue();
    assertThat(returned.get()).isFalse();
    assertThat(events).containsExactly("signal raised=true interrupted=false", "shutDown");
    assertThat(svc.state()).isEqualTo(BackgroundService.State.STOPPED);
    assertThat(log.entries()).isEmpty();
  }

  @Test
  void backgroundService_stoppedDuringStartUp_runIsSkipped_shutDownStillRuns() throws Exception {
    CountDownLatch inStartUp = new CountDownLatch(1);
    CountDownLatch finishStartUp = new CountDownLatch(1);
    BackgroundService svc = service("slow-start", new BackgroundService.Service() {
      @Override
      public void startUp() throws InterruptedException {
        inStartUp.countDown();
        finishStartUp.await();
      }

      @Override
      public void run(BackgroundService.StopSignal stop) {
        record("run");
      }

      @Override
      public void shutDown() {
        record("shutDown");
      }
    });
    svc.start();
    inStartUp.await();
    AtomicReference<Boolean> clean = new AtomicReference<>();
    Thread stopper = threads.start(() -> {
      try {
        clean.set(svc.stop(LONG));
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    Spin.until("the stop is requested", () -> svc.state() == BackgroundService.State.STOPPING);
    finishStartUp.countDown();
    stopper.join();

    assertThat(clean.get()).isTrue();
    svc.awaitStarted(LONG); // it did start
    assertThat(events).containsExactly("shutDown");
    assertThat(svc.state()).isEqualTo(BackgroundService.State.STOPPED);
  }

  @Test
  void backgroundService_stoppedBeforeStart_waitersCancelled_andStartRefused() throws Exception {
    BackgroundService svc = service("never", stop -> record("run"));
    assertThat(svc.stop(LONG)).isTrue();
    assertThatThrownBy(() -> svc.awaitStarted(LONG)).isInstanceOf(CancellationException.class)
        .hasMessage("service 'never' was stopped before it started");
    assertThatThrownBy(svc::start).isInstanceOf(IllegalStateException.class)
        .hasMessage("service 'never' cannot start: it is STOPPED");
    assertThat(events).isEmpty();
    assertThat(threads.created.get()).isZero();
  }
}
