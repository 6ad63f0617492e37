/**
 * Test kit for Stator machines: fake time, quiescence, readable assertions on active sets.
 *
 * {@snippet :
 * FakeTime time = new FakeTime();
 * Machine<Conn> m = Machine.of(schema).time(time).tracer(new TransitionLog()).build();
 * m.after(Duration.ofSeconds(30)).add(Conn.Timeout);
 * time.advance(Duration.ofSeconds(30));            // runs the timer, waits for m to settle
 * StatorAssertions.assertActive(m, Conn.Timeout);  // on failure: active states and the log
 * }
 */
@NullMarked
package dev.stator.test;

import org.jspecify.annotations.NullMarked;
