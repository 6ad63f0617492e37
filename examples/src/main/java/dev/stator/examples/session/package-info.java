/**
 * A session client whose session is a stack of resources owned by states: a lease held on a
 * holder thread, a loopback TCP socket and a line protocol on top ({@link
 * dev.stator.examples.session.SessionClient}), its in-process server ({@link
 * dev.stator.examples.session.LineServer}), and the demo section ({@link
 * dev.stator.examples.session.SessionDemo}).
 */
package dev.stator.examples.session;
