package dev.stator.rpc;

import dev.stator.Schema;

/**
 * The states of a {@link RemoteMachine}'s connection, visible and awaitable as a local machine
 * ({@link RemoteMachine#connection()}).
 *
 * <ul>
 *   <li>{@code Connecting}: attaching (first time or after a failure, after the backoff);
 *   <li>{@code Connected}: the handshake passed and the mirror holds a full, fresh copy of the
 *       remote state; mutations are sent;
 *   <li>{@code Disconnected}: not attached; mutations are {@code CANCELED} at once with the
 *       reason;
 *   <li>{@code ErrNetwork}: the last attempt failed on the network or the server went away; a
 *       retry follows after a backoff. Removed when connected again;
 *   <li>{@code ErrRefused}: the server refused the attachment for good (wrong token, no grant,
 *       unknown machine, schema mismatch); no retry; the reason is
 *       {@link RemoteMachine#lastFailure()}.
 * </ul>
 */
public enum Connection {
  Connecting, Connected, Disconnected, ErrNetwork, ErrRefused;

  /** The relations: Connecting, Connected and Disconnected exclude each other. */
  static final Schema<Connection> SCHEMA = Schema.of(Connection.class)
      .state(Connecting, s -> s.remove(Connected, Disconnected))
      .state(Connected, s -> s.remove(Connecting, Disconnected, ErrNetwork))
      .state(Disconnected, s -> s.remove(Connecting, Connected))
      .state(ErrNetwork, s -> s.remove(Connected))
      .state(ErrRefused, s -> s.remove(Connected, Connecting))
      .build();
}
