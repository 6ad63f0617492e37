package dev.stator.jcstress;

import dev.stator.Machine;
import dev.stator.MachineClosedException;
import dev.stator.Result;
import dev.stator.Status;
import java.time.Duration;
import java.util.StringJoiner;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One mutation submitted while another thread closes the machine, graded once close() has
 * returned. The test's handler for the mutation's state calls {@link #handlerRan}; the closing
 * actor calls {@link #closeReturned} right after {@code close()} returns.
 *
 * <p>Grades (one token each, for jcstress outcome ids): {@code refused} (threw
 * MachineClosedException, the handler did not run), {@code ran} (returned EXECUTED, the handler
 * ran), {@code ticket-ran} / {@code ticket-refused} (returned a QUEUED ticket that completed
 * EXECUTED with the handler run / failed with MachineClosedException without it). Anything else
 * is a bug: {@code refused-but-ran} (bug 7: a mutation that ran reported as refused),
 * {@code ticket-refused-but-ran}, {@code ticket-queued} (a ticket still QUEUED after close
 * returned), {@code executed-not-run}, {@code canceled}, {@code threw-X}.
 */
final class Submission {
  private Result result;
  private RuntimeException thrown;
  private Status atReturn;
  private volatile boolean ran;
  private volatile boolean late;
  private volatile boolean closeReturned;

  /** Submits on the calling actor's thread. */
  void submit(Supplier<Result> mutation) {
    try {
      result = mutation.get();
      atReturn = result.status();
    } catch (RuntimeException e) {
      thrown = e;
    }
  }

  /** Called by the mutation's handler, on whichever thread runs the transition. */
  void handlerRan() {
    if (closeReturned) late = true;
    ran = true;
  }

  /** Called by the closing actor right after {@code close()} returned. */
  void closeReturned() {
    closeReturned = true;
  }

  /** Whether the handler ran after close() had returned (a transition on a closed machine). */
  String timing() {
    return late ? "late" : "in-time";
  }

  /** The grade; call after close() and the submission have both returned (an arbiter). */
  String grade() {
    if (thrown != null) {
      if (!(thrown instanceof MachineClosedException)) {
        return "threw-" + thrown.getClass().getSimpleName();
      }
      return ran ? "refused-but-ran" : "refused";
    }
    switch (atReturn) {
      case EXECUTED:
        return ran ? "ran" : "executed-not-run";
      case CANCELED:
        return "canceled";
      case QUEUED:
        break;
      default:
        throw new IllegalStateException("status " + atReturn);
    }
    Status after;
    try {
      after = result.await(Duration.ZERO);
    } catch (MachineClosedException e) {
      return ran ? "ticket-refused-but-ran" : "ticket-refused";
    } catch (TimeoutException e) {
      return "ticket-queued";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } catch (RuntimeException e) {
      return "ticket-threw-" + e.getClass().getSimpleName();
    }
    return switch (after) {
      case EXECUTED -> ran ? "ticket-ran" : "ticket-executed-not-run";
      case CANCELED -> "ticket-canceled";
      case QUEUED -> "ticket-queued";
    };
  }

  /**
   * {@code finished} if close has finished {@code m}: closed, its close transition done
   * (whenClosed complete), no state active, nothing queued; otherwise the failed checks joined
   * by {@code +} ({@code open}, {@code unfinished}, {@code active}, {@code queued}).
   */
  static String finished(Machine<?> m) {
    StringJoiner j = new StringJoiner("+");
    if (!m.isClosed()) j.add("open");
    if (!m.whenClosed().isDone()) j.add("unfinished");
    if (!m.activeNames().isEmpty()) j.add("active");
    if (m.queueSize() != 0) j.add("queued");
    return j.length() == 0 ? "finished" : j.toString();
  }
}
