package dev.stator.rpc;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The gRPC methods of {@code stator.rpc.v1.Remote}. Messages cross gRPC as bytes and are
 * encoded and decoded by {@link Wire}, so that the server decides what malformed input means
 * (INVALID_ARGUMENT with the decoder's message) instead of the transport.
 */
final class Methods {
  static final String SERVICE = "stator.rpc.v1.Remote";

  private Methods() {}

  /** Bytes as they are. */
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        int known = stream.available(); // gRPC's message streams know their length
        if (known > 0) {
          byte[] out = stream.readNBytes(known);
          int next = stream.read();
          if (next < 0) return out;
          byte[] rest = stream.readAllBytes(); // a stream that knew only part of its length
          byte[] all = java.util.Arrays.copyOf(out, out.length + 1 + rest.length);
          all[out.length] = (byte) next;
          System.arraycopy(rest, 0, all, out.length + 1, rest.length);
          return all;
        }
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  static final MethodDescriptor<byte[], byte[]> ATTACH = method("Attach");
  static final MethodDescriptor<byte[], byte[]> MUTATE = method("Mutate");
  static final MethodDescriptor<byte[], byte[]> WHEN_ARGS = method("WhenArgs");
  static final MethodDescriptor<byte[], byte[]> MUTATIONS = method("Mutations")
      .toBuilder().setType(MethodDescriptor.MethodType.BIDI_STREAMING).build();

  private static MethodDescriptor<byte[], byte[]> method(String name) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }
}
