package dev.stator.inspect;

import dev.stator.Machine;
import dev.stator.Schema;
import dev.stator.history.History;
import java.util.concurrent.atomic.AtomicBoolean;

/** The tests' fixture: a door whose schema has every relation kind and both flags. */
final class Doors {
  enum Door { Open, Closed, Locked, Ready, Alarm }

  static final Schema<Door> SCHEMA = Schema.of(Door.class)
      .state(Door.Open, s -> s.remove(Door.Closed, Door.Locked))
      .state(Door.Closed, s -> s.remove(Door.Open))
      .state(Door.Locked, s -> s.require(Door.Closed).add(Door.Alarm))
      .state(Door.Ready, s -> s.require(Door.Closed).after(Door.Closed).auto())
      .state(Door.Alarm, s -> s.multi())
      .build();

  private Doors() {}

  /** A listed door recorded by {@code history}; Open is refused while {@code jammed}. */
  static Machine<Door> door(History history, AtomicBoolean jammed) {
    return Machine.of(SCHEMA).listed().tracer(history.tracer())
        .onEnter(Door.Open, e -> !jammed.get()).build();
  }
}
