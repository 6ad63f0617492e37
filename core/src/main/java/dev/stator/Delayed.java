package dev.stator;

/**
 * A delayed mutation ({@link Machine#after}): a mutation that the machine queues once its delay
 * has passed on the machine's {@link Time}, and the {@link Result} that reports it.
 *
 * {@snippet :
 * void connectingState(Event<Conn> e) {
 *   // Timeout is added in 5 s unless Connecting ends first: the timer belongs to its scope
 *   e.scope().machine().after(Duration.ofSeconds(5)).add(Conn.Timeout);
 * }
 * }
 *
 * <h2>Lifecycle</h2>
 * {@code SCHEDULED} until the delay passes; then the mutation is queued like any other (it never
 * runs on the timer's thread; spec TM4) and the outcome is its ticket's: {@code EXECUTED} or
 * {@code CANCELED}. {@link #status()} is {@code QUEUED} while it is scheduled or queued. It ends
 * {@code CANCELED}, with a {@link #reason()}, without running if {@link #cancel()} is called
 * while it is scheduled, if the state scope that made it ends first (TM5), or if the machine
 * closes first (TM6; also when it was queued and the close came before it ran: a delayed
 * mutation never fails with {@link MachineClosedException}).
 *
 * <h2>Thread safety</h2>
 * Any thread may cancel, read or await it. Dependents of {@link #future()} run on a separate
 * virtual thread, never on the machine's or the timer's thread. {@link #await} measures its
 * timeout on the machine's time.
 */
public sealed interface Delayed extends Result permits DelayedMutation {

  /**
   * Cancels the mutation if its delay has not passed yet; returns whether this call cancelled
   * it (false once it has been queued, or if it ended already). Its status is then
   * {@code CANCELED} with the reason {@code "cancelled"}.
   */
  boolean cancel();

  /** Whether the delay has not passed yet and the mutation was not cancelled. */
  boolean isScheduled();
}
