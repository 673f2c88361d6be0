// OTLP/protobuf ExportTraceServiceRequest <-> SpanBatch. Pure: bytes in, model out, and back.
import type { AnyValue, Attributes, ResourceSpans, Span, SpanBatch } from '../model/batch.js';
import { bytesToId, hexToBytes, ORIGINAL_ID_KEYS, MAX_DEPTH } from '../model/values.js';
import { DecodeError } from './errors.js';
import { ExportTraceServiceRequest, ExportTraceServiceResponse, RpcStatus } from './proto.js';

type LongLike = number | { low: number; high: number } | null | undefined;

/* eslint-disable @typescript-eslint/no-explicit-any -- protobufjs reflection objects are untyped */

function u64(v: LongLike): bigint {
  if (v == null) return 0n;
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

function i64(v: LongLike): bigint {
  return BigInt.asIntN(64, u64(v));
}

function long(v: bigint): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: true };
}

function anyValue(v: any, depth: number): AnyValue {
  if (v == null) return { type: 'empty' };
  if (depth > MAX_DEPTH) throw new DecodeError(`attribute value nested deeper than ${MAX_DEPTH} levels`);
  switch (v.value) {
    case 'stringValue':
      return { type: 'string', value: v.stringValue };
    case 'boolValue':
      return { type: 'bool', value: v.boolValue };
    case 'intValue':
      return { type: 'int', value: i64(v.intValue) };
    case 'doubleValue':
      return { type: 'double', value: v.doubleValue };
    case 'bytesValue':
      return { type: 'bytes', value: new Uint8Array(v.bytesValue) };
    case 'arrayValue':
      return { type: 'array', value: (v.arrayValue.values ?? []).map((x: any) => anyValue(x, depth + 1)) };
    case 'kvlistValue':
      return { type: 'kvlist', value: attributes(v.kvlistValue.values, depth + 1) };
    default:
      return { type: 'empty' };
  }
}

function attributes(list: any[] | undefined, depth = 0): Attributes {
  const m: Attributes = new Map();
  if (list) for (const kv of list) m.set(kv.key, anyValue(kv.value, depth));
  return m;
}

function span(s: any): Span {
  const attrs = attributes(s.attributes);
  const trace = bytesToId(s.traceId, 'trace');
  const id = bytesToId(s.spanId, 'span');
  const parent = bytesToId(s.parentSpanId, 'span');
  if (trace.repaired) attrs.set(ORIGINAL_ID_KEYS.traceId, { type: 'string', value: Buffer.from(s.traceId).toString('hex') });
  if (id.repaired) attrs.set(ORIGINAL_ID_KEYS.spanId, { type: 'string', value: Buffer.from(s.spanId).toString('hex') });
  if (parent.repaired)
    attrs.set(ORIGINAL_ID_KEYS.parentSpanId, { type: 'string', value: Buffer.from(s.parentSpanId).toString('hex') });
  return {
    traceId: trace.id,
    spanId: id.id,
    parentSpanId: parent.id,
    traceState: s.traceState ?? '',
    flags: s.flags ?? 0,
    name: s.name ?? '',
    kind: s.kind ?? 0,
    startTimeUnixNano: u64(s.startTimeUnixNano),
    endTimeUnixNano: u64(s.endTimeUnixNano),
    attributes: attrs,
    droppedAttributesCount: s.droppedAttributesCount ?? 0,
    events: (s.events ?? []).map((e: any) => ({
      timeUnixNano: u64(e.timeUnixNano),
      name: e.name ?? '',
      attributes: attributes(e.attributes),
      droppedAttributesCount: e.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: s.droppedEventsCount ?? 0,
    links: (s.links ?? []).map((l: any) => ({
      traceId: bytesToId(l.traceId, 'trace').id,
      spanId: bytesToId(l.spanId, 'span').id,
      traceState: l.traceState ?? '',
      attributes: attributes(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount ?? 0,
      flags: l.flags ?? 0,
    })),
    droppedLinksCount: s.droppedLinksCount ?? 0,
    status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
  };
}

/** Decodes an (already decompressed) ExportTraceServiceRequest. */
export function decodeOtlpProto(body: Uint8Array): SpanBatch {
  let msg: any;
  try {
    msg = ExportTraceServiceRequest.decode(body);
  } catch (err) {
    throw new DecodeError(`invalid OTLP protobuf ExportTraceServiceRequest: ${(err as Error).message}`);
  }
  return {
    resourceSpans: (msg.resourceSpans ?? []).map(
      (rs: any): ResourceSpans => ({
        resource: {
          attributes: attributes(rs.resource?.attributes),
          droppedAttributesCount: rs.resource?.droppedAttributesCount ?? 0,
        },
        schemaUrl: rs.schemaUrl ?? '',
        scopeSpans: (rs.scopeSpans ?? []).map((ss: any) => ({
          scope: {
            name: ss.scope?.name ?? '',
            version: ss.scope?.version ?? '',
            attributes: attributes(ss.scope?.attributes),
            droppedAttributesCount: ss.scope?.droppedAttributesCount ?? 0,
          },
          schemaUrl: ss.schemaUrl ?? '',
          spans: (ss.spans ?? []).map(span),
        })),
      }),
    ),
  };
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
  return { rejectedSpans: Number(i64(m.partialSuccess?.rejectedSpans)), errorMessage: m.partialSuccess?.errorMessage ?? '' };
}

/** google.rpc.Status, the failure body of OTLP/HTTP. */
export function encodeStatusProto(code: number, message: string): Uint8Array {
  return RpcStatus.encode({ code, message }).finish();
}

export function decodeStatusProto(body: Uint8Array): { code: number; message: string } {
  const m: any = RpcStatus.decode(body);
  return { code: m.code ?? 0, message: m.message ?? '' };
}
