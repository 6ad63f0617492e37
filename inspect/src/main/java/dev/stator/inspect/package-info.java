/**
 * The Stator inspector: {@link dev.stator.inspect.Inspector} serves a web page and a JSON API
 * over an {@link dev.stator.inspect.InspectorSource}.
 */
@NullMarked
package dev.stator.inspect;

import org.jspecify.annotations.NullMarked;
