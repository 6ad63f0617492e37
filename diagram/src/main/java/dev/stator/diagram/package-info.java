/**
 * Schemas as diagram text. {@link dev.stator.diagram.Diagram} renders a
 * {@link dev.stator.Schema} (or its {@link dev.stator.Schema.SchemaData}) as a Mermaid flowchart
 * or a Graphviz DOT graph: states as nodes, relations as edges drawn differently per kind,
 * {@code auto} and {@code multi} marked, and optionally the active states highlighted.
 */
@NullMarked
package dev.stator.diagram;

import org.jspecify.annotations.NullMarked;
