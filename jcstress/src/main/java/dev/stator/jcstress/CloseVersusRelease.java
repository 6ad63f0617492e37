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
import org.openjdk.jcstress.infra.results.LLLL_Result;

/**
 * Close versus release: one actor's mutation runs on the idle machine and releases it while the
 * other calls {@code close()}. Whichever side the Dekker re-check in {@code release()} favours,
 * close must finish the machine: the scope the machine already had ({@code Closed}'s, holding
 * {@code held}) and the scope the mutation opened ({@code Locked}'s, holding {@code opened}) are
 * each closed exactly once, and once close has returned the machine is closed, its close
 * transition done, no state active and nothing queued. The old engine's bug (the drainer checks
 * {@code closed}, releases, re-checks only the inbox; close loses its CAS and trusts the
 * drainer) leaves the scopes open: {@code open} in the second or third field.
 *
 * <p>Fields: what {@code add(Locked)} did ({@link Submission#grade()}), {@code held}'s and
 * {@code opened}'s {@link Resource#status()}, {@link Submission#finished}.
 */
@JCStressTest
@Description("add(Locked), whose handler opens a resource in Locked's scope, racing close();"
    + " Closed's scope already holds one; arbiter after both returned")
@Outcome(id = "(refused|ticket-refused), closed, none, finished", expect = ACCEPTABLE,
    desc = "close came first: add threw MachineClosedException and did not run; close closed"
        + " Closed's resource")
@Outcome(id = "(ran|ticket-ran), closed, closed, finished", expect = ACCEPTABLE,
    desc = "add ran and released; close finished the machine: both resources closed once")
@Outcome(expect = FORBIDDEN,
    desc = "a leaked scope (a resource open, or closed twice), a mutation that ran reported as"
        + " refused, or close returned before the machine was finished")
@State
public class CloseVersusRelease {
  private final Resource held = new Resource();
  private final Resource opened = new Resource();
  private final Submission locked = new Submission();
  private final Machine<Door> m = Machine.of(Door.SCHEMA)
      .onState(Door.Closed, e -> e.scope().open(held::open))
      .onState(Door.Locked, e -> {
        locked.handlerRan();
        e.scope().open(opened::open);
      })
      .build();

  public CloseVersusRelease() {
    m.add(Door.Closed);
  }

  @Actor
  public void release() {
    locked.submit(() -> m.add(Door.Locked));
  }

  @Actor
  public void close() {
    m.close();
    locked.closeReturned();
  }

  @Arbiter
  public void arbiter(LLLL_Result r) {
    r.r1 = locked.grade();
    r.r2 = held.status();
    r.r3 = opened.status();
    r.r4 = Submission.finished(m);
  }
}
