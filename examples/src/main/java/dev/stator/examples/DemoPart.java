package dev.stator.examples;

import java.io.PrintStream;
import java.util.Map;

/**
 * One section of the runnable demo: a component built on Stator, exercised end to end, that
 * reports its figures for the demo's summary table.
 */
public interface DemoPart {
  /** A short title, e.g. "task actor". */
  String title();

  /**
   * Runs the section, printing a readable account (the machines' transition logs go to the same
   * stream through the demo's log setup), and returns its figures, e.g. {"tasks completed": 3,
   * "resources opened": 4, "resources closed": 4, "leaks": 0}. Must finish in a few seconds and
   * leave no thread, task or resource behind.
   */
  Map<String, Long> run(PrintStream out) throws Exception;
}
