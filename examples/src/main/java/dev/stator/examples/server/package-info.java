/**
 * An HTTP server on 127.0.0.1 started as nested lifespans — registry, audit worker, listener —
 * with graceful shutdown on interruption ({@link dev.stator.examples.server.HelloServer}), and the
 * demo section ({@link dev.stator.examples.server.ServerDemo}).
 */
package dev.stator.examples.server;
