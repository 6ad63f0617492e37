package dev.stator.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The peers must do the same work, or the comparison means nothing: same transitions, same
 * number of guard, entry and exit calls per cycle, and no failure when shared by threads.
 */
class PeerWorkloadTest {
  private static final Map<String, Supplier<Toggle>> TOGGLES = Map.of(
      "stator", StatorToggle::new,
      "floorSwitchLock", FloorToggle::new,
      "floorBitsetLock", BitsetToggle::new,
      "stateless4j", Stateless4jToggle::new,
      "squirrel", SquirrelToggle::new,
      "spring", SpringToggle::new);

  private static final Map<String, Supplier<Connection>> CONNECTIONS = Map.of(
      "stator", StatorConnection::new,
      "floorSwitchLock", FloorConnection::new,
      "stateless4j", Stateless4jConnection::new,
      "squirrel", SquirrelConnection::new,
      "spring", SpringConnection::new);

  @Test
  void everyToggleTogglesAndIgnoresTheCurrentState() {
    TOGGLES.forEach((name, make) -> {
      Toggle t = make.get();
      assertEquals("Off", t.state(), name);
      t.on();
      assertEquals("On", t.state(), name);
      t.on();
      assertEquals("On", t.state(), name + ": asking for the current state is a no-op");
      t.off();
      assertEquals("Off", t.state(), name);
    });
  }

  @Test
  void everyConnectionRunsOneGuardFiveEntriesAndFiveExitsPerCycle() {
    CONNECTIONS.forEach((name, make) -> {
      Connection c = make.get();
      assertEquals("Disconnected", c.state(), name);
      Connection.Counters k = c.counters();
      long entries = k.entries;
      long exits = k.exits;
      long guards = k.guards;
      for (int i = 0; i < 3; i++) c.cycle();
      assertEquals(15, k.entries - entries, name + " entries");
      assertEquals(15, k.exits - exits, name + " exits");
      assertEquals(3, k.guards - guards, name + " guards");
      assertEquals("Disconnected", c.state(), name);
    });
  }

  @Test
  void sharedTogglesSurviveFourThreads() throws Exception {
    Map<String, Supplier<Toggle>> shared = Map.of(
        "stator", StatorToggle.Waiting::new,
        "floorSwitchLock", FloorToggle::new,
        "floorBitsetLock", BitsetToggle::new,
        "stateless4j", Stateless4jToggle.Locked::new,
        "squirrel", SquirrelToggle.Locked::new,
        "spring", SpringToggle.Locked::new);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (Map.Entry<String, Supplier<Toggle>> e : shared.entrySet()) {
        Toggle t = e.getValue().get();
        List<Callable<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          tasks.add(() -> {
            for (int k = 0; k < 500; k++) {
              t.on();
              t.off();
            }
            return null;
          });
        }
        for (Future<Void> f : pool.invokeAll(tasks)) f.get();
        t.on(); // the last call settles it, whatever was still queued
        String s = t.state();
        assertTrue(s.equals("On") || s.equals("Off"), e.getKey() + " ended in '" + s + "'");
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
