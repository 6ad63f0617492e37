package dev.stator.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZL_Result;

/**
 * The fixed twin of {@link ReleaseForgetsClosedControl}: the same {@link ToyMachine} and actors,
 * with release re-checking {@code closed} after giving the toy back. It must pass, so the
 * control fails for the missing re-check and not for the toy's scaffolding.
 */
@JCStressTest
@Description("toy mutation racing toy close(); release re-checks closed")
@Outcome(id = "false, none", expect = ACCEPTABLE, desc = "close came first: refused, not opened")
@Outcome(id = "true, closed", expect = ACCEPTABLE, desc = "ran; close closed its scope")
@Outcome(expect = FORBIDDEN, desc = "the scope's resource still open after close returned")
@State
public class ReleaseRechecksClosed {
  private final ToyMachine m = new ToyMachine(true);
  private boolean ran;

  @Actor
  public void release() {
    ran = m.mutate();
  }

  @Actor
  public void close() {
    m.close();
  }

  @Arbiter
  public void arbiter(ZL_Result r) {
    r.r1 = ran;
    r.r2 = m.isClosed() ? m.resource.status() : "not-closed";
  }
}
