/**
 * Service-provider interfaces of core for sibling modules: a mirror machine (a {@code Machine}
 * whose reads and waits are local and whose mutations go through a
 * {@link dev.stator.spi.MirrorLink}).
 * Exported only to {@code dev.stator.rpc}; not an API for applications.
 */
@NullMarked
package dev.stator.spi;

import org.jspecify.annotations.NullMarked;
