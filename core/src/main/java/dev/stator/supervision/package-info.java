/**
 * Supervision, usable without a machine: supervised tasks on virtual threads, cancel-and-wait,
 * lifespans with reverse teardown, background services and a registry of actors.
 *
 * <ul>
 *   <li>{@link dev.stator.supervision.Supervisor}: a group of named tasks, each held by a strong
 *       reference until it ends, whose failure is reported exactly once (logged, or given to a
 *       {@link dev.stator.supervision.FailureHandler}) unless someone who joined it received it.
 *   <li>{@link dev.stator.supervision.Task}: one supervised task; {@code join},
 *       {@code cancelAndWait} with a bound.
 *   <li>{@link dev.stator.supervision.Lifespan}: ordered setup, reverse teardown, errors
 *       aggregated, interruption propagated after teardown.
 *   <li>{@link dev.stator.supervision.BackgroundService}: start, await "started", stop with a
 *       bound from any thread, including the service's own.
 *   <li>{@link dev.stator.supervision.ActorRegistry}: one actor per key, started once, retired
 *       after its tasks end, cleaned up exactly once.
 * </ul>
 *
 * <p>Cancellation is interruption. Every method that waits takes a bound (or is documented to
 * wait until the thing it waits for ends), and never swallows the caller's own interruption:
 * methods that declare {@link java.lang.InterruptedException} throw it; {@code close()} methods,
 * which cannot, stop waiting and re-assert the caller's interrupt status. Nothing here uses
 * preview APIs. See {@code docs/supervision.md} for a guided tour and the exact log output.
 */
@NullMarked
package dev.stator.supervision;

import org.jspecify.annotations.NullMarked;
