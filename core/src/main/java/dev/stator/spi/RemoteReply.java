package dev.stator.spi;

import dev.stator.Status;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The first answer to a {@link RemoteCall}.
 *
 * @param status {@code EXECUTED}, {@code CANCELED} or {@code QUEUED}
 * @param reason why a {@code CANCELED} call was refused; null otherwise
 * @param outcome for {@code QUEUED}: the final answer ({@code EXECUTED} or {@code CANCELED});
 *     completed exceptionally if the outcome cannot be known (connection lost, machine closed).
 *     Null otherwise.
 */
public record RemoteReply(Status status, @Nullable String reason,
    @Nullable CompletableFuture<RemoteReply> outcome) {

  /** Checks that the fields agree with the status. */
  public RemoteReply {
    Objects.requireNonNull(status, "status");
    if ((status == Status.QUEUED) != (outcome != null)) {
      throw new IllegalArgumentException("a QUEUED reply, and only one, has an outcome: " + status);
    }
  }

  /** An executed call. */
  public static RemoteReply executed() {
    return new RemoteReply(Status.EXECUTED, null, null);
  }

  /** A refused call (or one never sent), with why. */
  public static RemoteReply canceled(String reason) {
    return new RemoteReply(Status.CANCELED, Objects.requireNonNull(reason, "reason"), null);
  }

  /** A queued call whose final answer comes later. */
  public static RemoteReply queued(CompletableFuture<RemoteReply> outcome) {
    return new RemoteReply(Status.QUEUED, null, Objects.requireNonNull(outcome, "outcome"));
  }
}
