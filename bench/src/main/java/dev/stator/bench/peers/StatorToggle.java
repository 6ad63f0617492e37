package dev.stator.bench.peers;

import dev.stator.Machine;
import dev.stator.Result;
import dev.stator.Schema;
import dev.stator.Status;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Workload 1/4 in Stator: two states that remove each other. The machine is thread-safe as it
 * is; {@link Waiting} (workload 4) also awaits a call's ticket when the call was queued, so that
 * a caller does not run ahead of the machine.
 */
public class StatorToggle implements Toggle {
  static final Schema<State> SCHEMA = Schema.of(State.class)
      .state(State.On, s -> s.remove(State.Off))
      .state(State.Off, s -> s.remove(State.On))
      .build();

  final Machine<State> machine = Machine.of(SCHEMA).build();

  public StatorToggle() {
    machine.add(State.Off);
  }

  @Override
  public void on() {
    machine.add(State.On);
  }

  @Override
  public void off() {
    machine.add(State.Off);
  }

  @Override
  public String state() {
    return String.join(",", machine.activeNames());
  }

  /**
   * Shared by several threads: a call that found the machine busy returns a {@code QUEUED}
   * ticket, which this awaits. Without the wait, four threads calling as fast as they can fill
   * the queue faster than the one thread holding the machine empties it, and calls past the
   * queue limit fail with {@code QueueFullException} (see docs/benchmarks.md).
   */
  public static final class Waiting extends StatorToggle {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    @Override
    public void on() {
      await(machine.add(State.On));
    }

    @Override
    public void off() {
      await(machine.add(State.Off));
    }

    private static void await(Result r) {
      if (r.status() != Status.QUEUED) return;
      try {
        r.await(PATIENCE);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      } catch (TimeoutException e) {
        throw new IllegalStateException("a queued toggle did not run in " + PATIENCE, e);
      }
    }
  }
}
