package dev.stator.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.stator.Machine;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LLL_Result;

/**
 * Enqueue versus close where the submitter gets a ticket: on a confined machine every mutation
 * from another thread is queued for the owner thread, so the third party that drains is the
 * engine's own (a three-actor test would not run on a two-CPU machine). The ticket must be
 * complete once close has returned: the owner ran it (EXECUTED, its handler ran before close
 * returned) or close failed it with MachineClosedException (its handler never ran); or the
 * submitter saw {@code closed} and was refused. The owner is a virtual thread: a platform thread
 * started per sample cuts the samples of a short run about tenfold.
 *
 * <p>Fields: {@link Submission#grade()}, {@link Submission#timing()}, {@link Submission#finished}.
 */
@JCStressTest
@Description("add(Open) racing close() on a confined machine; arbiter after both returned")
@Outcome(id = "refused, in-time, finished", expect = ACCEPTABLE,
    desc = "close came first: add threw MachineClosedException and did not run")
@Outcome(id = "ticket-ran, in-time, finished", expect = ACCEPTABLE,
    desc = "queued; the owner ran it before close finished the machine")
@Outcome(id = "ticket-refused, in-time, finished", expect = ACCEPTABLE,
    desc = "queued; close failed the ticket with MachineClosedException, it did not run")
@Outcome(id = "ran, in-time, finished", expect = ACCEPTABLE,
    desc = "queued, and the owner had run it before add returned")
@Outcome(expect = FORBIDDEN,
    desc = "refused although its handler ran (bug 7), a ticket still QUEUED after close returned,"
        + " a transition after close returned (late), or close returned before the machine was"
        + " finished")
@State
public class EnqueueVersusCloseConfined {
  private final Submission open = new Submission();
  private final Machine<Door> m = Machine.of(Door.SCHEMA)
      .confined()
      .threadFactory(Thread.ofVirtual().factory())
      .onState(Door.Open, e -> open.handlerRan())
      .build();

  @Actor
  public void submit() {
    open.submit(() -> m.add(Door.Open));
  }

  @Actor
  public void close() {
    m.close();
    open.closeReturned();
  }

  @Arbiter
  public void arbiter(LLL_Result r) {
    r.r1 = open.grade();
    r.r2 = open.timing();
    r.r3 = Submission.finished(m);
  }
}
