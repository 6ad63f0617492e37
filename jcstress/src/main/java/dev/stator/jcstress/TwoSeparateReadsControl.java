package dev.stator.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.stator.Machine;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/**
 * Control, deliberately broken: {@code is(Open)} followed by a separate {@code active()} read is
 * not one atomic read, so a reader can see Open before the transition and Closed after it.
 * {@link Gate} requires this test to FAIL: it proves that the run can observe a forbidden outcome
 * at all. (Two bare {@code is()} calls straddle a commit too, in about 0.03% of samples; the
 * {@code active()} call, which allocates a set, makes the window wide enough that even a short
 * run on a loaded machine sees it.)
 */
@JCStressTest
@Description("CONTROL: is(Open), then active().contains(Closed), racing add(Open)")
@Outcome(id = "false, true", expect = ACCEPTABLE, desc = "both reads before")
@Outcome(id = "true, false", expect = ACCEPTABLE, desc = "both reads after")
@Outcome(expect = FORBIDDEN, desc = "neither: the reads straddled the commit (expected here)")
@State
public class TwoSeparateReadsControl {
  private final Machine<Door> m = Door.closedAndLocked();

  @Actor
  public void writer() {
    m.add(Door.Open);
  }

  @Actor
  public void reader(ZZ_Result r) {
    r.r1 = m.is(Door.Open);
    r.r2 = m.active().contains(Door.Closed);
  }
}
