/**
 * Stator rpc: remote machines over gRPC with the same {@code Machine} API, TLS and bearer
 * tokens; pipes between machines, local and remote.
 */
module dev.stator.rpc {
  requires transitive dev.stator.core;
  requires static org.jspecify;
  requires io.grpc;
  requires io.grpc.stub;
  requires com.google.protobuf;

  exports dev.stator.rpc;
}
