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
import org.openjdk.jcstress.infra.results.ZZJ_Result;

/** C2: {@code snapshot()} on another thread sees the state before or after a transition. */
@JCStressTest
@Description("snapshot() racing add(Open), which removes Closed and (by require) Locked")
@Outcome(id = "false, true, 2", expect = ACCEPTABLE, desc = "before: Closed, Locked; 2 processed")
@Outcome(id = "true, false, 3", expect = ACCEPTABLE, desc = "after: Open; 3 processed")
@Outcome(expect = FORBIDDEN,
    desc = "half a transition: a mix of states and queue tick, or clocks that disagree with the"
        + " active set (-1), or a snapshot that failed its own parity check (-2)")
@State
public class SnapshotDuringTransition {
  private final Machine<Door> m = Door.closedAndLocked();

  @Actor
  public void writer() {
    m.add(Door.Open);
  }

  @Actor
  public void reader(ZZJ_Result r) {
    try {
      Snapshot s = m.snapshot();
      r.r1 = s.is("Open");
      r.r2 = s.is("Closed");
      r.r3 = Door.consistent(s) ? s.queueTick() : -1;
    } catch (IllegalArgumentException torn) {
      r.r3 = -2;
    }
  }
}
