package dev.stator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Golden tests for docs/spec.md Q8 (hand-off) and Q9 (tasks never drain). */
class SpecDrainTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Key<Integer> INDEX = Key.of("index", Integer.class);
  private static final int QUEUED = 2_000;

  static final Schema<String> ITEMS = Schema.named("q8")
      .state("Start").state("Item", r -> r.multi()).build();

  /** Runs the hand-off scenario; returns the thread that ran each queued mutation. */
  private static Thread[] handOff(Machine.Builder<String> builder, Machine<String>[] out)
      throws Exception {
    Thread[] ranOn = new Thread[QUEUED];
    Result[] tickets = new Result[QUEUED];
    AtomicInteger inHandler = new AtomicInteger();
    AtomicBoolean overlap = new AtomicBoolean();
    CountDownLatch returned = new CountDownLatch(1);
    AtomicBoolean sawReturn = new AtomicBoolean();
    Machine<String> m = builder.noHandlerTimeout()
        .onState("Start", e -> {
          for (int i = 0; i < QUEUED; i++) tickets[i] = e.machine().add("Item", Args.of(INDEX, i));
        })
        .onState("Item", e -> {
          if (inHandler.incrementAndGet() != 1) overlap.set(true);
          int i = e.arg(INDEX);
          ranOn[i] = Thread.currentThread();
          if (i == 1024) { // the first mutation past the caller's share waits for the caller
            try {
              sawReturn.set(returned.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
            } catch (InterruptedException ie) {
              Thread.currentThread().interrupt();
            }
          }
          inHandler.decrementAndGet();
        })
        .build();
    out[0] = m;
    assertThat(m.add("Start").status()).isEqualTo(Status.EXECUTED);
    returned.countDown(); // the caller is back while mutations are still queued
    assertThat(tickets[QUEUED - 1].await(WAIT)).isEqualTo(Status.EXECUTED);
    assertThat(sawReturn).as("the caller returned after 1,024 queued mutations").isTrue();
    assertThat(overlap).as("handlers ran one at a time").isFalse();
    assertThat(m.tick("Item")).isEqualTo(1 + 2L * (QUEUED - 1));
    return ranOn;
  }

  @Test
  void Q8_aCallerDrains1024QueuedMutationsThenHandsOffToAVirtualDrainThread() throws Exception {
    @SuppressWarnings("unchecked")
    Machine<String>[] m = new Machine[1];
    Thread[] ranOn = handOff(Machine.of(ITEMS), m);
    Thread caller = Thread.currentThread();
    for (int i = 0; i < 1024; i++) assertThat(ranOn[i]).as("item %d", i).isSameAs(caller);
    Thread next = ranOn[1024];
    assertThat(next).isNotSameAs(caller);
    assertThat(next.isVirtual()).isTrue();
    assertThat(next.getName()).isEqualTo("stator-drain-" + m[0].id());
    for (int i = 1024; i < QUEUED; i++) assertThat(ranOn[i]).as("item %d", i).isSameAs(next);
    m[0].close();
  }

  @Test
  void Q8_theHandOffThreadComesFromTheBuildersThreadFactory() throws Exception {
    ThreadLedger ledger = ThreadLedger.virtual("q8-drain-");
    @SuppressWarnings("unchecked")
    Machine<String>[] m = new Machine[1];
    Thread[] ranOn = handOff(Machine.of(ITEMS).threadFactory(ledger), m);
    for (int i = 0; i < 1024; i++) assertThat(ranOn[i]).isSameAs(Thread.currentThread());
    assertThat(ledger.threads()).contains(ranOn[1024]);
    assertThat(ranOn[1024].getName()).startsWith("q8-drain-");
    for (int i = 1024; i < QUEUED; i++) assertThat(ranOn[i]).isSameAs(ranOn[1024]);
    m[0].close();
    assertThat(ledger.joinAll(WAIT)).isEmpty();
  }

  @Test
  void Q9_aTasksMutationIsQueuedAndDrainedOnAnotherThreadEvenOnAnIdleMachine()
      throws Exception {
    Schema<String> s = Schema.named("q9").state("Work").state("Raw").state("Viewed").build();
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch rawStatusRead = new CountDownLatch(1);
    CountDownLatch viewedStatusRead = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Thread> taskThread = new AtomicReference<>();
    Map<String, Object> seen = new ConcurrentHashMap<>();
    try (Machine<String> m = Machine.of(s).noHandlerTimeout()
        .onState("Work", e -> {
          Machine<String> raw = e.machine();
          StateScope<String> sc = e.scope();
          sc.fork("worker", () -> {
            go.await(); // the machine is idle by then
            taskThread.set(Thread.currentThread());
            Result r1 = raw.add("Raw"); // through the machine itself
            seen.put("raw status", r1.status());
            rawStatusRead.countDown();
            seen.put("raw outcome", r1.await(WAIT));
            Result r2 = sc.machine().add("Viewed"); // through the scope's view
            seen.put("viewed status", r2.status());
            viewedStatusRead.countDown();
            seen.put("viewed outcome", r2.await(WAIT));
            done.countDown();
          });
        })
        .onEnter("Raw", e -> {
          seen.put("raw thread", Thread.currentThread());
          return await(rawStatusRead); // false (CANCELED) if it ran on the task's own thread
        })
        .onEnter("Viewed", e -> {
          seen.put("viewed thread", Thread.currentThread());
          return await(viewedStatusRead);
        })
        .build()) {
      m.add("Work");
      go.countDown();
      assertThat(done.await(WAIT.toMillis() * 3, TimeUnit.MILLISECONDS)).isTrue();
      assertThat(seen.get("raw status")).isEqualTo(Status.QUEUED);
      assertThat(seen.get("viewed status")).isEqualTo(Status.QUEUED);
      assertThat(seen.get("raw outcome")).isEqualTo(Status.EXECUTED);
      assertThat(seen.get("viewed outcome")).isEqualTo(Status.EXECUTED);
      assertThat(seen.get("raw thread")).isNotSameAs(taskThread.get());
      assertThat(seen.get("viewed thread")).isNotSameAs(taskThread.get());
      assertThat(((Thread) seen.get("raw thread")).getName())
          .isEqualTo("stator-drain-" + m.id());
      assertThat(m.activeNames()).containsExactly("Work", "Raw", "Viewed");
    }
  }

  private static boolean await(CountDownLatch latch) {
    try {
      return latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
