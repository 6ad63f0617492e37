package dev.stator.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.stator.Machine;
import java.util.List;
import java.util.Set;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZZ_Result;

/** C2: {@code is(states)}, {@code any(states)} and {@code active()} are atomic reads. */
@JCStressTest
@Description("is([Open, Closed]), any([Open, Closed]) and active() racing add(Open)")
@Outcome(id = "false, true, true", expect = ACCEPTABLE,
    desc = "never both, always one, active() consistent")
@Outcome(expect = FORBIDDEN, desc = "Open and Closed together, neither, or an inconsistent active()")
@State
public class ReadsDuringTransition {
  private static final List<Door> OPEN_CLOSED = List.of(Door.Open, Door.Closed);
  private final Machine<Door> m = Door.closedAndLocked();

  @Actor
  public void writer() {
    m.add(Door.Open);
  }

  @Actor
  public void reader(ZZZ_Result r) {
    r.r1 = m.is(OPEN_CLOSED);
    r.r2 = m.any(OPEN_CLOSED);
    Set<Door> a = m.active();
    boolean lockedWithoutClosed = a.contains(Door.Locked) && !a.contains(Door.Closed);
    boolean both = a.contains(Door.Open) && a.contains(Door.Closed);
    boolean neither = !a.contains(Door.Open) && !a.contains(Door.Closed);
    r.r3 = !lockedWithoutClosed && !both && !neither;
  }
}
