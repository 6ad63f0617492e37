package dev.stator.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.stator.Machine;
import dev.stator.Snapshot;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * Engine v2 bug 10: the queue tick of a no-op or refused mutation was written outside the
 * seqlock, so on a weakly ordered CPU a snapshot could pair a later queue tick with earlier
 * clocks. The writer runs a transition (add Open: queue tick 3), a no-op (add Open again: 4) and
 * a refusal (add Locked, which requires the Closed that Open removed: 5); every queue tick a
 * reader sees must come with the clocks of the transitions before it. (On x86 the old engine
 * passed too; the test guards the rule on other CPUs.)
 */
@JCStressTest
@Description("snapshot() racing a transition, a no-op and a refusal: queue tick and clocks agree")
@Outcome(id = "2, 0", expect = ACCEPTABLE, desc = "before everything")
@Outcome(id = "3, 1", expect = ACCEPTABLE, desc = "after add(Open)")
@Outcome(id = "4, 1", expect = ACCEPTABLE, desc = "after the no-op add(Open)")
@Outcome(id = "5, 1", expect = ACCEPTABLE, desc = "after the refused add(Locked)")
@Outcome(expect = FORBIDDEN, desc = "a queue tick paired with clocks of another moment")
@State
public class QueueTickWithClocks {
  private final Machine<Door> m = Door.closedAndLocked();

  @Actor
  public void writer() {
    m.add(Door.Open);
    m.add(Door.Open);
    m.add(Door.Locked);
  }

  @Actor
  public void reader(JJ_Result r) {
    Snapshot s = m.snapshot();
    r.r1 = s.queueTick();
    r.r2 = s.tick("Open");
  }
}
