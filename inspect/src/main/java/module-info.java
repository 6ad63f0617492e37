/**
 * Stator inspector: a live web page over the machines of this process (or a loaded recording)
 * with each schema's diagram, a timeline of transitions with time travel, and live updates.
 *
 * <p>The public API is the package {@code dev.stator.inspect}: {@code Inspector} (the server),
 * {@code InspectorSource} (where its data comes from) and {@code MachineView}. The web server is
 * Helidon SE; diagrams are laid out by ELK layered.
 */
module dev.stator.inspect {
  requires transitive dev.stator.core;
  requires transitive dev.stator.history;
  requires dev.stator.diagram;
  requires io.helidon.webserver;
  requires io.helidon.webserver.sse;
  requires org.eclipse.elk.core;
  requires org.eclipse.elk.graph;
  requires org.eclipse.elk.alg.layered;
  requires org.eclipse.emf.common;
  requires static org.jspecify;

  exports dev.stator.inspect;
}
