// The reference encoder for tests: the batch turned into message objects and encoded by
// protobufjs reflection from proto/. An independent oracle for the hand-written encoder.
import type { AnyValue, Attributes, Span, SpanBatch } from '../../src/model/batch.js';
import { hexToBytes } from '../../src/model/values.js';
import { ExportTraceServiceRequest } from '../../src/wire/proto.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs reflection objects are untyped */

function long(v: bigint): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: true };
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

export function referenceEncode(batch: SpanBatch): Uint8Array {
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

/** Any request bytes as a plain object with defaults filled in, so both encoders compare equal. */
export function reflectionView(bytes: Uint8Array): unknown {
  const m = ExportTraceServiceRequest.decode(bytes);
  return ExportTraceServiceRequest.toObject(m, { defaults: true, longs: String, bytes: String, arrays: true, oneofs: true });
}
