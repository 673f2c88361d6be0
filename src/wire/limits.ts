// What a request will cost once decoded, found before decoding it: a quick walk over a protobuf
// body's tags (no objects made) or a JSON body's bytes. A request of more spans, or a span of
// more attributes, than the limits is refused here, in milliseconds: 2M tiny spans gzipped to
// 23 KB once took 20 s and 2 GB to decode.
import { DecodeError } from './errors.js';

export interface DecodeLimits {
  /** Spans in one request at most (413 past it). */
  maxSpans: number;
  /** Attributes on one span, event, link, resource or scope at most (400 past it). */
  maxAttributes: number;
}

/**
 * Heap bytes a decoded item takes besides its strings (measured: a span with no attributes
 * about 500 B, a KeyValue with its AnyValue about 100 B; a JSON object about 60 B more while
 * JSON.parse holds it).
 */
const SPAN_BYTES = 512;
const KV_BYTES = 96;
const EVENT_BYTES = 160;
const JSON_OBJECT_BYTES = 160;

function tooManySpans(max: number): DecodeError {
  return new DecodeError(`the request holds more than ${max} spans (maxSpansPerRequest); send it in smaller batches`, 413);
}

function tooManyAttributes(what: string, max: number): DecodeError {
  return new DecodeError(`${what} holds more than ${max} attributes (maxAttributesPerSpan)`, 400);
}

/** Reads a varint at `r.pos` (no 64-bit values needed: lengths and tags). */
function varint(r: { b: Uint8Array; pos: number }): number {
  let x = 0;
  for (let shift = 0; shift < 64; shift += 7) {
    if (r.pos >= r.b.length) throw new RangeError('truncated');
    const c = r.b[r.pos++];
    x += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) return x;
  }
  throw new RangeError('varint too long');
}

/** Skips a field's value; for a LEN field, returns its content's end (the position is its start). */
function next(r: { b: Uint8Array; pos: number }, wire: number, end: number): number {
  if (wire === 2) {
    const e = varint(r) + r.pos;
    if (e > end) throw new RangeError('length past the end');
    return e;
  }
  if (wire === 0) varint(r);
  else if (wire === 1) r.pos += 8;
  else if (wire === 5) r.pos += 4;
  else throw new RangeError(`wire type ${wire}`);
  return -1;
}

interface Scan {
  b: Uint8Array;
  pos: number;
  spans: number;
  kvs: number;
  events: number;
  limits: DecodeLimits;
}

/** A message holding attributes in field `attrField`: counted, and held to the limit. */
function holder(r: Scan, end: number, attrField: number, what: string): void {
  let attrs = 0;
  while (r.pos < end) {
    const tag = varint(r);
    const e = next(r, tag & 7, end);
    if (e < 0) continue;
    if (tag >>> 3 === attrField && ++attrs > r.limits.maxAttributes) throw tooManyAttributes(what, r.limits.maxAttributes);
    r.pos = e;
  }
  r.kvs += attrs;
}

function span(r: Scan, end: number): void {
  if (++r.spans > r.limits.maxSpans) throw tooManySpans(r.limits.maxSpans);
  let attrs = 0;
  while (r.pos < end) {
    const tag = varint(r);
    const e = next(r, tag & 7, end);
    if (e < 0) continue;
    const n = tag >>> 3;
    const len = e - r.pos;
    if (n === 9) {
      if (++attrs > r.limits.maxAttributes) throw tooManyAttributes('a span', r.limits.maxAttributes);
    } else if (n === 11 || n === 13) {
      r.events++;
      holder(r, e, n === 11 ? 3 : 4, n === 11 ? 'a span event' : 'a span link');
    }
    // An id of the wrong length has its original kept as an attribute.
    else if (len > 0 && ((n === 1 && len !== 16) || ((n === 2 || n === 4) && len !== 8))) r.kvs++;
    r.pos = e;
  }
  r.kvs += attrs;
}

/** Calls `fields` with the number and end of each LEN field of the message up to `end`. */
function each(r: Scan, end: number, fields: (n: number, end: number) => void): void {
  while (r.pos < end) {
    const tag = varint(r);
    const e = next(r, tag & 7, end);
    if (e < 0) continue;
    fields(tag >>> 3, e);
    r.pos = e;
  }
}

/** Counts an ExportTraceServiceRequest's spans and attributes; a malformed body is left to the decoder. */
function countProto(body: Uint8Array, limits: DecodeLimits): Scan {
  const r: Scan = { b: body, pos: 0, spans: 0, kvs: 0, events: 0, limits };
  const scopeSpans = (n: number, e: number) => (n === 1 ? holder(r, e, 3, 'a scope') : n === 2 ? span(r, e) : undefined);
  const resourceSpans = (n: number, e: number) => (n === 1 ? holder(r, e, 1, 'a resource') : n === 2 ? each(r, e, scopeSpans) : undefined);
  try {
    each(r, body.length, (n, e) => n === 1 && each(r, e, resourceSpans));
  } catch (err) {
    if (err instanceof DecodeError) throw err;
  }
  return r;
}

/** JSON objects in a body (braces outside strings), counted up to `max`: an upper bound on what JSON.parse makes. */
function countJsonObjects(body: Uint8Array, max: number): number {
  let objects = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b && ++objects > max) break;
  }
  return objects;
}

/**
 * Heap bytes decoding `body` will take besides the body itself, estimated from its structure
 * (JSON is scanned only until the estimate passes `max`); throws (413, 400) when it holds more
 * spans or attributes than the limits allow.
 */
export function decodedCost(format: 'otlp-proto' | 'otlp-json' | 'langtrace', body: Uint8Array, limits: DecodeLimits, max = Infinity): number {
  if (format === 'otlp-proto') {
    const c = countProto(body, limits);
    return c.spans * SPAN_BYTES + c.kvs * KV_BYTES + c.events * EVENT_BYTES;
  }
  // JSON strings become JS strings (up to twice their bytes), every object a JS object and then a model one.
  return body.length + countJsonObjects(body, Math.ceil((max - body.length) / JSON_OBJECT_BYTES)) * JSON_OBJECT_BYTES;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (o: Obj, camel: string, snake: string): unknown[] => {
  const v = o[camel] ?? o[snake];
  return Array.isArray(v) ? v : [];
};
const size = (v: unknown): number => (Array.isArray(v) ? v.length : isObj(v) ? Object.keys(v).length : 0);

/** A parsed OTLP/JSON body held to the limits before it is decoded (what is malformed is left to the decoder). */
export function checkOtlpJson(doc: unknown, limits: DecodeLimits): void {
  if (!isObj(doc)) return;
  let spans = 0;
  for (const rs of arr(doc, 'resourceSpans', 'resource_spans')) {
    if (!isObj(rs)) continue;
    if (isObj(rs.resource) && size(rs.resource.attributes) > limits.maxAttributes) throw tooManyAttributes('a resource', limits.maxAttributes);
    const scopes = rs.scopeSpans ?? rs.scope_spans ?? rs.instrumentationLibrarySpans;
    for (const ss of Array.isArray(scopes) ? scopes : []) {
      if (!isObj(ss)) continue;
      const list = arr(ss, 'spans', 'spans');
      if ((spans += list.length) > limits.maxSpans) throw tooManySpans(limits.maxSpans);
      for (const s of list) if (isObj(s)) checkHolders(s, limits);
    }
  }
}

function checkHolders(s: Obj, limits: DecodeLimits): void {
  if (size(s.attributes) > limits.maxAttributes) throw tooManyAttributes('a span', limits.maxAttributes);
  for (const e of [...arr(s, 'events', 'events'), ...arr(s, 'links', 'links')])
    if (isObj(e) && size(e.attributes) > limits.maxAttributes) throw tooManyAttributes('a span event or link', limits.maxAttributes);
}

/** A parsed Langtrace native array held to the limits before it is decoded. */
export function checkLangtraceNative(doc: unknown, limits: DecodeLimits): void {
  if (!Array.isArray(doc)) return;
  if (doc.length > limits.maxSpans) throw tooManySpans(limits.maxSpans);
  for (const s of doc) if (isObj(s)) checkHolders(s, limits);
}
