/**
 * Stator core: relational state machines that act as actors.
 *
 * <p>Depends on the JDK only. The public API is the package {@code dev.stator}.
 */
module dev.stator.core {
  requires static org.jspecify;

  exports dev.stator;
  exports dev.stator.supervision;
  exports dev.stator.spi to dev.stator.rpc;
}
