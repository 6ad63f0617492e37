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
 * Enqueue versus close on an idle machine: a mutation submitted while another thread closes is
 * either refused (MachineClosedException, its handler never runs) or runs (EXECUTED, its handler
 * ran before close returned). A ticket is acceptable too if it completes, but cannot happen
 * here: the closer sets {@code closed} before it tries to acquire, so a submitter that finds
 * the closer holding the machine sees {@code closed} after its push and refuses itself;
 * {@link EnqueueVersusCloseConfined} makes tickets.
 *
 * <p>Fields: {@link Submission#grade()}, {@link Submission#timing()} ({@code late}: the handler
 * ran after close returned), {@link Submission#finished}.
 */
@JCStressTest
@Description("add(Open) racing close() on an idle machine; arbiter after both returned")
@Outcome(id = "refused, in-time, finished", expect = ACCEPTABLE,
    desc = "close came first: add threw MachineClosedException and did not run")
@Outcome(id = "ran, in-time, finished", expect = ACCEPTABLE,
    desc = "add ran (EXECUTED, its handler ran) before close finished the machine")
@Outcome(id = "(ticket-ran|ticket-refused), in-time, finished", expect = ACCEPTABLE,
    desc = "a ticket that completed (not expected on an idle machine)")
@Outcome(expect = FORBIDDEN,
    desc = "refused although its handler ran (bug 7), a ticket still QUEUED after close returned,"
        + " a transition after close returned (late), or close returned before the machine was"
        + " finished")
@State
public class EnqueueVersusClose {
  private final Submission open = new Submission();
  private final Machine<Door> m = Machine.of(Door.SCHEMA)
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
