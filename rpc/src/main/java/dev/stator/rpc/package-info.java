/**
 * Remote machines over gRPC: {@link dev.stator.rpc.RpcServer} exposes machines of a process,
 * {@link dev.stator.rpc.RpcClient} attaches them as {@link dev.stator.rpc.RemoteMachine}s whose
 * {@code machine()} is a {@code Machine}; {@link dev.stator.rpc.Pipes} binds states of one machine
 * to another's. See {@code docs/rpc.md}.
 */
@NullMarked
package dev.stator.rpc;

import org.jspecify.annotations.NullMarked;
