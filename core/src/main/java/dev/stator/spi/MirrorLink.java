package dev.stator.spi;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a mirror machine sends its mutations: implemented by a transport (the rpc module).
 *
 * <p>Thread safety: {@link #send} is called on the thread that called the mutation, by any
 * number of threads at once; it may block for one round trip, bounded by the link's own call
 * timeout. {@link #close} is called once, when the mirror closes.
 */
public interface MirrorLink {

  /**
   * Sends one mutation and returns its first answer: final ({@code EXECUTED}, {@code CANCELED}
   * with a reason, including "not connected" for a call that was never sent), or
   * {@code QUEUED} with a future of the final answer.
   *
   * @param call the mutation, its states as schema indexes in the caller's order
   * @return the answer
   * @throws IllegalArgumentException if an argument cannot be encoded (a key without a codec)
   * @throws RuntimeException if the call was sent and its outcome is unknown (the connection
   *     dropped before the answer came): the mutation may or may not have run
   */
  RemoteReply send(RemoteCall call);

  /**
   * Asks the remote machine to wait for {@code state} to activate through a mutation with
   * {@code expected} among its arguments ({@code Machine.whenArgs}, evaluated where the
   * arguments are). The future completes, after the mirror has been advanced to at least the
   * remote state right after that transition, or fails with an exception that says why: the
   * remote machine closed, or the connection dropped (activations meanwhile are unknown). Cancelling the future cancels the
   * remote wait. The default refuses: a link that cannot wait on arguments.
   *
   * @param state the state's schema index
   * @param expected the arguments the mutation must carry
   * @throws IllegalArgumentException if an argument cannot be encoded (a key without a codec)
   */
  default CompletableFuture<Void> whenArgs(int state, List<RemoteCall.Arg> expected) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException(
        "this mirror's link cannot wait on arguments"));
  }

  /** The mirror closed: release the connection. Idempotent. */
  void close();
}
