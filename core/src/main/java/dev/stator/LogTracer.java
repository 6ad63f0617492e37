package dev.stator;

import java.util.List;

/**
 * Logs one line per transition: {@code [Conn#1] #2 add[Connecting] +Session +Connecting
 * -Disconnected (Session=1 Connecting=1 Disconnected=2)}; a canceled transition ends with
 * {@code CANCELED} and why ({@code CANCELED: Locked requires Closed}). A handler that throws is
 * logged separately by the machine, with its stack trace.
 */
final class LogTracer extends Tracer {
  private final System.Logger log;
  private final System.Logger.Level level;

  LogTracer(System.Logger log, System.Logger.Level level) {
    this.log = log;
    this.level = level;
  }

  @Override
  public void transitionEnd(Event<?> e, boolean executed) {
    if (!log.isLoggable(level)) return;
    StringBuilder sb = new StringBuilder(96).append('[').append(e.machineId()).append("] #")
        .append(e.transitionId()).append(' ').append(e.kind().label());
    if (e.kind() != MutationKind.CLOSE) sb.append(e.calledNames());
    if (e.source() != null) sb.append(" from ").append(e.source());
    if (!executed) {
      sb.append(" CANCELED");
      if (!e.refusal().isEmpty()) sb.append(": ").append(e.refusal());
      log.log(level, sb.toString());
      return;
    }
    List<String> entering = e.enteringNames();
    List<String> exiting = e.exitingNames();
    for (String s : entering) sb.append(" +").append(s);
    for (String s : exiting) sb.append(" -").append(s);
    if (entering.isEmpty() && exiting.isEmpty()) sb.append(" (no change)");
    Snapshot snap = e.machine().snapshot();
    sb.append(" (");
    boolean first = true;
    for (String s : entering) {
      sb.append(first ? "" : " ").append(s).append('=').append(snap.tick(s));
      first = false;
    }
    for (String s : exiting) {
      sb.append(first ? "" : " ").append(s).append('=').append(snap.tick(s));
      first = false;
    }
    sb.append(')');
    if (!e.args().isEmpty()) sb.append(' ').append(e.args());
    log.log(level, sb.toString());
  }
}
