package dev.stator.supervision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/supervision.md, cancel-and-wait: one test per guarantee. */
@Timeout(10)
class CancelAndWaitTest {
  static final Duration LONG = Duration.ofSeconds(5);

  final RecordingLogger log = new RecordingLogger();
  final ThreadCounter threads = new ThreadCounter("caw");
  final List<Supervisor> supervisors = new ArrayList<>();

  Supervisor supervisor(String name) {
    Supervisor s = Supervisor.builder(name).threadFactory(threads).logger(log).build();
    supervisors.add(s);
    return s;
  }

  @AfterEach
  void noThreadLeftBehind() throws InterruptedException {
    Thread.interrupted(); // a test that leaves its own interrupt status set must not break the next
    for (Supervisor s : supervisors) s.close();
    threads.assertNoLeaks();
  }

  @Test
  void cancelAndWait_alreadyFailed_marksObservedWithoutRethrow() throws Exception {
    Supervisor s = supervisor("failed");
    IOException boom = new IOException("boom");
    Task<?> task = s.run("broken", () -> {
      throw boom;
    });
    s.shutdown();
    assertThat(s.awaitTermination(LONG)).isTrue();
    assertThat(log.at(Level.ERROR)).hasSize(1); // reported when it ended: nobody was waiting

    assertThat(task.cancelAndWait(LONG)).isTrue(); // does not throw
    assertThat(task.status()).isEqualTo(Task.Status.FAILED);
    assertThat(task.failure()).isSameAs(boom);
    assertThat(((TaskImpl<?>) task).failureUndecided()).isFalse();
    assertThat(log.at(Level.ERROR)).hasSize(1); // and nothing more
  }

  @Test
  void cancelAndWait_alreadyFailedWithReportPending_marksObserved_soNothingIsLoggedLater() throws Exception {
    // White box: a joiner registered when the task failed owns the failure until it either
    // receives it or gives up (then it reports it). cancelAndWait in between takes it over.
    Supervisor s = supervisor("pending");
    CountDownLatch go = new CountDownLatch(1);
    Task<?> task = s.run("broken", () -> {
      go.await();
      throw new IOException("boom");
    });
    TaskImpl<?> impl = (TaskImpl<?>) task;
    assertThat(impl.register()).isTrue(); // a joiner in flight
    go.countDown();
    s.shutdown();
    assertThat(s.awaitTermination(LONG)).isTrue();
    assertThat(impl.failureUndecided()).isTrue();
    assertThat(log.entries()).isEmpty(); // not reported: the joiner may still receive it

    assertThat(task.cancelAndWait(LONG)).isTrue(); // not rethrown
    assertThat(impl.failureUndecided()).isFalse(); // observed
    impl.leave(); // the joiner gives up: nothing left to report
    assertThat(log.entries()).isEmpty();
  }

  @Test
  void pendingFailure_lastWaiterGivesUp_reportsItOnce() throws Exception {
    Supervisor s = supervisor("pending");
    CountDownLatch go = new CountDownLatch(1);
    Task<?> task = s.run("broken", () -> {
      go.await();
      throw new IOException("boom");
    });
    TaskImpl<?> impl = (TaskImpl<?>) task;
    assertThat(impl.register()).isTrue();
    assertThat(impl.register()).isTrue();
    go.countDown();
    s.shutdown();
    assertThat(s.awaitTermination(LONG)).isTrue();

    impl.leave();
    assertThat(log.entries()).isEmpty(); // one joiner still in flight
    impl.leave();
    assertThat(log.at(Level.ERROR)).singleElement().extracting(RecordingLogger.Entry::message)
        .isEqualTo("Task 'broken' of supervisor 'pending' failed");
    assertThatThrownBy(task::join).isInstanceOf(TaskFailedException.class);
    assertThat(log.entries()).hasSize(1);
  }

  @Test
  void cancelAndWait_alreadyDone_isNoOp() throws Exception {
    Supervisor s = supervisor("done");
    Task<Integer> task = s.fork("answer", () -> 42);
    assertThat(task.join()).isEqualTo(42);

    Thread.currentThread().interrupt(); // even an interrupted caller: nothing to wait for
    try {
      assertThat(task.cancelAndWait(LONG)).isTrue();
      assertThat(Thread.currentThread().isInterrupted()).isTrue(); // left as it was
    } finally {
      Thread.interrupted();
    }
    assertThat(task.status()).isEqualTo(Task.Status.SUCCEEDED);
    assertThat(task.isCancellationRequested()).isFalse();
    assertThat(task.join()).isEqualTo(42);
    assertThat(log.entries()).isEmpty();
  }

  @Test
  void cancelAndWait_running_interruptedAndAwaited() throws Exception {
    Supervisor s = supervisor("running");
    CountDownLatch started = new CountDownLatch(1);
    AtomicBoolean sawInterrupt = new AtomicBoolean();
    Task<?> task = s.run("waiter", () -> {
      started.countDown();
      try {
        new CountDownLatch(1).await();
      } catch (InterruptedException e) {
        sawInterrupt.set(true);
        throw e;
      }
    });
    started.await();

    assertThat(task.cancelAndWait(LONG)).isTrue();
    assertThat(sawInterrupt).isTrue();
    assertThat(task.status()).isEqualTo(Task.Status.CANCELLED); // ended before cancelAndWait returned
    assertThat(s.running()).isZero();
    assertThat(log.entries()).isEmpty();
  }

  @Test
  void cancelAndWait_errorThrownWhileUnwinding_propagates() throws Exception {
    Supervisor s = supervisor("unwind");
    IllegalStateException teardownBug = new IllegalStateException("teardown failed");
    CountDownLatch started = new CountDownLatch(2);
    Task<?> finallyThrows = s.run("finally", () -> {
      try {
        started.countDown();
        new CountDownLatch(1).await();
      } finally {
        throw teardownBug;
      }
    });
    IOException closeBug = new IOException("close failed");
    Task<?> closeThrows = s.run("close", () -> {
      try (AutoCloseable resource = () -> {
        throw closeBug;
      }) {
        started.countDown();
        new CountDownLatch(1).await(); // InterruptedException, with closeBug suppressed in it
      }
    });
    started.await();

    assertThatThrownBy(() -> finallyThrows.cancelAndWait(LONG)).isInstanceOf(TaskFailedException.class)
        .hasCause(teardownBug);
    assertThatThrownBy(() -> closeThrows.cancelAndWait(LONG)).isInstanceOf(TaskFailedException.class)
        .cause().isInstanceOf(InterruptedException.class).satisfies(c -> assertThat(c.getSuppressed()).containsExactly(closeBug));
    assertThat(finallyThrows.status()).isEqualTo(Task.Status.FAILED);
    assertThat(closeThrows.status()).isEqualTo(Task.Status.FAILED);
    assertThat(log.entries()).isEmpty(); // the caller received them: not logged as well
  }

  @Test
  void cancelAndWait_callerAlreadyInterrupted_propagatesAndStillCancels() throws Exception {
    Supervisor s = supervisor("interrupted-caller");
    CountDownLatch started = new CountDownLatch(1);
    Task<?> task = s.run("victim", () -> {
      started.countDown();
      new CountDownLatch(1).await();
    });
    started.await();

    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> task.cancelAndWait(LONG)).isInstanceOf(InterruptedException.class);
    assertThat(task.isCancellationRequested()).isTrue();
    s.shutdown();
    assertThat(s.awaitTermination(LONG)).isTrue();
    assertThat(task.status()).isEqualTo(Task.Status.CANCELLED);
    assertThat(log.entries()).isEmpty();
  }

  @Test
  void cancelAndWait_callerInterruptedWhileWaiting_propagates() throws Exception {
    Supervisor s = supervisor("interrupted-wait");
    Stubborn stubborn = new Stubborn();
    Task<?> task = s.run("deaf", stubborn::run);
    stubborn.entered.await();
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread caller = threads.start(() -> {
      try {
        outcome.set(new AssertionError("returned " + task.cancelAndWait(Duration.ofMinutes(1))));
      } catch (Throwable t) {
        outcome.set(t);
      }
    });
    Spin.until("the caller waits in cancelAndWait", () -> ((TaskImpl<?>) task).waiters() == 1);
    caller.interrupt();
    caller.join();

    assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
    assertThat(((TaskImpl<?>) task).waiters()).isZero();
    stubborn.release.countDown();
    s.shutdown();
    assertThat(s.awaitTermination(LONG)).isTrue();
    assertThat(task.status()).isEqualTo(Task.Status.CANCELLED);
    assertThat(log.at(Level.ERROR)).isEmpty();
  }

  @Test
  void cancelAndWait_taskIgnoringInterruption_boundedWaitThenReported() throws Exception {
    Supervisor s = supervisor("bounded");
    Stubborn stubborn = new Stubborn();
    Task<?> task = s.run("deaf", stubborn::run);
    stubborn.entered.await();

    assertThat(task.cancelAndWait(Duration.ofMillis(20))).isFalse();
    stubborn.interrupted.await(); // it was interrupted, and ignored it
    assertThat(task.status()).isEqualTo(Task.Status.RUNNING);
    assertThat(s.tasks()).containsExactly(task);
    assertThat(log.entries()).singleElement().satisfies(e -> {
      assertThat(e.level()).isEqualTo(Level.WARNING);
      assertThat(e.message()).isEqualTo("Task 'deaf' of supervisor 'bounded' ignored cancellation: still running after PT0.02S");
    });

    stubborn.release.countDown();
    assertThat(task.cancelAndWait(LONG)).isTrue();
    assertThat(task.status()).isEqualTo(Task.Status.CANCELLED);
    assertThat(log.at(Level.ERROR)).isEmpty();
  }

  @Test
  void cancelAndWait_fromTheTasksOwnThread_cancelsWithoutBlocking() throws Exception {
    Supervisor s = supervisor("own");
    AtomicReference<Task<?>> self = new AtomicReference<>();
    CountDownLatch published = new CountDownLatch(1);
    AtomicReference<Boolean> returned = new AtomicReference<>();
    Task<?> task = s.run("quitter", () -> {
      published.await();
      returned.set(self.get().cancelAndWait(Duration.ofDays(1)));
      new CountDownLatch(1).await(); // its own interrupt status is set: throws at once
    });
    self.set(task);
    published.countDown();

    assertThatThrownBy(task::join).isInstanceOf(java.util.concurrent.CancellationException.class);
    assertThat(returned.get()).isFalse();
    assertThat(task.status()).isEqualTo(Task.Status.CANCELLED);
    assertThat(log.entries()).isEmpty();
  }
}
