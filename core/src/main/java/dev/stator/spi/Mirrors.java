package dev.stator.spi;

import dev.stator.Schema;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** Creates mirror machines (implemented in core, reached through this package). */
public final class Mirrors {
  /* Design: the implementation (dev.stator.MirrorMachine) is package-private in dev.stator, like
   * every Machine implementation (Machine is sealed). This package is exported only to
   * dev.stator.rpc; MirrorMachine installs its factory here when its class initializes, and
   * create() initializes it. install() accepts one factory, from core's own module. */

  /** Makes mirrors; core's own. */
  public interface Factory {
    /** A new mirror. */
    <S> Mirror<S> create(Schema<S> schema, String id, MirrorLink link);
  }

  private static volatile @Nullable Factory factory;

  private Mirrors() {}

  /**
   * A new mirror machine of {@code schema} with the given id, all states inactive and every
   * clock zero until the transport's first {@link Mirror#resync}.
   */
  public static <S> Mirror<S> create(Schema<S> schema, String id, MirrorLink link) {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(link, "link");
    Factory f = factory;
    if (f == null) {
      try {
        Class.forName("dev.stator.MirrorMachine", true, Mirrors.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("core has no mirror machine", e);
      }
      f = Objects.requireNonNull(factory, "mirror factory not installed");
    }
    return f.create(schema, id, link);
  }

  /** Called once by core when the mirror implementation initializes; refused otherwise. */
  public static synchronized void install(Factory f) {
    if (factory != null || f.getClass().getModule() != Mirrors.class.getModule()) {
      throw new IllegalStateException("the mirror factory is core's own");
    }
    factory = f;
  }
}
