/**
 * Stator diagrams: a schema as Mermaid or Graphviz DOT text, with the active states highlighted.
 *
 * <p>Depends on {@code dev.stator.core} only. The public API is the package
 * {@code dev.stator.diagram}.
 */
module dev.stator.diagram {
  requires transitive dev.stator.core;
  requires static org.jspecify;

  exports dev.stator.diagram;
}
