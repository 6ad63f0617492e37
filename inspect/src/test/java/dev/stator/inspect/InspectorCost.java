package dev.stator.inspect;

import dev.stator.Machine;
import dev.stator.history.History;
import dev.stator.inspect.Doors.Door;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The inspector's cost, as a timed main (not a JMH benchmark: the inspector's poller, server
 * and event-stream client are threads of their own, which is the point): a listed door traced
 * by a History runs at a paced rate for some seconds with an inspector started and one
 * event-stream client reading {@code /api/events} (what an open page does); it reports the
 * records made and those the client received, in how many events, and how many were left out
 * (does the page keep up, did it sample, or did it get a resync), and the mean cost of a
 * mutation over unpaced bursts with the history alone and with the inspector and its client
 * attached.
 *
 * <p>Run: {@code java -cp <inspect test classpath> dev.stator.inspect.InspectorCost [seconds]
 * [rate]} (defaults 10 s, 10,000/s); {@code InspectorCostTest} runs a short version.
 */
public final class InspectorCost {
  private InspectorCost() {}

  /** What a run measured. */
  record Figures(long made, long received, long sampled, long events, long resyncs,
      double aloneNs, double inspectedNs) {
    @Override
    public String toString() {
      return String.format("records made %d, received %d in %d events, left out (sampled) %d,"
          + " resyncs %d; mutation: history alone %.1f ns, with inspector + client %.1f ns"
          + " (%.2fx)", made, received, events, sampled, resyncs, aloneNs, inspectedNs,
          inspectedNs / aloneNs);
    }
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    System.out.println(run(Duration.ofSeconds(seconds), rate, 2_000_000));
  }

  static Figures run(Duration paced, int rate, int burst) throws Exception {
    History history = History.builder().capacity(100_000).build();
    try (Machine<Door> door = Doors.door(history, new AtomicBoolean())) {
      double alone = burst(door, burst);
      alone = Math.min(alone, burst(door, burst));
      try (Inspector inspector = Inspector.builder().history(history).start();
           SseClient client = new SseClient(URI.create("http://127.0.0.1:" + inspector.port()
               + "/api/events"))) {
        client.next(); // hello
        long before = history.appended();
        long period = 1_000_000_000L / rate;
        long end = System.nanoTime() + paced.toNanos();
        long next = System.nanoTime();
        while (next < end) {
          door.toggle(Door.Open);
          next += period;
          long wait = next - System.nanoTime();
          if (wait > 0) LockSupport.parkNanos(wait);
        }
        long made = history.appended() - before;
        inspector.pump(); // whatever the poller had not sent yet
        long received = 0;
        long sampled = 0;
        long events = 0;
        long resyncs = 0;
        while (received + sampled < made && resyncs == 0) {
          SseClient.Event e;
          try {
            e = client.next();
          } catch (AssertionError silent) { // nothing more within 10 s: it did not keep up
            break;
          }
          if (e == SseClient.END) break;
          if (e.name().equals("records")) {
            Map<String, Object> body = TestJson.object(e.data());
            received += ((List<?>) body.get("records")).size();
            sampled += (Long) body.get("sampled");
            events++;
          }
          if (e.name().equals("resync")) resyncs++;
        }
        double inspected = burst(door, burst);
        inspected = Math.min(inspected, burst(door, burst));
        return new Figures(made, received, sampled, events, resyncs, alone, inspected);
      }
    }
  }

  /** Mean nanoseconds of a toggle over {@code n} of them. */
  private static double burst(Machine<Door> door, int n) {
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) door.toggle(Door.Open);
    return (System.nanoTime() - t0) / (double) n;
  }
}
