/**
 * A record of transitions: {@link dev.stator.history.History} records them through a tracer
 * into a bounded ring; {@link dev.stator.history.Recording} is an immutable copy that can be
 * exported and imported as JSON lines; {@link dev.stator.history.Timeline} answers "when was X
 * active" for one machine and rebuilds its state at any recorded point.
 */
@NullMarked
package dev.stator.history;

import org.jspecify.annotations.NullMarked;
