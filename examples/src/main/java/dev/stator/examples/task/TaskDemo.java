package dev.stator.examples.task;

import dev.stator.examples.DemoPart;
import dev.stator.examples.task.AgentExecutor.EventSink;
import dev.stator.examples.task.AgentExecutor.RequestContext;
import dev.stator.examples.task.Subscription.Update;
import dev.stator.Tracer;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Four A2A tasks on one registry: one completes, one is canceled mid-request, one fails, one
 * needs input and then resumes. Prints each request's stream; verifies that every actor retired
 * and every thread ended.
 */
public final class TaskDemo implements DemoPart {
  private static final Duration BOUND = Duration.ofSeconds(5);
  private final Tracer tracer;

  /** A section whose actors are not traced. */
  public TaskDemo() {
    this(Tracer.NOOP);
  }

  /** A section whose actors' machines are traced by {@code tracer} and listed for the inspector. */
  public TaskDemo(Tracer tracer) {
    this.tracer = tracer;
  }

  @Override
  public String title() {
    return "task actor";
  }

  /** The agent: what it does depends on the task. */
  private static final class Agent implements AgentExecutor {
    @Override
    public void execute(RequestContext ctx, EventSink events) throws Exception {
      switch (ctx.taskId()) {
        case "report" -> {
          events.artifact("Q3 revenue up 4%");
          events.status(Task.State.COMPLETED, "summary ready");
        }
        case "translate" -> {
          events.status(Task.State.WORKING, "translating chapter 1 of 12");
          new CountDownLatch(1).await(); // until canceled
        }
        case "forecast" -> throw new IOException("weather service unreachable");
        default -> { // "trip"
          if (ctx.task().state() != Task.State.INPUT_REQUIRED) {
            events.status(Task.State.INPUT_REQUIRED, "where to?");
          } else {
            events.artifact("booked: 3 nights in " + ctx.message());
            events.status(Task.State.COMPLETED, "trip booked");
          }
        }
      }
    }

    @Override
    public void cancel(RequestContext ctx, EventSink events) {
      events.status(Task.State.CANCELED, "stopped at " + ctx.task().message());
    }
  }

  @Override
  public Map<String, Long> run(PrintStream out) throws Exception {
    CountingThreads threads = new CountingThreads("task");
    TaskStore.InMemory store = new TaskStore.InMemory();
    TaskRegistry tasks = new TaskRegistry(new Agent(), store, threads, true, tracer,
        id -> out.println("  retired: " + id));
    try (tasks) {
      out.println("1. a task that completes");
      show(out, "report", tasks.actor("report").send("summarize Q3"), null);

      out.println("2. a task canceled while its request runs");
      TaskActor translate = tasks.actor("translate");
      show(out, "translate", translate.send("translate the manual"), "translating chapter 1 of 12");
      Task canceled = translate.cancel(BOUND);
      out.println("  cancel -> " + canceled);

      out.println("3. a task whose agent fails");
      show(out, "forecast", tasks.actor("forecast").send("forecast for tomorrow"), null);

      out.println("4. a task that needs input, then resumes");
      show(out, "trip", tasks.actor("trip").send("book a trip"), null);
      show(out, "trip", tasks.actor("trip").send("Lisbon"), null);
      try {
        tasks.actor("trip").cancel(BOUND);
      } catch (TaskActor.NotCancelable e) {
        out.println("  cancel after the end -> " + e.getMessage());
      }
    }
    long leaks = threads.awaitAlive(BOUND) + tasks.size();
    out.printf("  %d threads made, %d still alive; %d actors live%n", threads.created(),
        leaks - tasks.size(), tasks.size());
    Map<String, Long> figures = new LinkedHashMap<>();
    figures.put("tasks completed", count(store, Task.State.COMPLETED, "report", "trip"));
    figures.put("tasks canceled", count(store, Task.State.CANCELED, "translate"));
    figures.put("tasks failed", count(store, Task.State.FAILED, "forecast"));
    figures.put("leaks", leaks);
    return figures;
  }

  /** Prints a request's stream until it ends, or until an update with message {@code until}. */
  private static void show(PrintStream out, String task, Subscription s, String until)
      throws Exception {
    for (Update u; (u = s.next(BOUND)) != null; ) {
      out.println("  " + task + " <- " + (u.event() == null ? "snapshot " + u.task() : u.event()));
      if (u.event() != null && u.event().text().equals(until)) return;
    }
    out.println("  " + task + " <- end of stream");
  }

  private static long count(TaskStore store, Task.State state, String... ids) {
    long n = 0;
    for (String id : ids) {
      if (store.get(id).map(Task::state).orElse(null) == state) n++;
    }
    return n;
  }
}
