// Langtrace's two JSON bodies for POST /api/trace:
// - the native array the TypeScript SDK sends (User-Agent: LangTraceExporter): one object per
//   ReadableSpan, HrTime tuples, attributes as a plain object with their JSON types;
// - OTLP/JSON read under Langtrace's limits (User-Agent with "opentelemetry"/"otel-otlp"): only the
//   first resourceSpans is read, only stringValue/intValue survive, every event needs attributes.
import type { AnyValue, Attributes, ResourceSpans, Span, SpanBatch } from '../model/batch.js';
import { fromPlain, normaliseId, ORIGINAL_ID_KEYS, toPlain, type IdKind } from '../model/values.js';
import { DecodeError } from './errors.js';
import { checkLangtraceNative, type DecodeLimits } from './limits.js';
import { encodeOtlpJsonValue, parseJson } from './otlp-json.js';
import { nativeHead, nativeTail, plainJson } from './langtrace-native.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const NS = 1_000_000_000n;

function hrTime(v: unknown, path: string): bigint {
  if (v == null) return 0n;
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) return BigInt(v[0]) * NS + BigInt(v[1]);
  throw new DecodeError(`${path}: expected an HrTime [seconds, nanoseconds], got ${JSON.stringify(v)?.slice(0, 40)}`);
}

function plainAttributes(v: unknown, path: string): Attributes {
  if (v == null) return new Map();
  if (!isObj(v)) throw new DecodeError(`${path}: expected an object of attributes, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  const m: Attributes = new Map();
  try {
    for (const [k, x] of Object.entries(v)) if (x !== undefined) m.set(k, fromPlain(x));
  } catch (err) {
    throw new DecodeError(`${path}: ${(err as Error).message}`);
  }
  return m;
}

function str(v: unknown, path: string): string {
  if (v == null) return '';
  if (typeof v !== 'string') throw new DecodeError(`${path}: expected a string, got ${typeof v}`);
  return v;
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0;
}

function idOf(v: unknown, path: string, kind: IdKind) {
  const raw = str(v, path);
  const n = normaliseId(raw, kind);
  return { id: n.id, repaired: n.repaired, raw };
}

/** OTel API SpanKind (INTERNAL=0 … CONSUMER=4) is OTLP's kind minus one. */
const API_KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
function kindOf(v: unknown, path: string): number {
  if (v == null) return 1;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < API_KINDS.length) return v + 1;
  if (typeof v === 'string' && API_KINDS.includes(v.toUpperCase())) return API_KINDS.indexOf(v.toUpperCase()) + 1;
  throw new DecodeError(`${path}: expected a SpanKind 0–4, got ${JSON.stringify(v)}`);
}

function resourceAttributes(r: unknown, path: string): Attributes {
  if (!isObj(r)) return new Map();
  // SDK 1.x Resource serialises as {_attributes, _syncAttributes}; 2.x and hand-written as {attributes}.
  return plainAttributes(r.attributes ?? r._attributes ?? r._syncAttributes, path);
}

function nativeSpan(s: unknown, path: string): { span: Span; resource: Attributes; scope: Obj } {
  if (!isObj(s)) throw new DecodeError(`${path}: expected a span object`);
  const ctx = isObj(s._spanContext) ? s._spanContext : isObj(s.spanContext) ? s.spanContext : {};
  const attrs = plainAttributes(s.attributes, path + '.attributes');
  const trace = idOf(s.traceId ?? ctx.traceId, path + '.traceId', 'trace');
  const sid = idOf(s.spanId ?? ctx.spanId, path + '.spanId', 'span');
  const parentCtx = isObj(s.parentSpanContext) ? s.parentSpanContext.spanId : undefined;
  const parent = idOf(s.parentSpanId ?? parentCtx, path + '.parentSpanId', 'span');
  if (trace.repaired) attrs.set(ORIGINAL_ID_KEYS.traceId, { type: 'string', value: trace.raw });
  if (sid.repaired) attrs.set(ORIGINAL_ID_KEYS.spanId, { type: 'string', value: sid.raw });
  if (parent.repaired) attrs.set(ORIGINAL_ID_KEYS.parentSpanId, { type: 'string', value: parent.raw });
  const start = hrTime(s.startTime, path + '.startTime');
  const end = s.endTime == null && s.duration != null ? start + hrTime(s.duration, path + '.duration') : hrTime(s.endTime, path + '.endTime');
  const status = isObj(s.status) ? s.status : {};
  const code = status.code;
  if (code != null && code !== 0 && code !== 1 && code !== 2) throw new DecodeError(`${path}.status.code: expected 0, 1 or 2, got ${JSON.stringify(code)}`);
  const events = s.events == null ? [] : s.events;
  if (!Array.isArray(events)) throw new DecodeError(`${path}.events: expected an array`);
  const links = s.links == null ? [] : s.links;
  if (!Array.isArray(links)) throw new DecodeError(`${path}.links: expected an array`);
  const span: Span = {
    traceId: trace.id,
    spanId: sid.id,
    parentSpanId: parent.id,
    traceState: typeof s.traceState === 'string' ? s.traceState : '',
    flags: count(s.traceFlags ?? ctx.traceFlags),
    name: str(s.name, path + '.name'),
    kind: kindOf(s.kind, path + '.kind'),
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: attrs,
    droppedAttributesCount: count(s.droppedAttributesCount ?? s._droppedAttributesCount),
    events: events.map((e, i) => {
      const p = `${path}.events[${i}]`;
      if (!isObj(e)) throw new DecodeError(`${p}: expected an event object`);
      return {
        timeUnixNano: hrTime(e.time, p + '.time'),
        name: str(e.name, p + '.name'),
        attributes: plainAttributes(e.attributes, p + '.attributes'),
        droppedAttributesCount: count(e.droppedAttributesCount),
      };
    }),
    droppedEventsCount: count(s.droppedEventsCount ?? s._droppedEventsCount),
    links: links.map((l, i) => {
      const p = `${path}.links[${i}]`;
      if (!isObj(l)) throw new DecodeError(`${p}: expected a link object`);
      const c = isObj(l.context) ? l.context : l;
      return {
        traceId: idOf(c.traceId, p + '.context.traceId', 'trace').id,
        spanId: idOf(c.spanId, p + '.context.spanId', 'span').id,
        traceState: typeof c.traceState === 'string' ? c.traceState : '',
        attributes: plainAttributes(l.attributes, p + '.attributes'),
        droppedAttributesCount: count(l.droppedAttributesCount),
        flags: count(c.traceFlags),
      };
    }),
    droppedLinksCount: count(s.droppedLinksCount ?? s._droppedLinksCount),
    status: { code: (code as number | undefined) ?? 0, message: typeof status.message === 'string' ? status.message : '' },
  };
  const scope = isObj(s.instrumentationLibrary) ? s.instrumentationLibrary : isObj(s.instrumentationScope) ? s.instrumentationScope : {};
  return { span, resource: resourceAttributes(s.resource, path + '.resource'), scope };
}

/** Decodes Langtrace's native span array, grouping spans by resource and scope. */
function decodeLangtraceNativeValue(doc: unknown): SpanBatch {
  if (!Array.isArray(doc))
    throw new DecodeError(
      `Langtrace native body: expected a JSON array of spans, got ${isObj(doc) ? 'an object' : typeof doc}${isObj(doc) && 'resourceSpans' in doc ? ' (this is OTLP/JSON: send it with an OpenTelemetry User-Agent or to /v1/traces)' : ''}`,
    );
  const byResource = new Map<string, ResourceSpans>();
  const batch: SpanBatch = { resourceSpans: [] };
  doc.forEach((raw, i) => {
    const { span, resource, scope } = nativeSpan(raw, `[${i}]`);
    const rkey = JSON.stringify([...resource].map(([k, v]) => [k, toPlain(v)]));
    let rs = byResource.get(rkey);
    if (!rs) {
      rs = { resource: { attributes: resource, droppedAttributesCount: 0 }, schemaUrl: '', scopeSpans: [] };
      byResource.set(rkey, rs);
      batch.resourceSpans.push(rs);
    }
    const name = str(scope.name, `[${i}].instrumentationLibrary.name`);
    const version = str(scope.version, `[${i}].instrumentationLibrary.version`);
    const schemaUrl = typeof scope.schemaUrl === 'string' ? scope.schemaUrl : '';
    let ss = rs.scopeSpans.find((x) => x.scope.name === name && x.scope.version === version && x.schemaUrl === schemaUrl);
    if (!ss) {
      ss = { scope: { name, version, attributes: new Map(), droppedAttributesCount: 0 }, schemaUrl, spans: [] };
      rs.scopeSpans.push(ss);
    }
    ss.spans.push(span);
  });
  return batch;
}

/** `limits`: a request of more spans or attributes is refused before it is decoded. */
export function decodeLangtraceNative(body: Uint8Array | string, limits?: DecodeLimits): SpanBatch {
  const doc = parseJson(body, 'Langtrace native body');
  if (limits) checkLangtraceNative(doc, limits);
  return decodeLangtraceNativeValue(doc);
}

/**
 * The native array, shaped as @langtrase/typescript-sdk sends it: one JSON object per span, given
 * as three pieces (the keys before the resource, the resource, the keys after it). One string per
 * span, not one for the batch: V8 builds a large JSON string in parts and flattens it into fresh
 * memory when it is read, which cost more than the encoding. The resource, the same for every
 * span of a resource, is stringified once and spliced in; a writer that takes the pieces as they
 * are never joins them at all.
 */
export function eachLangtraceNativeSpan(batch: SpanBatch, piece: (head: string, resource: string, tail: string) => void): void {
  for (const rs of batch.resourceSpans) {
    const attrs = plainJson(rs.resource.attributes);
    const resource = `,"resource":{"_attributes":${attrs},"asyncAttributesPending":false,"_syncAttributes":${attrs}},`;
    for (const ss of rs.scopeSpans) {
      const lib: Obj = { name: ss.scope.name, version: ss.scope.version || undefined };
      if (ss.schemaUrl) lib.schemaUrl = ss.schemaUrl;
      const libJson = JSON.stringify(lib);
      // The keys before "resource", then those after it: the order the SDK writes.
      for (const s of ss.spans) piece(nativeHead(s), resource, nativeTail(s, libJson));
    }
  }
}

/** The native array's spans, one JSON string each. */
export function encodeLangtraceNativeSpans(batch: SpanBatch): string[] {
  const out: string[] = [];
  eachLangtraceNativeSpan(batch, (head, resource, tail) => out.push(head + resource + tail));
  return out;
}

export function encodeLangtraceNative(batch: SpanBatch): string {
  return `[${encodeLangtraceNativeSpans(batch).join(',')}]`;
}

/** Langtrace keeps only stringValue and intValue: every other kind travels as a string. */
function survive(v: AnyValue): AnyValue {
  switch (v.type) {
    case 'string':
    case 'int':
      return v;
    case 'double':
    case 'bool':
      return { type: 'string', value: String(v.value) };
    case 'bytes':
      return { type: 'string', value: Buffer.from(v.value).toString('base64') };
    case 'empty':
      return { type: 'string', value: '' };
    default:
      return { type: 'string', value: JSON.stringify(toPlain(v)) };
  }
}

function surviveAll(a: Attributes): Attributes {
  const m: Attributes = new Map();
  for (const [k, v] of a) m.set(k, survive(v));
  return m;
}

/**
 * OTLP/JSON bodies for Langtrace's OTLP mode: one request per resource (it reads only the
 * first), values it would drop turned into strings, ints as JSON numbers (it sums token counts),
 * and `attributes` present on every event (the encoder always writes it).
 */
/** A resource's identity: its attributes (in order), dropped count and schema URL. */
function resourceKey(rs: SpanBatch['resourceSpans'][number]): string {
  const plain = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? [...v] : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v);
  return JSON.stringify([rs.schemaUrl, rs.resource.droppedAttributesCount, rs.resource.attributes], plain);
}

/** Resources that are the same, merged into one (their scopes one after another). */
function mergeResources(batch: SpanBatch): SpanBatch {
  const byKey = new Map<string, SpanBatch['resourceSpans'][number]>();
  for (const rs of batch.resourceSpans) {
    const key = resourceKey(rs);
    const seen = byKey.get(key);
    if (seen) seen.scopeSpans = [...seen.scopeSpans, ...rs.scopeSpans];
    else byKey.set(key, { ...rs });
  }
  return { resourceSpans: [...byKey.values()] };
}

/** Distinct resources in a batch: the requests Langtrace's OTLP/JSON mode needs for it. */
export function distinctResources(batch: SpanBatch): number {
  return new Set(batch.resourceSpans.map(resourceKey)).size;
}

/** One request per distinct resource: Langtrace reads only the first resource of a request. */
export function encodeLangtraceOtlpJson(batch: SpanBatch): string[] {
  return mergeResources(batch).resourceSpans.map((rs) => {
    const one: SpanBatch = {
      resourceSpans: [
        {
          resource: { attributes: surviveAll(rs.resource.attributes), droppedAttributesCount: rs.resource.droppedAttributesCount },
          schemaUrl: rs.schemaUrl,
          scopeSpans: rs.scopeSpans.map((ss) => ({
            scope: { ...ss.scope, attributes: surviveAll(ss.scope.attributes) },
            schemaUrl: ss.schemaUrl,
            spans: ss.spans.map((s) => ({
              ...s,
              attributes: surviveAll(s.attributes),
              events: s.events.map((e) => ({ ...e, attributes: surviveAll(e.attributes) })),
              links: s.links.map((l) => ({ ...l, attributes: surviveAll(l.attributes) })),
            })),
          })),
        },
      ],
    };
    return JSON.stringify(encodeOtlpJsonValue(one, { intsAsNumbers: true }));
  });
}
