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
import org.openjdk.jcstress.infra.results.ZJ_Result;

/** C1 + C2: a multi state entered again moves its clock by 2 at once and stays active. */
@JCStressTest
@Description("snapshot() racing add(Bell) while the multi state Bell is active")
@Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "before the second entry")
@Outcome(id = "true, 3", expect = ACCEPTABLE, desc = "after it")
@Outcome(expect = FORBIDDEN, desc = "an even clock for an active state, or Bell inactive")
@State
public class MultiEnterAgain {
  private final Machine<Door> m = Machine.of(Door.SCHEMA).build();

  public MultiEnterAgain() {
    m.add(Door.Bell);
  }

  @Actor
  public void writer() {
    m.add(Door.Bell);
  }

  @Actor
  public void reader(ZJ_Result r) {
    try {
      Snapshot s = m.snapshot();
      r.r1 = s.is("Bell");
      r.r2 = s.tick("Bell");
    } catch (IllegalArgumentException torn) {
      r.r2 = -2;
    }
  }
}
