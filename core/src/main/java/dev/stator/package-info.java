/**
 * Relational state machines that act as actors.
 *
 * <p>A {@link dev.stator.Schema} lists states and their relations; a {@link dev.stator.Machine}
 * is one instance of a schema whose mutations are resolved atomically and whose handlers run
 * one at a time. See {@code docs/spec.md} for the normative semantics.
 */
@NullMarked
package dev.stator;

import org.jspecify.annotations.NullMarked;
