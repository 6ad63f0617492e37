package dev.stator.rpc;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one client may do with one exposed machine: read it (attach and mirror), or also mutate
 * it, optionally only some of its states.
 *
 * {@snippet :
 * RpcServer.builder()
 *     .client("dashboard", dashboardToken, Grant.read("door-1"))
 *     .client("operator", operatorToken, Grant.mutate("door-1", "Open", "Closed"));
 * }
 *
 * @param machineId the exposed machine's id
 * @param mutate whether the client may mutate it
 * @param states the states it may call, by name; null for every state
 */
public record Grant(String machineId, boolean mutate, @Nullable List<String> states) {

  /** Checks the id; copies the states. */
  public Grant {
    Objects.requireNonNull(machineId, "machineId");
    if (machineId.isBlank()) throw new IllegalArgumentException("machine id must not be blank");
    if (states != null) {
      if (!mutate) throw new IllegalArgumentException("a read-only grant names no states");
      states = List.copyOf(states);
    }
  }

  /** Read-only: attach, mirror, wait; every mutation is refused. */
  public static Grant read(String machineId) {
    return new Grant(machineId, false, null);
  }

  /** Read and mutate every state. */
  public static Grant mutate(String machineId) {
    return new Grant(machineId, true, null);
  }

  /**
   * Read, and mutate only the named states: a mutation that calls any other state is refused
   * with PERMISSION_DENIED. Name {@code Exception} to allow {@code addError}/{@code removeError}.
   */
  public static Grant mutate(String machineId, String... states) {
    if (states.length == 0) throw new IllegalArgumentException("name at least one state");
    return new Grant(machineId, true, List.of(states));
  }
}
