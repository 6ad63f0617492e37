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
 * Control, deliberately broken: {@link CloseVersusRelease} on a {@link ToyMachine} whose release
 * forgets to re-check {@code closed}, the old engine's bug. {@link Gate} requires this test to
 * FAIL: it proves that a run as short as the build's can see close lose to a release and leak
 * the scope. {@link ReleaseRechecksClosed} is the same test with the re-check, and passes.
 */
@JCStressTest
@Description("CONTROL: toy mutation racing toy close(); release does not re-check closed")
@Outcome(id = "false, none", expect = ACCEPTABLE, desc = "close came first: refused, not opened")
@Outcome(id = "true, closed", expect = ACCEPTABLE, desc = "ran; close closed its scope")
@Outcome(expect = FORBIDDEN,
    desc = "the scope's resource still open after close returned (expected here)")
@State
public class ReleaseForgetsClosedControl {
  private final ToyMachine m = new ToyMachine(false);
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
