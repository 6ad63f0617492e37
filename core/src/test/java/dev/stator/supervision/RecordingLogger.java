package dev.stator.supervision;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import org.jspecify.annotations.Nullable;

/** Test fixture: a {@link System.Logger} that keeps every record, to assert "logged exactly once". */
final class RecordingLogger implements System.Logger {
  record Entry(Level level, String message, @Nullable Throwable thrown) {}

  private final List<Entry> entries = new ArrayList<>();

  @Override
  public String getName() {
    return "test";
  }

  @Override
  public boolean isLoggable(Level level) {
    return true;
  }

  @Override
  public void log(Level level, @Nullable ResourceBundle bundle, String msg, @Nullable Throwable thrown) {
    synchronized (entries) {
      entries.add(new Entry(level, msg, thrown));
    }
  }

  @Override
  public void log(Level level, @Nullable ResourceBundle bundle, String format, @Nullable Object... params) {
    log(level, bundle, format, (Throwable) null);
  }

  List<Entry> entries() {
    synchronized (entries) {
      return List.copyOf(entries);
    }
  }

  List<Entry> at(Level level) {
    return entries().stream().filter(e -> e.level() == level).toList();
  }
}
