// OTLP/JSON <-> SpanBatch. Writes strict OTLP/JSON; reads it leniently, the way people write it
// by hand: snake_case keys, enum names, 64-bit ints as strings or numbers, an intValue holding a
// float (kept as a double), and ids that are not valid hex (see normaliseId).
import type { AnyValue, Attributes, ResourceSpans, ScopeSpans, Span, SpanBatch } from '../model/batch.js';
import { sharedKey, stringValue } from './shared-strings.js';
import { MAX_DEPTH, normaliseId, ORIGINAL_ID_KEYS, type IdKind } from '../model/values.js';
import { DecodeError } from './errors.js';
import { checkOtlpJson, type DecodeLimits } from './limits.js';

type Obj = Record<string, unknown>;

/** The snake_case twin of each field name this file reads (a fixed set), made once. */
const SNAKE = new Map<string, string>();
function snake(camel: string): string {
  let s = SNAKE.get(camel);
  if (s === undefined) SNAKE.set(camel, (s = camel.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())));
  return s;
}

/** Reads `camelCase` or its `snake_case` twin. */
function field(o: Obj, camel: string): unknown {
  const v = o[camel];
  if (v !== undefined) return v;
  return o[snake(camel)];
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(o: Obj, key: string, path: string): Obj | undefined {
  const v = field(o, key);
  if (v == null) return undefined;
  if (!isObj(v)) throw new DecodeError(`${path}.${key}: expected an object, got ${describe(v)}`);
  return v;
}

function list(o: Obj, key: string, path: string): unknown[] {
  const v = field(o, key);
  if (v == null) return [];
  if (!Array.isArray(v)) throw new DecodeError(`${path}.${key}: expected an array, got ${describe(v)}`);
  return v;
}

function text(o: Obj, key: string, path: string): string {
  const v = field(o, key);
  if (v == null) return '';
  if (typeof v !== 'string') throw new DecodeError(`${path}.${key}: expected a string, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

const DIGITS = /^-?\d+$/;

/** A 64-bit unsigned integer given as a decimal string or a JSON number. */
function u64(o: Obj, key: string, path: string): bigint {
  const v = field(o, key);
  if (v == null || v === '') return 0n;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) {
    const b = BigInt(v);
    if (b < 2n ** 64n) return b;
  }
  throw new DecodeError(`${path}.${key}: expected an unsigned 64-bit integer, got ${describe(v)}`);
}

function u32(o: Obj, key: string, path: string): number {
  const v = field(o, key);
  if (v == null) return 0;
  const n = typeof v === 'string' && DIGITS.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff) return n;
  throw new DecodeError(`${path}.${key}: expected an unsigned 32-bit integer, got ${describe(v)}`);
}

const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_CODES = ['UNSET', 'OK', 'ERROR'];

/** An enum as an integer, or by name with or without its prefix (`SPAN_KIND_SERVER`, `server`). */
function enumValue(o: Obj, key: string, path: string, names: string[], prefix: string): number {
  const v = field(o, key);
  if (v == null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < names.length) return v;
  if (typeof v === 'string') {
    const upper = v.toUpperCase();
    const name = upper.startsWith(prefix) ? upper.slice(prefix.length) : upper;
    const i = names.indexOf(name);
    if (i >= 0) return i;
    if (DIGITS.test(v) && Number(v) < names.length) return Number(v);
  }
  throw new DecodeError(`${path}.${key}: expected one of ${names.map((n) => prefix + n).join(', ')} or 0–${names.length - 1}, got ${describe(v)}`);
}

function id(o: Obj, key: string, path: string, kind: IdKind): { id: string; repaired: boolean; raw: string } {
  const raw = text(o, key, path);
  const n = normaliseId(raw, kind);
  return { id: n.id, repaired: n.repaired, raw };
}

function anyValue(v: unknown, path: string, depth: number): AnyValue {
  if (depth > MAX_DEPTH) throw new DecodeError(`${path}: value nested deeper than ${MAX_DEPTH} levels`);
  if (v == null) return { type: 'empty' };
  if (!isObj(v)) throw new DecodeError(`${path}: expected an AnyValue object, got ${describe(v)}`);
  let x: unknown;
  if ((x = field(v, 'stringValue')) !== undefined) {
    if (typeof x !== 'string') return { type: 'string', value: String(x) };
    return stringValue(x);
  }
  if ((x = field(v, 'intValue')) !== undefined) {
    if (typeof x === 'number') {
      // Langtrace's docs send "intValue": 0.7: keep what was meant, a double.
      return Number.isInteger(x) ? { type: 'int', value: BigInt(x) } : { type: 'double', value: x };
    }
    if (typeof x === 'string' && DIGITS.test(x.trim())) return { type: 'int', value: BigInt.asIntN(64, BigInt(x.trim())) };
    if (typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x))) return { type: 'double', value: Number(x) };
    throw new DecodeError(`${path}.intValue: expected an integer, got ${describe(x)}`);
  }
  if ((x = field(v, 'doubleValue')) !== undefined) {
    if (typeof x === 'number') return { type: 'double', value: x };
    if (typeof x === 'string' && (x === 'NaN' || x === 'Infinity' || x === '-Infinity' || (x.trim() !== '' && !Number.isNaN(Number(x)))))
      return { type: 'double', value: Number(x) };
    throw new DecodeError(`${path}.doubleValue: expected a number, got ${describe(x)}`);
  }
  if ((x = field(v, 'boolValue')) !== undefined) {
    if (typeof x === 'boolean') return { type: 'bool', value: x };
    if (x === 'true' || x === 'false') return { type: 'bool', value: x === 'true' };
    throw new DecodeError(`${path}.boolValue: expected true or false, got ${describe(x)}`);
  }
  if ((x = field(v, 'bytesValue')) !== undefined) {
    if (typeof x !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(x)) throw new DecodeError(`${path}.bytesValue: expected base64, got ${describe(x)}`);
    return { type: 'bytes', value: new Uint8Array(Buffer.from(x, 'base64')) };
  }
  if ((x = field(v, 'arrayValue')) !== undefined) {
    if (!isObj(x)) throw new DecodeError(`${path}.arrayValue: expected an object with "values", got ${describe(x)}`);
    return { type: 'array', value: list(x, 'values', path + '.arrayValue').map((e, i) => anyValue(e, `${path}.arrayValue.values[${i}]`, depth + 1)) };
  }
  if ((x = field(v, 'kvlistValue')) !== undefined) {
    if (!isObj(x)) throw new DecodeError(`${path}.kvlistValue: expected an object with "values", got ${describe(x)}`);
    return { type: 'kvlist', value: attributes(list(x, 'values', path + '.kvlistValue'), `${path}.kvlistValue.values`, depth + 1) };
  }
  return { type: 'empty' };
}

function attributes(items: unknown[], path: string, depth = 0): Attributes {
  const m: Attributes = new Map();
  items.forEach((kv, i) => {
    const p = `${path}[${i}]`;
    if (!isObj(kv)) throw new DecodeError(`${p}: expected a {key, value} object, got ${describe(kv)}`);
    const key = kv.key;
    if (typeof key !== 'string') throw new DecodeError(`${p}.key: expected a string, got ${describe(key)}`);
    m.set(sharedKey(key), anyValue(kv.value, `${p}.value`, depth));
  });
  return m;
}

function attrsOf(o: Obj, path: string): Attributes {
  return attributes(list(o, 'attributes', path), path + '.attributes');
}

function span(s: unknown, path: string): Span {
  if (!isObj(s)) throw new DecodeError(`${path}: expected a span object, got ${describe(s)}`);
  const attrs = attrsOf(s, path);
  const trace = id(s, 'traceId', path, 'trace');
  const sid = id(s, 'spanId', path, 'span');
  const parent = id(s, 'parentSpanId', path, 'span');
  if (trace.repaired) attrs.set(ORIGINAL_ID_KEYS.traceId, { type: 'string', value: trace.raw });
  if (sid.repaired) attrs.set(ORIGINAL_ID_KEYS.spanId, { type: 'string', value: sid.raw });
  if (parent.repaired) attrs.set(ORIGINAL_ID_KEYS.parentSpanId, { type: 'string', value: parent.raw });
  const status = obj(s, 'status', path);
  return {
    traceId: trace.id,
    spanId: sid.id,
    parentSpanId: parent.id,
    traceState: text(s, 'traceState', path),
    flags: u32(s, 'flags', path),
    name: text(s, 'name', path),
    kind: enumValue(s, 'kind', path, SPAN_KINDS, 'SPAN_KIND_'),
    startTimeUnixNano: u64(s, 'startTimeUnixNano', path),
    endTimeUnixNano: u64(s, 'endTimeUnixNano', path),
    attributes: attrs,
    droppedAttributesCount: u32(s, 'droppedAttributesCount', path),
    events: list(s, 'events', path).map((e, i) => {
      const p = `${path}.events[${i}]`;
      if (!isObj(e)) throw new DecodeError(`${p}: expected an event object, got ${describe(e)}`);
      return {
        timeUnixNano: u64(e, 'timeUnixNano', p),
        name: text(e, 'name', p),
        attributes: attrsOf(e, p),
        droppedAttributesCount: u32(e, 'droppedAttributesCount', p),
      };
    }),
    droppedEventsCount: u32(s, 'droppedEventsCount', path),
    links: list(s, 'links', path).map((l, i) => {
      const p = `${path}.links[${i}]`;
      if (!isObj(l)) throw new DecodeError(`${p}: expected a link object, got ${describe(l)}`);
      return {
        traceId: id(l, 'traceId', p, 'trace').id,
        spanId: id(l, 'spanId', p, 'span').id,
        traceState: text(l, 'traceState', p),
        attributes: attrsOf(l, p),
        droppedAttributesCount: u32(l, 'droppedAttributesCount', p),
        flags: u32(l, 'flags', p),
      };
    }),
    droppedLinksCount: u32(s, 'droppedLinksCount', path),
    status: status
      ? { code: enumValue(status, 'code', path + '.status', STATUS_CODES, 'STATUS_CODE_'), message: text(status, 'message', path + '.status') }
      : { code: 0, message: '' },
  };
}

/** Decodes an already parsed OTLP/JSON request body. */
function decodeOtlpJsonValue(doc: unknown): SpanBatch {
  if (!isObj(doc)) throw new DecodeError(`OTLP/JSON body: expected an object with "resourceSpans", got ${describe(doc)}`);
  return {
    resourceSpans: list(doc, 'resourceSpans', '').map((rs, i): ResourceSpans => {
      const p = `resourceSpans[${i}]`;
      if (!isObj(rs)) throw new DecodeError(`${p}: expected an object, got ${describe(rs)}`);
      const resource = obj(rs, 'resource', p);
      // Very old exporters wrote instrumentationLibrarySpans; read them as scopeSpans.
      const scopes = field(rs, 'scopeSpans') != null ? list(rs, 'scopeSpans', p) : list(rs, 'instrumentationLibrarySpans', p);
      return {
        resource: {
          attributes: resource ? attrsOf(resource, p + '.resource') : new Map(),
          droppedAttributesCount: resource ? u32(resource, 'droppedAttributesCount', p + '.resource') : 0,
        },
        schemaUrl: text(rs, 'schemaUrl', p),
        scopeSpans: scopes.map((ss, j): ScopeSpans => {
          const q = `${p}.scopeSpans[${j}]`;
          if (!isObj(ss)) throw new DecodeError(`${q}: expected an object, got ${describe(ss)}`);
          const scope = obj(ss, 'scope', q) ?? obj(ss, 'instrumentationLibrary', q);
          return {
            scope: {
              name: scope ? text(scope, 'name', q + '.scope') : '',
              version: scope ? text(scope, 'version', q + '.scope') : '',
              attributes: scope ? attrsOf(scope, q + '.scope') : new Map(),
              droppedAttributesCount: scope ? u32(scope, 'droppedAttributesCount', q + '.scope') : 0,
            },
            schemaUrl: text(ss, 'schemaUrl', q),
            spans: list(ss, 'spans', q).map((s, k) => span(s, `${q}.spans[${k}]`)),
          };
        }),
      };
    }),
  };
}

export function parseJson(body: Uint8Array | string, what: string): unknown {
  const textBody = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  try {
    return JSON.parse(textBody);
  } catch (err) {
    throw new DecodeError(`invalid JSON in ${what}: ${(err as Error).message}`);
  }
}

/** `limits`: a request of more spans or attributes is refused before it is decoded. */
export function decodeOtlpJson(body: Uint8Array | string, limits?: DecodeLimits): SpanBatch {
  const doc = parseJson(body, 'OTLP/JSON body');
  if (limits) checkOtlpJson(doc, limits);
  return decodeOtlpJsonValue(doc);
}

// ---- encoding (strict OTLP/JSON) ----

interface JsonEncodeOptions {
  /** Write intValue as a JSON number when it fits exactly (Langtrace sums token counts as numbers). */
  intsAsNumbers?: boolean;
}

function encValue(v: AnyValue, o: JsonEncodeOptions): Obj {
  switch (v.type) {
    case 'string':
      return { stringValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    case 'int':
      return {
        intValue: o.intsAsNumbers && v.value <= BigInt(Number.MAX_SAFE_INTEGER) && v.value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v.value) : v.value.toString(),
      };
    case 'double':
      return { doubleValue: Number.isFinite(v.value) ? v.value : String(v.value) };
    case 'bytes':
      return { bytesValue: Buffer.from(v.value).toString('base64') };
    case 'array':
      return { arrayValue: { values: v.value.map((x) => encValue(x, o)) } };
    case 'kvlist':
      return { kvlistValue: { values: encAttrs(v.value, o) } };
    case 'empty':
      return {};
  }
}

function encAttrs(a: Attributes, o: JsonEncodeOptions = {}): Obj[] {
  const out: Obj[] = [];
  for (const [key, value] of a) out.push({ key, value: encValue(value, o) });
  return out;
}

function encodeSpanJson(s: Span, o: JsonEncodeOptions = {}): Obj {
  const out: Obj = {
    traceId: s.traceId,
    spanId: s.spanId,
  };
  if (s.traceState) out.traceState = s.traceState;
  if (s.parentSpanId) out.parentSpanId = s.parentSpanId;
  if (s.flags) out.flags = s.flags;
  out.name = s.name;
  out.kind = s.kind;
  out.startTimeUnixNano = s.startTimeUnixNano.toString();
  out.endTimeUnixNano = s.endTimeUnixNano.toString();
  out.attributes = encAttrs(s.attributes, o);
  if (s.droppedAttributesCount) out.droppedAttributesCount = s.droppedAttributesCount;
  out.events = s.events.map((e) => {
    const ev: Obj = { timeUnixNano: e.timeUnixNano.toString(), name: e.name, attributes: encAttrs(e.attributes, o) };
    if (e.droppedAttributesCount) ev.droppedAttributesCount = e.droppedAttributesCount;
    return ev;
  });
  if (s.droppedEventsCount) out.droppedEventsCount = s.droppedEventsCount;
  out.links = s.links.map((l) => {
    const link: Obj = { traceId: l.traceId, spanId: l.spanId };
    if (l.traceState) link.traceState = l.traceState;
    link.attributes = encAttrs(l.attributes, o);
    if (l.droppedAttributesCount) link.droppedAttributesCount = l.droppedAttributesCount;
    if (l.flags) link.flags = l.flags;
    return link;
  });
  if (s.droppedLinksCount) out.droppedLinksCount = s.droppedLinksCount;
  out.status = s.status.message ? { code: s.status.code, message: s.status.message } : { code: s.status.code };
  return out;
}

function encResourceSpans(rs: ResourceSpans, o: JsonEncodeOptions): Obj {
  const resource: Obj = { attributes: encAttrs(rs.resource.attributes, o) };
  if (rs.resource.droppedAttributesCount) resource.droppedAttributesCount = rs.resource.droppedAttributesCount;
  const out: Obj = {
    resource,
    scopeSpans: rs.scopeSpans.map((ss) => {
      const scope: Obj = { name: ss.scope.name };
      if (ss.scope.version) scope.version = ss.scope.version;
      if (ss.scope.attributes.size) scope.attributes = encAttrs(ss.scope.attributes, o);
      if (ss.scope.droppedAttributesCount) scope.droppedAttributesCount = ss.scope.droppedAttributesCount;
      const s: Obj = { scope, spans: ss.spans.map((sp) => encodeSpanJson(sp, o)) };
      if (ss.schemaUrl) s.schemaUrl = ss.schemaUrl;
      return s;
    }),
  };
  if (rs.schemaUrl) out.schemaUrl = rs.schemaUrl;
  return out;
}

export function encodeOtlpJsonValue(batch: SpanBatch, o: JsonEncodeOptions = {}): Obj {
  return { resourceSpans: batch.resourceSpans.map((rs) => encResourceSpans(rs, o)) };
}

export function encodeOtlpJson(batch: SpanBatch): string {
  return JSON.stringify(encodeOtlpJsonValue(batch));
}
