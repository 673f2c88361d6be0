// Langtrace's native span array written as UTF-8, key by key, straight into one reused buffer
// (json-bytes.ts), rather than built as objects and stringified: an attributes object of a few
// dozen keys went through V8's slow path for dictionary objects, and each was made only to be
// stringified. The text is exactly what JSON.stringify gives for the array the SDK would send
// (test/wire/langtrace-native.test.ts).
import type { Attributes, Span, SpanBatch } from '../model/batch.js';
import { toPlain } from '../model/values.js';
import { memoByKey } from '../conventions/memo.js';
import { JsonBytes } from './json-bytes.js';

const NS = 1_000_000_000n;

/** A count or code as JSON.stringify writes a number (anything not finite is null). */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/** HrTime as the SDK writes it: [seconds, nanoseconds]. */
function hr(w: JsonBytes, ns: bigint): void {
  w.raw(`[${Number(ns / NS)},${Number(ns % NS)}]`);
}

/** `"key":` as UTF-8 (with a comma before it when not first); null for an array index, which an object would list first. */
const keyBytes = memoByKey((key: string): [Buffer, Buffer] | null => {
  if (isArrayIndex(key)) return null;
  const k = JSON.stringify(key);
  return [Buffer.from(`${k}:`), Buffer.from(`,${k}:`)];
});

function isArrayIndex(key: string): boolean {
  if (key === '' || key.length > 10 || (key.length > 1 && key.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(key) < 4294967295;
}

/** The last long string escaped, and its JSON: Langtrace's prompt is both an attribute and an event's. */
let lastRaw = '';
let lastJson = '""';

function string(w: JsonBytes, s: string): void {
  if (s.length < 64) return w.string(s);
  if (s !== lastRaw) {
    lastJson = JSON.stringify(s);
    lastRaw = s;
  }
  w.raw(lastJson);
}

/** No prototype, as before: "__proto__" is a plain key. */
function plainObject(a: Attributes): Record<string, unknown> {
  const o: Record<string, unknown> = Object.create(null);
  for (const [k, v] of a) o[k] = v.type === 'string' ? v.value : toPlain(v);
  return o;
}

/** True when no key is an array index (an object lists those first, so it is stringified whole). */
function inOrder(a: Attributes): boolean {
  for (const k of a.keys()) if (keyBytes(k) === null) return false;
  return true;
}

/** The JSON object of a set of attributes, as JSON.stringify writes it. */
function attributes(w: JsonBytes, a: Attributes): void {
  if (!inOrder(a)) return w.raw(JSON.stringify(plainObject(a)));
  w.byte(0x7b); // {
  let first = true;
  for (const [k, v] of a) {
    const key = keyBytes(k)!;
    w.bytes(first ? key[0] : key[1]);
    first = false;
    if (v.type === 'string') string(w, v.value);
    else w.raw(JSON.stringify(toPlain(v)) ?? 'null');
  }
  w.byte(0x7d); // }
}

/** The JSON of a set of attributes as text (the resource's, written once per resource). */
function plainJson(a: Attributes): string {
  const w = new JsonBytes(1024);
  attributes(w, a);
  return w.text(0);
}

/** The span's keys before "resource". */
function head(w: JsonBytes, s: Span): void {
  w.raw('{"traceId":');
  w.string(s.traceId);
  w.raw(',"spanId":');
  w.string(s.spanId);
  if (s.traceState) {
    w.raw(',"traceState":');
    w.string(s.traceState);
  }
  w.raw(',"name":');
  w.string(s.name);
  w.raw(',"startTime":');
  hr(w, s.startTimeUnixNano);
  w.raw(',"endTime":');
  hr(w, s.endTimeUnixNano);
  w.raw(',"attributes":');
  attributes(w, s.attributes);
  w.raw(`,"kind":${num(Math.max(0, s.kind - 1))},"status":{"code":${num(s.status.code)}`);
  if (s.status.message) {
    w.raw(',"message":');
    w.string(s.status.message);
  }
  w.raw('},"events":[');
  for (let i = 0; i < s.events.length; i++) {
    const e = s.events[i];
    w.raw(i ? ',{"name":' : '{"name":');
    w.string(e.name);
    w.raw(',"attributes":');
    attributes(w, e.attributes);
    w.raw(',"time":');
    hr(w, e.timeUnixNano);
    w.raw(`,"droppedAttributesCount":${num(e.droppedAttributesCount)}}`);
  }
  w.byte(0x5d); // ]
}

/** The span's keys after "resource". `lib`: the scope's JSON. */
function tail(w: JsonBytes, s: Span, lib: string): void {
  w.raw(',"links":[');
  for (let i = 0; i < s.links.length; i++) {
    const l = s.links[i];
    w.raw(i ? ',{"context":{"traceId":' : '{"context":{"traceId":');
    w.string(l.traceId);
    w.raw(',"spanId":');
    w.string(l.spanId);
    w.raw(`,"traceFlags":${num(l.flags)}`);
    if (l.traceState) {
      w.raw(',"traceState":');
      w.string(l.traceState);
    }
    w.raw('},"attributes":');
    attributes(w, l.attributes);
    w.raw(`,"droppedAttributesCount":${num(l.droppedAttributesCount)}}`);
  }
  w.byte(0x5d); // ]
  if (s.parentSpanId) {
    w.raw(',"parentSpanId":');
    w.string(s.parentSpanId);
  }
  w.raw(',"instrumentationLibrary":');
  w.raw(lib);
  w.raw(',"duration":');
  hr(w, s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n);
  w.raw(`,"droppedEventsCount":${num(s.droppedEventsCount)},"droppedAttributesCount":${num(s.droppedAttributesCount)}`);
  w.raw(`,"droppedLinksCount":${num(s.droppedLinksCount)},"ended":true}`);
}

/**
 * Every span of the batch, shaped as @langtrase/typescript-sdk sends it, one after another;
 * `between` runs before each span. The resource, the same for every span of a resource, is
 * written as text once and copied in.
 */
export function writeNativeSpans(batch: SpanBatch, w: JsonBytes, between: (index: number) => void): void {
  let index = 0;
  for (const rs of batch.resourceSpans) {
    const attrs = plainJson(rs.resource.attributes);
    const resource = Buffer.from(`,"resource":{"_attributes":${attrs},"asyncAttributesPending":false,"_syncAttributes":${attrs}}`);
    for (const ss of rs.scopeSpans) {
      const lib: Record<string, unknown> = { name: ss.scope.name, version: ss.scope.version || undefined };
      if (ss.schemaUrl) lib.schemaUrl = ss.schemaUrl;
      const libJson = JSON.stringify(lib);
      // The keys before "resource", then those after it: the order the SDK writes.
      for (const s of ss.spans) {
        between(index++);
        head(w, s);
        w.bytes(resource);
        tail(w, s, libJson);
      }
    }
  }
}

/** This thread's scratch buffer: encoding is synchronous, so one is enough. */
export const scratch = new JsonBytes();

/** The native array's spans, one JSON string each. */
export function nativeSpanTexts(batch: SpanBatch): string[] {
  const out: string[] = [];
  let from = -1;
  scratch.reset();
  writeNativeSpans(batch, scratch, () => {
    if (from >= 0) out.push(scratch.text(from));
    from = scratch.pos;
  });
  if (from >= 0) out.push(scratch.text(from));
  scratch.reset();
  return out;
}
