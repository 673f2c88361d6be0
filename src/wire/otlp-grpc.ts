// OTLP/gRPC's one method, TraceService/Export, as raw bytes both ways: the receiver, the upstream
// sender and the test backends decode and encode the messages with the protobuf codecs here.
import type * as grpc from '@grpc/grpc-js';

export const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

const bytes = (b: Buffer) => b;

/** TraceService with Export taking and giving bytes (an answer may be any Uint8Array). */
export const traceService: grpc.ServiceDefinition = {
  Export: {
    path: EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    responseDeserialize: bytes,
    originalName: 'export',
  },
};
