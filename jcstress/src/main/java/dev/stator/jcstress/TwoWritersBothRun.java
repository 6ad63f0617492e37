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
import org.openjdk.jcstress.infra.results.ZZJ_Result;

/**
 * Q1: when two racing callers have both returned, both mutations have run: the one that found
 * the machine busy queued its mutation, and either the drainer saw it when it released (the
 * lost-wake-up re-check) or the caller drained it itself.
 */
@JCStressTest
@Description("add(Open) racing add(Closed) on an idle machine; arbiter after both returned")
@Outcome(id = "true, false, 2", expect = ACCEPTABLE, desc = "Closed ran first, then Open")
@Outcome(id = "false, true, 2", expect = ACCEPTABLE, desc = "Open ran first, then Closed")
@Outcome(expect = FORBIDDEN,
    desc = "a mutation still queued after both callers returned, or both/neither state active")
@State
public class TwoWritersBothRun {
  private final Machine<Door> m = Machine.of(Door.SCHEMA).build();

  @Actor
  public void open() {
    m.add(Door.Open);
  }

  @Actor
  public void close() {
    m.add(Door.Closed);
  }

  @Arbiter
  public void arbiter(ZZJ_Result r) {
    r.r1 = m.is(Door.Open);
    r.r2 = m.is(Door.Closed);
    r.r3 = m.snapshot().queueTick();
  }
}
