/**
 * Micrometer metrics for Stator machines: {@link dev.stator.micrometer.StatorMetrics}.
 */
@NullMarked
package dev.stator.micrometer;

import org.jspecify.annotations.NullMarked;
