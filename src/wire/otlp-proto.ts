// OTLP/protobuf ExportTraceServiceRequest <-> SpanBatch. Pure: bytes in, model out, and back.
// Encoding goes through protobufjs reflection; decoding is hand-written (otlp-proto-decode.ts).
import type { AnyValue, Attributes, Span, SpanBatch } from '../model/batch.js';
import { hexToBytes } from '../model/values.js';
import { DecodeError } from './errors.js';
import { decodeRequest, signed64 } from './otlp-proto-decode.js';
import { ExportTraceServiceRequest, ExportTraceServiceResponse, RpcStatus } from './proto.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs reflection objects are untyped */

function long(v: bigint): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: true };
}

/** Decodes an (already decompressed) ExportTraceServiceRequest, straight into the model. */
export function decodeOtlpProto(body: Uint8Array): SpanBatch {
  try {
    return decodeRequest(body);
  } catch (err) {
    throw new DecodeError(`invalid OTLP protobuf ExportTraceServiceRequest: ${(err as Error).message}`);
  }
}

function encValue(v: AnyValue): any {
  switch (v.type) {
    case 'string':
      return { stringValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    case 'int':
      return { intValue: long(v.value) };
    case 'double':
      return { doubleValue: v.value };
    case 'bytes':
      return { bytesValue: v.value };
    case 'array':
      return { arrayValue: { values: v.value.map(encValue) } };
    case 'kvlist':
      return { kvlistValue: { values: encAttrs(v.value) } };
    case 'empty':
      return {};
  }
}

function encAttrs(a: Attributes): any[] {
  const out = [];
  for (const [key, value] of a) out.push({ key, value: encValue(value) });
  return out;
}

function encSpan(s: Span): any {
  return {
    traceId: hexToBytes(s.traceId),
    spanId: hexToBytes(s.spanId),
    traceState: s.traceState,
    parentSpanId: hexToBytes(s.parentSpanId),
    flags: s.flags,
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: long(s.startTimeUnixNano),
    endTimeUnixNano: long(s.endTimeUnixNano),
    attributes: encAttrs(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => ({
      timeUnixNano: long(e.timeUnixNano),
      name: e.name,
      attributes: encAttrs(e.attributes),
      droppedAttributesCount: e.droppedAttributesCount,
    })),
    droppedEventsCount: s.droppedEventsCount,
    links: s.links.map((l) => ({
      traceId: hexToBytes(l.traceId),
      spanId: hexToBytes(l.spanId),
      traceState: l.traceState,
      attributes: encAttrs(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount,
      flags: l.flags,
    })),
    droppedLinksCount: s.droppedLinksCount,
    status: { code: s.status.code, message: s.status.message },
  };
}

export function encodeOtlpProto(batch: SpanBatch): Uint8Array {
  const msg = {
    resourceSpans: batch.resourceSpans.map((rs) => ({
      resource: { attributes: encAttrs(rs.resource.attributes), droppedAttributesCount: rs.resource.droppedAttributesCount },
      schemaUrl: rs.schemaUrl,
      scopeSpans: rs.scopeSpans.map((ss) => ({
        scope: {
          name: ss.scope.name,
          version: ss.scope.version,
          attributes: encAttrs(ss.scope.attributes),
          droppedAttributesCount: ss.scope.droppedAttributesCount,
        },
        schemaUrl: ss.schemaUrl,
        spans: ss.spans.map(encSpan),
      })),
    })),
  };
  return ExportTraceServiceRequest.encode(msg).finish();
}

/** The success answer; `rejected` > 0 makes it a partial success. */
export function encodeExportResponseProto(rejected = 0, errorMessage = ''): Uint8Array {
  const msg = rejected > 0 || errorMessage ? { partialSuccess: { rejectedSpans: rejected, errorMessage } } : {};
  return ExportTraceServiceResponse.encode(msg).finish();
}

export function decodeExportResponseProto(body: Uint8Array): { rejectedSpans: number; errorMessage: string } {
  const m: any = ExportTraceServiceResponse.decode(body);
  return { rejectedSpans: Number(signed64(m.partialSuccess?.rejectedSpans)), errorMessage: m.partialSuccess?.errorMessage ?? '' };
}

/** google.rpc.Status, the failure body of OTLP/HTTP. */
export function encodeStatusProto(code: number, message: string): Uint8Array {
  return RpcStatus.encode({ code, message }).finish();
}

export function decodeStatusProto(body: Uint8Array): { code: number; message: string } {
  const m: any = RpcStatus.decode(body);
  return { code: m.code ?? 0, message: m.message ?? '' };
}
