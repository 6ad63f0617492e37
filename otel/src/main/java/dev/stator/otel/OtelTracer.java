package dev.stator.otel;

import static dev.stator.otel.StatorTelemetry.Attributes.ACCEPTED;
import static dev.stator.otel.StatorTelemetry.Attributes.BEGUN_BY;
import static dev.stator.otel.StatorTelemetry.Attributes.ENDED_BY;
import static dev.stator.otel.StatorTelemetry.Attributes.DURATION;
import static dev.stator.otel.StatorTelemetry.Attributes.HANDLER;
import static dev.stator.otel.StatorTelemetry.Attributes.MACHINE_ID;
import static dev.stator.otel.StatorTelemetry.Attributes.MACHINE_KIND;
import static dev.stator.otel.StatorTelemetry.Attributes.MUTATION_KIND;
import static dev.stator.otel.StatorTelemetry.Attributes.MUTATION_SOURCE;
import static dev.stator.otel.StatorTelemetry.Attributes.PHASE;
import static dev.stator.otel.StatorTelemetry.Attributes.REASON;
import static dev.stator.otel.StatorTelemetry.Attributes.RESULT;
import static dev.stator.otel.StatorTelemetry.Attributes.STATE;
import static dev.stator.otel.StatorTelemetry.Attributes.STATES_ADDED;
import static dev.stator.otel.StatorTelemetry.Attributes.STATES_CALLED;
import static dev.stator.otel.StatorTelemetry.Attributes.STATES_REMOVED;
import static dev.stator.otel.StatorTelemetry.Attributes.TRANSITION_ID;

import dev.stator.Event;
import dev.stator.Machine;
import dev.stator.MutationKind;
import dev.stator.Schema;
import dev.stator.Snapshot;
import dev.stator.StateScope;
import dev.stator.Tracer;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The tracer {@link StatorTelemetry#tracer()} makes. Called on the draining thread, one call
 * at a time per machine (the Tracer contract), so a machine's {@link Watch} needs no lock.
 */
final class OtelTracer extends Tracer {
  /* Design: the first machine that starts with this tracer owns the `first` slot (one CAS),
   * so the usual one-tracer-per-machine case finds its state without a lookup; further
   * machines go to a map. The transition span is made current from transitionStart to
   * transitionEnd so that spans started by handlers become its children. If a handler is
   * abandoned past the handler timeout, transitionEnd arrives on another thread: the span is
   * ended there, but the scope (a thread-local) is left to the abandoned thread, whose outer
   * context scope restores its context when it unwinds. The engine may also not report the
   * end at all; then the next transitionStart finds the Watch still open and ends the span as
   * abandoned. Limitation: a mutation that ran at once on the caller's thread has no outer
   * scope, so an abandoned handler leaves the transition span current on that thread (needs a
   * core hook: a tracer call on the abandoned thread as it unwinds). */

  private final StatorTelemetry t;
  private final AtomicReference<@Nullable Watch> first = new AtomicReference<>();
  private final ConcurrentHashMap<Machine<?>, Watch> others = new ConcurrentHashMap<>();

  OtelTracer(StatorTelemetry telemetry) {
    this.t = telemetry;
  }

  /** One machine's kind, attributes and the transition in progress. */
  static final class Watch {
    final Machine<?> machine;
    final Instruments.Kind kind;
    final boolean on;
    Instruments.@Nullable Entry entry; // its counts, when metrics are on
    final String spanName;
    // the transition in progress; draining thread only
    @Nullable Span span;
    @Nullable Scope scope;
    @Nullable Thread thread;
    long start;
    boolean open; // between transitionStart and transitionEnd
    @Nullable String handler;
    long handlerStart;
    @Nullable Span handlerSpan;
    @Nullable Scope handlerScope;
    @Nullable Span last; // the span of the latest transition, the cause of auto and errors
    long lastId;
    @Nullable Span @Nullable [] states; // per state, the span of its activation (stateSpans)

    Watch(Machine<?> machine, Instruments.Kind kind, boolean on) {
      this.machine = machine;
      this.kind = kind;
      this.on = on;
      this.spanName = "stator.transition " + kind.name;
    }
  }

  @Override
  public void machineStarted(Machine<?> machine) {
    watch(machine);
  }

  @Override
  public void machineRestored(Machine<?> machine, Snapshot snapshot) {
    watch(machine);
  }

  @Override
  public void machineClosed(Machine<?> machine) {
    Watch w = others.get(machine);
    if (w == null) w = first.get();
    @Nullable Span[] spans = w != null && w.machine == machine ? w.states : null;
    if (spans != null) { // states still active after close: none normally (close ends all)
      for (int i = 0; i < spans.length; i++) {
        Span s = spans[i];
        if (s != null) s.end();
        spans[i] = null;
      }
    }
    others.remove(machine); // the instruments drop it at their next collection
  }

  @Override
  public void transitionStart(Event<?> e) {
    Watch w = watch(e.machine());
    if (!w.on) return;
    if (w.open) abandoned(w); // the previous transition never ended
    w.open = true;
    if (t.transitionDurations) w.start = System.nanoTime();
    w.handler = null;
    if (!t.traces) return;
    Context parent = t.parentContext();
    Span cause = causeOf(w, e);
    if (cause != null) parent = parent.with(cause);
    Span span = t.tracer.spanBuilder(w.spanName).setParent(parent).setSpanKind(SpanKind.INTERNAL)
        .startSpan();
    if (span.isRecording()) {
      span.setAttribute(MACHINE_KIND, w.kind.name);
      span.setAttribute(MACHINE_ID, e.machineId());
      span.setAttribute(TRANSITION_ID, e.transitionId());
      span.setAttribute(MUTATION_KIND, label(e.kind()));
      if (e.kind() != MutationKind.CLOSE) span.setAttribute(STATES_CALLED, e.calledNames());
      String source = e.source();
      if (source != null) span.setAttribute(MUTATION_SOURCE, source);
    }
    w.span = span;
    w.thread = Thread.currentThread();
    w.scope = parent.with(span).makeCurrent();
  }

  @Override
  public void handlerStart(Event<?> e, String handler) {
    Watch w = watch(e.machine());
    if (!w.on) return;
    w.handler = handler;
    w.handlerStart = System.nanoTime();
    Span span = w.span;
    if (t.handlerSpans && span != null && span.isRecording()) {
      Span h = t.tracer.spanBuilder("stator.handler " + handler)
          .setParent(Context.current().with(span)).setSpanKind(SpanKind.INTERNAL)
          .setAllAttributes(attributes(w, handler)).setAttribute(HANDLER, handler).startSpan();
      w.handlerSpan = h;
      w.handlerScope = h.makeCurrent();
    }
  }

  @Override
  public void handlerEnd(Event<?> e, String handler, boolean accepted,
      @Nullable Throwable failure) {
    Watch w = watch(e.machine());
    if (!w.on) return;
    long nanos = System.nanoTime() - w.handlerStart;
    w.handler = null;
    Attributes attrs = attributes(w, handler);
    if (t.metrics) {
      t.instruments.handlerDuration.record(nanos / 1e9, attrs);
      if (failure != null) t.instruments.handlerFailures.add(1, attrs);
    }
    Span span = w.span;
    Span h = w.handlerSpan;
    if (h != null) {
      h.setAttribute(ACCEPTED, accepted);
      if (failure != null) {
        h.recordException(failure);
        h.setStatus(StatusCode.ERROR, handler + " threw");
      }
      Scope s = w.handlerScope;
      if (s != null) s.close();
      h.end();
      w.handlerSpan = null;
      w.handlerScope = null;
    } else if (span != null && span.isRecording()) {
      span.addEvent("stator.handler", attrs.toBuilder().put(HANDLER, handler)
          .put(ACCEPTED, accepted).put(DURATION, nanos / 1e9).build());
    }
    if (failure != null) {
      if (span != null && span.isRecording()) {
        span.recordException(failure, Attributes.of(HANDLER, handler));
        span.setStatus(StatusCode.ERROR, "handler " + handler + " threw");
      }
      if (t.logs) {
        t.logger.logRecordBuilder().setSeverity(Severity.ERROR).setSeverityText("ERROR")
            .setContext(Context.current())
            .setBody("machine " + e.machineId() + ": handler " + handler + " threw " + failure)
            .setAllAttributes(attrs).setAttribute(HANDLER, handler)
            .setAttribute(MACHINE_ID, e.machineId())
            .setAttribute(io.opentelemetry.api.common.AttributeKey.stringKey("exception.type"),
                failure.getClass().getName())
            .setAttribute(io.opentelemetry.api.common.AttributeKey.stringKey(
                "exception.message"), String.valueOf(failure.getMessage()))
            .setAttribute(io.opentelemetry.api.common.AttributeKey.stringKey(
                "exception.stacktrace"), stackTrace(failure))
            .emit();
      }
    }
  }

  @Override
  public void transitionEnd(Event<?> e, boolean executed) {
    Watch w = watch(e.machine());
    if (!w.on || !w.open) return;
    w.open = false;
    String open = w.handler;
    w.handler = null;
    if (t.metrics) {
      Instruments in = t.instruments;
      Instruments.Entry entry = w.entry;
      if (entry != null) entry.count(e.kind(), executed);
      if (t.transitionDurations) {
        in.transitionDuration.record((System.nanoTime() - w.start) / 1e9,
            withId(w, w.kind.base, e));
      }
      if (open != null) in.handlerTimeouts.add(1, attributes(w, open));
      Throwable error = e.error();
      if (executed && error != null) {
        in.errors.add(1, withId(w, w.kind.error(errorState(e), error.getClass().getName()), e));
      }
    }
    Span h = w.handlerSpan;
    if (h != null) { // abandoned past the handler timeout
      h.setStatus(StatusCode.ERROR, "timed out");
      h.end();
      w.handlerSpan = null;
      w.handlerScope = null;
    }
    Span span = w.span;
    if (span != null) {
      if (span.isRecording()) {
        span.setAttribute(RESULT, executed ? "executed" : "canceled");
        if (!executed && !e.refusal().isEmpty()) span.setAttribute(REASON, e.refusal());
        if (executed) {
          List<String> added = added(e);
          List<String> removed = e.exitingNames();
          if (!added.isEmpty()) span.setAttribute(STATES_ADDED, added);
          if (!removed.isEmpty()) span.setAttribute(STATES_REMOVED, removed);
        }
        if (open != null) {
          span.setStatus(StatusCode.ERROR, "handler " + open + " timed out");
          span.addEvent("stator.handler.timeout", Attributes.of(HANDLER, open));
        }
      }
      if (t.transitionLogs) logTransition(w, e, executed);
      if (t.stateSpans && executed) activations(w, e, span);
      span.end();
      w.last = span;
      w.lastId = e.transitionId();
      Scope s = w.scope;
      if (s != null && w.thread == Thread.currentThread()) s.close();
      w.span = null;
      w.scope = null;
      w.thread = null;
    } else if (t.transitionLogs) {
      logTransition(w, e, executed);
    }
  }

  /**
   * Ends the activation spans of the states this transition deactivated (or entered again)
   * and starts those of the states it entered: children of the transition that began them,
   * linked to the one that ended them.
   */
  private void activations(Watch w, Event<?> e, Span transition) {
    List<String> names = w.kind.names;
    @Nullable Span[] spans = w.states;
    if (spans == null) w.states = spans = new Span[names.size()];
    long ended = e.beforeMask() & ~e.afterMask();
    List<String> entering = e.enteringNames();
    for (String s : entering) {
      int i = names.indexOf(s);
      if (i >= 0 && spans[i] != null) ended |= 1L << i; // a multi state entered again
    }
    Attributes link = Attributes.of(TRANSITION_ID, e.transitionId());
    for (long m = ended; m != 0; m &= m - 1) {
      int i = Long.numberOfTrailingZeros(m);
      Span s = spans[i];
      if (s == null) continue;
      s.addLink(transition.getSpanContext(), link);
      s.setAttribute(ENDED_BY, e.transitionId());
      s.end();
      spans[i] = null;
    }
    Context parent = Context.current().with(transition);
    for (String s : entering) {
      int i = names.indexOf(s);
      if (i < 0) continue;
      spans[i] = t.tracer.spanBuilder("stator.state " + s).setParent(parent)
          .setSpanKind(SpanKind.INTERNAL).addLink(transition.getSpanContext(), link)
          .setAttribute(MACHINE_KIND, w.kind.name).setAttribute(MACHINE_ID, e.machineId())
          .setAttribute(STATE, s).setAttribute(BEGUN_BY, e.transitionId()).startSpan();
    }
  }

  /**
   * Ends the span of a transition whose handler the machine abandoned past the handler timeout
   * without reporting its end; called from the next transitionStart. The abandoned thread's
   * context scope cannot be closed from here (see the class design note).
   */
  private void abandoned(Watch w) {
    w.open = false;
    String open = w.handler;
    w.handler = null;
    if (t.metrics && open != null) t.instruments.handlerTimeouts.add(1, attributes(w, open));
    Span h = w.handlerSpan;
    if (h != null) {
      h.setStatus(StatusCode.ERROR, "timed out");
      h.end();
    }
    Span span = w.span;
    if (span != null) {
      span.setAttribute(RESULT, "abandoned");
      span.setStatus(StatusCode.ERROR, "handler " + open + " timed out");
      span.addEvent("stator.handler.timeout", open == null ? Attributes.empty()
          : Attributes.of(HANDLER, open));
      span.end();
      Scope s = w.scope;
      if (s != null && w.thread == Thread.currentThread()) s.close();
    }
    w.handlerSpan = null;
    w.handlerScope = null;
    w.span = null;
    w.scope = null;
    w.thread = null;
  }

  @Override
  public void scopeClosed(Machine<?> machine, StateScope<?> scope, @Nullable Throwable failure) {
    if (failure == null || !t.metrics) return;
    Watch w = watch(machine);
    if (!w.on) return;
    Attributes a = w.kind.state(scope.state());
    if (t.machineIds) a = a.toBuilder().put(MACHINE_ID, machine.id()).build();
    t.instruments.scopeFailures.add(1, a);
  }

  @Override
  public void taskEnded(Machine<?> machine, StateScope<?> scope, String task,
      @Nullable Throwable failure, boolean cancelled) { // on the task's thread
    if (failure == null || cancelled || !t.metrics) return;
    Watch w = watch(machine);
    if (!w.on) return;
    var b = w.kind.state(scope.state()).toBuilder()
        .put(StatorTelemetry.Attributes.ERROR_TYPE, failure.getClass().getName());
    if (t.machineIds) b.put(MACHINE_ID, machine.id());
    t.instruments.taskFailures.add(1, b.build());
  }

  private void logTransition(Watch w, Event<?> e, boolean executed) {
    StringBuilder sb = new StringBuilder(96).append('[').append(e.machineId()).append("] #")
        .append(e.transitionId()).append(' ').append(label(e.kind()));
    if (e.kind() != MutationKind.CLOSE) sb.append(e.calledNames());
    if (e.source() != null) sb.append(" from ").append(e.source());
    if (!executed) {
      sb.append(" CANCELED");
      if (!e.refusal().isEmpty()) sb.append(": ").append(e.refusal());
    } else {
      for (String s : e.enteringNames()) sb.append(" +").append(s);
      for (String s : e.exitingNames()) sb.append(" -").append(s);
    }
    t.logger.logRecordBuilder().setSeverity(Severity.INFO).setSeverityText("INFO")
        .setContext(Context.current()).setBody(sb.toString())
        .setAttribute(MACHINE_KIND, w.kind.name).setAttribute(MACHINE_ID, e.machineId())
        .setAttribute(TRANSITION_ID, e.transitionId())
        .setAttribute(RESULT, executed ? "executed" : "canceled").emit();
  }

  /**
   * The span of the transition that caused this one within the machine: the previous one for
   * an auto transition, the one named by the source for an error transition or a mutation a
   * handler queued. (A queued mutation captured the caller's context, which for one queued by
   * a handler already holds the transition's span; errors and auto mutations carry the
   * context of the caller of the transition that caused them, hence this.)
   */
  private static @Nullable Span causeOf(Watch w, Event<?> e) {
    Span last = w.last;
    if (last == null) return null;
    if (e.kind() == MutationKind.AUTO) return last;
    String source = e.source();
    if (source == null) return null;
    int slash = source.lastIndexOf('/');
    String id = e.machineId();
    if (slash != id.length() || !source.startsWith(id)) return null;
    long tid = 0;
    for (int i = slash + 1; i < source.length(); i++) {
      char c = source.charAt(i);
      if (c < '0' || c > '9') return null;
      tid = tid * 10 + (c - '0');
    }
    return tid == w.lastId ? last : null;
  }

  private Watch watch(Machine<?> machine) {
    Watch w = first.get();
    if (w != null && w.machine == machine) return w;
    w = others.get(machine);
    if (w != null) return w;
    Watch fresh = new Watch(machine, t.instruments.kind(machine.schema()), enabled(machine));
    if (first.compareAndSet(null, fresh)) {
      w = fresh;
    } else {
      w = others.putIfAbsent(machine, fresh);
      if (w == null) w = fresh;
    }
    if (w == fresh && fresh.on && t.metrics) fresh.entry = t.instruments.register(machine);
    return w;
  }

  private boolean enabled(Machine<?> machine) {
    try {
      return t.enabled.test(machine);
    } catch (RuntimeException e) {
      return false;
    }
  }

  private Attributes attributes(Watch w, String handler) {
    Attributes a = w.kind.handler(handler);
    return t.machineIds ? a.toBuilder().put(MACHINE_ID, w.machine.id()).build() : a;
  }

  private Attributes withId(Watch w, Attributes a, Event<?> e) {
    return t.machineIds ? a.toBuilder().put(MACHINE_ID, e.machineId()).build() : a;
  }

  /** The error state of an error transition: the called state other than Exception, if any. */
  private static String errorState(Event<?> e) {
    for (String s : e.calledNames()) {
      if (!s.equals(Schema.EXCEPTION)) return s;
    }
    return Schema.EXCEPTION;
  }

  private static List<String> added(Event<?> e) {
    long added = e.afterMask() & ~e.beforeMask();
    List<String> names = e.machine().schema().names();
    String[] out = new String[Long.bitCount(added)];
    int k = 0;
    for (long m = added; m != 0; m &= m - 1) out[k++] = names.get(Long.numberOfTrailingZeros(m));
    return List.of(out);
  }

  static String label(MutationKind kind) {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  private static String stackTrace(Throwable t) {
    StringWriter sw = new StringWriter();
    t.printStackTrace(new PrintWriter(sw));
    return sw.toString();
  }
}
