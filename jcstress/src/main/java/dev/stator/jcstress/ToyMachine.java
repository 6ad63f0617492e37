package dev.stator.jcstress;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A toy of the engine's acquire/release protocol around close, small enough to check by eye,
 * for the close-versus-release control ({@link ReleaseForgetsClosedControl}) and its fixed twin
 * ({@link ReleaseRechecksClosed}). Not the engine: the control's failure proves that a short run
 * catches this race, and the twin that the toy's scaffolding is not what fails.
 *
 * <p>{@code running}: false while idle, true while a thread holds the toy; never false again
 * once close has finished (TERMINAL). {@code closed}: set by close() before it tries to acquire.
 * A mutation opens one resource in its state's scope; finishing close closes it.
 *
 * <p>With {@code recheckClosed} false, release is the old engine's (the drainer checks
 * {@code closed}, releases, and re-checks only the inbox): a close() that sets {@code closed}
 * and loses its CAS to the drainer between the drainer's check and its release trusts the
 * drainer to finish, the drainer never looks again, and the scope never closes. With it true,
 * release re-checks {@code closed} after giving the toy back, as MachineImpl.release does (the
 * Dekker argument: one side always sees the other). The inbox re-check is left out: nothing is
 * queued in these tests.
 */
final class ToyMachine {
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile boolean closed;
  private final boolean recheckClosed;
  private boolean scopeOpen; // holder only (a CAS on running orders holders)
  final Resource resource = new Resource();

  ToyMachine(boolean recheckClosed) {
    this.recheckClosed = recheckClosed;
  }

  /** A mutation that opens the scope's resource; false if refused because the toy is closed. */
  boolean mutate() {
    if (closed) return false;
    if (!running.compareAndSet(false, true)) return false; // only a closer holds it here
    if (closed) { // close came between our check and our acquire: finish it, refuse ours
      finishClose();
      return false;
    }
    resource.open();
    scopeOpen = true;
    drain();
    return true;
  }

  private void drain() {
    for (;;) {
      if (closed) {
        finishClose();
        return;
      }
      running.set(false); // release
      if (!recheckClosed || !closed) return; // the broken release forgets closed here
      if (!running.compareAndSet(false, true)) return; // the closer took it: it finishes
    }
  }

  void close() {
    closed = true;
    if (running.compareAndSet(false, true)) finishClose();
    // else the holder finishes close when it releases
  }

  boolean isClosed() {
    return closed;
  }

  private void finishClose() { // holder only; running stays true: TERMINAL
    if (scopeOpen) {
      scopeOpen = false;
      resource.close();
    }
  }
}
