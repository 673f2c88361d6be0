// OTLP/protobuf ExportTraceServiceRequest <-> SpanBatch. Pure: bytes in, model out, and back.
// Requests are encoded and decoded by hand (otlp-proto-encode.ts, otlp-proto-decode.ts); the small
// response and status messages go through protobufjs reflection.
import type { SpanBatch } from '../model/batch.js';
import { DecodeError } from './errors.js';
import { decodeRequest } from './otlp-proto-decode.js';
import { encodeRequest } from './otlp-proto-encode.js';
import { ExportTraceServiceResponse, RpcStatus } from './proto.js';

/** Decodes an (already decompressed) ExportTraceServiceRequest, straight into the model. */
export function decodeOtlpProto(body: Uint8Array): SpanBatch {
  try {
    return decodeRequest(body);
  } catch (err) {
    throw new DecodeError(`invalid OTLP protobuf ExportTraceServiceRequest: ${(err as Error).message}`);
  }
}

/** `alloc` gives the output buffer of the size asked (default: a new one). */
export function encodeOtlpProto(batch: SpanBatch, alloc?: (size: number) => Buffer): Buffer {
  return encodeRequest(batch, alloc);
}

/** The success answer; `rejected` > 0 makes it a partial success. */
export function encodeExportResponseProto(rejected = 0, errorMessage = ''): Uint8Array {
  const msg = rejected > 0 || errorMessage ? { partialSuccess: { rejectedSpans: rejected, errorMessage } } : {};
  return ExportTraceServiceResponse.encode(msg).finish();
}

/** google.rpc.Status, the failure body of OTLP/HTTP. */
export function encodeStatusProto(code: number, message: string): Uint8Array {
  return RpcStatus.encode({ code, message }).finish();
}
