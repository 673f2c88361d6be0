// Decodes an ExportTraceServiceRequest straight into the span batch model in one pass over the
// bytes (protobufjs's Reader for the primitives), with no intermediate message objects. Field
// numbers are those of proto/opentelemetry/proto/{collector/trace,trace,common,resource}/v1.
import protobuf from 'protobufjs';
import { sharedKey, stringValue } from './shared-strings.js';
import type { AnyValue, Attributes, ResourceSpans, Scope, ScopeSpans, Span, SpanBatch, SpanEvent, SpanLink } from '../model/batch.js';
import { emptyScope, emptySpan } from '../model/batch.js';
import { bytesToId, MAX_DEPTH, ORIGINAL_ID_KEYS } from '../model/values.js';

type Reader = protobuf.Reader;

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

function expect(tag: number, wire: number): void {
  if ((tag & 7) !== wire) throw new Error(`field ${tag >>> 3} has wire type ${tag & 7}, expected ${wire}`);
}

function u64(r: Reader): bigint {
  const lo = r.fixed32();
  const hi = r.fixed32();
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** protobufjs's Long (or a plain number without long.js) as a signed 64-bit bigint. */
function signed64(l: number | { low: number; high: number } | null | undefined): bigint {
  if (l == null) return 0n;
  if (typeof l === 'number') return BigInt(l);
  return BigInt.asIntN(64, (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0));
}

function int64(r: Reader): bigint {
  return signed64(r.int64() as unknown as number | { low: number; high: number });
}

function anyValue(r: Reader, end: number, depth: number): AnyValue {
  if (depth > MAX_DEPTH) throw new Error(`attribute value nested deeper than ${MAX_DEPTH} levels`);
  let v: AnyValue = { type: 'empty' };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        expect(tag, LEN);
        v = stringValue(r.string());
        break;
      case 2:
        expect(tag, VARINT);
        v = { type: 'bool', value: r.bool() };
        break;
      case 3:
        expect(tag, VARINT);
        v = { type: 'int', value: int64(r) };
        break;
      case 4:
        expect(tag, I64);
        v = { type: 'double', value: r.double() };
        break;
      case 5: {
        expect(tag, LEN);
        const e = r.uint32() + r.pos;
        const values: AnyValue[] = [];
        while (r.pos < e) {
          const t = r.uint32();
          if (t >>> 3 === 1) {
            expect(t, LEN);
            values.push(anyValue(r, r.uint32() + r.pos, depth + 1));
          } else r.skipType(t & 7);
        }
        v = { type: 'array', value: values };
        break;
      }
      case 6: {
        expect(tag, LEN);
        const e = r.uint32() + r.pos;
        const m: Attributes = new Map();
        while (r.pos < e) {
          const t = r.uint32();
          if (t >>> 3 === 1) {
            expect(t, LEN);
            keyValue(r, r.uint32() + r.pos, m, depth + 1);
          } else r.skipType(t & 7);
        }
        v = { type: 'kvlist', value: m };
        break;
      }
      case 7:
        expect(tag, LEN);
        v = { type: 'bytes', value: new Uint8Array(r.bytes()) };
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return v;
}

function keyValue(r: Reader, end: number, into: Attributes, depth: number): void {
  let key = '';
  let value: AnyValue = { type: 'empty' };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        expect(tag, LEN);
        key = sharedKey(r.string());
        break;
      case 2:
        expect(tag, LEN);
        value = anyValue(r, r.uint32() + r.pos, depth);
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  into.set(key, value);
}

/** Reads a length-delimited KeyValue into `into` (the caller saw the tag). */
function attribute(r: Reader, tag: number, into: Attributes): void {
  expect(tag, LEN);
  keyValue(r, r.uint32() + r.pos, into, 0);
}

function event(r: Reader, end: number): SpanEvent {
  const e: SpanEvent = { timeUnixNano: 0n, name: '', attributes: new Map(), droppedAttributesCount: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        expect(tag, I64);
        e.timeUnixNano = u64(r);
        break;
      case 2:
        expect(tag, LEN);
        e.name = r.string();
        break;
      case 3:
        attribute(r, tag, e.attributes);
        break;
      case 4:
        expect(tag, VARINT);
        e.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return e;
}

function link(r: Reader, end: number): SpanLink {
  const l: SpanLink = { traceId: '', spanId: '', traceState: '', attributes: new Map(), droppedAttributesCount: 0, flags: 0 };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        expect(tag, LEN);
        l.traceId = bytesToId(r.bytes(), 'trace').id;
        break;
      case 2:
        expect(tag, LEN);
        l.spanId = bytesToId(r.bytes(), 'span').id;
        break;
      case 3:
        expect(tag, LEN);
        l.traceState = r.string();
        break;
      case 4:
        attribute(r, tag, l.attributes);
        break;
      case 5:
        expect(tag, VARINT);
        l.droppedAttributesCount = r.uint32();
        break;
      case 6:
        expect(tag, I32);
        l.flags = r.fixed32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return l;
}

function status(r: Reader, end: number, s: Span): void {
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 2:
        expect(tag, LEN);
        s.status.message = r.string();
        break;
      case 3:
        expect(tag, VARINT);
        s.status.code = r.int32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
}

function span(r: Reader, end: number): Span {
  const s = emptySpan();
  let rawTrace: Uint8Array | undefined;
  let rawSpan: Uint8Array | undefined;
  let rawParent: Uint8Array | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        expect(tag, LEN);
        rawTrace = r.bytes();
        break;
      case 2:
        expect(tag, LEN);
        rawSpan = r.bytes();
        break;
      case 3:
        expect(tag, LEN);
        s.traceState = r.string();
        break;
      case 4:
        expect(tag, LEN);
        rawParent = r.bytes();
        break;
      case 5:
        expect(tag, LEN);
        s.name = r.string();
        break;
      case 6:
        expect(tag, VARINT);
        s.kind = r.int32();
        break;
      case 7:
        expect(tag, I64);
        s.startTimeUnixNano = u64(r);
        break;
      case 8:
        expect(tag, I64);
        s.endTimeUnixNano = u64(r);
        break;
      case 9:
        attribute(r, tag, s.attributes);
        break;
      case 10:
        expect(tag, VARINT);
        s.droppedAttributesCount = r.uint32();
        break;
      case 11:
        expect(tag, LEN);
        s.events.push(event(r, r.uint32() + r.pos));
        break;
      case 12:
        expect(tag, VARINT);
        s.droppedEventsCount = r.uint32();
        break;
      case 13:
        expect(tag, LEN);
        s.links.push(link(r, r.uint32() + r.pos));
        break;
      case 14:
        expect(tag, VARINT);
        s.droppedLinksCount = r.uint32();
        break;
      case 15:
        expect(tag, LEN);
        status(r, r.uint32() + r.pos, s);
        break;
      case 16:
        expect(tag, I32);
        s.flags = r.fixed32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  setIds(s, rawTrace, rawSpan, rawParent);
  return s;
}

/** Ids of the wrong length are repaired the same way everywhere, the original kept beside them. */
function setIds(s: Span, rawTrace: Uint8Array | undefined, rawSpan: Uint8Array | undefined, rawParent: Uint8Array | undefined): void {
  if (rawTrace) s.traceId = idOf(s, rawTrace, 'trace', ORIGINAL_ID_KEYS.traceId);
  if (rawSpan) s.spanId = idOf(s, rawSpan, 'span', ORIGINAL_ID_KEYS.spanId);
  if (rawParent) s.parentSpanId = idOf(s, rawParent, 'span', ORIGINAL_ID_KEYS.parentSpanId);
}

function idOf(s: Span, raw: Uint8Array, kind: 'trace' | 'span', key: string): string {
  const id = bytesToId(raw, kind);
  if (id.repaired) s.attributes.set(key, { type: 'string', value: id.hex });
  return id.id;
}

function scope(r: Reader, end: number): Scope {
  const sc = emptyScope();
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        expect(tag, LEN);
        sc.name = r.string();
        break;
      case 2:
        expect(tag, LEN);
        sc.version = r.string();
        break;
      case 3:
        attribute(r, tag, sc.attributes);
        break;
      case 4:
        expect(tag, VARINT);
        sc.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return sc;
}

function scopeSpans(r: Reader, end: number): ScopeSpans {
  const ss: ScopeSpans = { scope: emptyScope(), schemaUrl: '', spans: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        expect(tag, LEN);
        ss.scope = scope(r, r.uint32() + r.pos);
        break;
      case 2:
        expect(tag, LEN);
        ss.spans.push(span(r, r.uint32() + r.pos));
        break;
      case 3:
        expect(tag, LEN);
        ss.schemaUrl = r.string();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return ss;
}

function resourceSpans(r: Reader, end: number): ResourceSpans {
  const rs: ResourceSpans = { resource: { attributes: new Map(), droppedAttributesCount: 0 }, schemaUrl: '', scopeSpans: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: {
        expect(tag, LEN);
        const e = r.uint32() + r.pos;
        while (r.pos < e) {
          const t = r.uint32();
          if (t >>> 3 === 1) attribute(r, t, rs.resource.attributes);
          else if (t >>> 3 === 2) {
            expect(t, VARINT);
            rs.resource.droppedAttributesCount = r.uint32();
          } else r.skipType(t & 7);
        }
        break;
      }
      case 2:
        expect(tag, LEN);
        rs.scopeSpans.push(scopeSpans(r, r.uint32() + r.pos));
        break;
      case 3:
        expect(tag, LEN);
        rs.schemaUrl = r.string();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return rs;
}

/** Throws a plain Error naming what is wrong; the caller wraps it. */
export function decodeRequest(body: Uint8Array): SpanBatch {
  const r = protobuf.Reader.create(body);
  const batch: SpanBatch = { resourceSpans: [] };
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) {
      expect(tag, LEN);
      const len = r.uint32();
      if (r.pos + len > r.len) throw new Error(`index out of range: ${r.pos} + ${len} > ${r.len}`);
      batch.resourceSpans.push(resourceSpans(r, r.pos + len));
    } else r.skipType(tag & 7);
  }
  if (r.pos !== r.len) throw new Error('message ends inside a field');
  return batch;
}
