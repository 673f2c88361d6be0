// Langtrace's native span JSON written as text, key by key, rather than built as objects and
// stringified: an attributes object of a few dozen keys went through V8's slow path for
// dictionary objects, and each was made only to be stringified. The text is exactly what
// JSON.stringify gives for the object the SDK would send (test/wire/langtrace-native.test.ts).
import type { Attributes, Span } from '../model/batch.js';
import { toPlain } from '../model/values.js';
import { memoByKey } from '../conventions/memo.js';

const NS = 1_000_000_000n;

const hr = (ns: bigint): string => `[${Number(ns / NS)},${Number(ns % NS)}]`;

/** A count or code as JSON.stringify writes a number (anything not finite is null). */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/** A key as JSON text with its colon, alone and after a comma; null for an array index, which an object would list first (see plainJson). */
const keyJson = memoByKey((key: string): [string, string] | null => {
  if (isArrayIndex(key)) return null;
  const k = JSON.stringify(key);
  return [`${k}:`, `,${k}:`];
});

function isArrayIndex(key: string): boolean {
  if (key === '' || key.length > 10 || (key.length > 1 && key.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(key) < 4294967295;
}

/**
 * The last long strings escaped, and their JSON: Langtrace's prompt is both an attribute and an
 * event's, with the span's other long values (`input.value`, `output.value`) written between.
 */
const RECENT = 4;
const recentRaw: string[] = new Array<string>(RECENT).fill('');
const recentJson: string[] = new Array<string>(RECENT).fill('""');
let next = 0;

/** Longer strings are escaped each time: what is remembered stays small between requests. */
const MAX_REMEMBERED = 256 * 1024;

function stringJson(s: string): string {
  if (s.length < 64) return JSON.stringify(s);
  for (let i = 0; i < RECENT; i++) if (recentRaw[i] === s) return recentJson[i];
  const json = JSON.stringify(s);
  if (s.length > MAX_REMEMBERED) return json;
  recentRaw[next] = s;
  recentJson[next] = json;
  next = (next + 1) % RECENT;
  return json;
}

/**
 * Attributes as the JSON object of their plain values, or undefined when a key is an array index:
 * objects order those first, so the caller stringifies an object instead.
 */
function attributesJson(a: Attributes): string | undefined {
  let out = '{';
  let first = true;
  for (const [k, v] of a) {
    const key = keyJson(k);
    if (key === null) return undefined;
    out += first ? key[0] : key[1];
    out += v.type === 'string' ? stringJson(v.value) : JSON.stringify(toPlain(v));
    first = false;
  }
  return out + '}';
}

/** No prototype, as before: "__proto__" is a plain key. */
function plainObject(a: Attributes): Record<string, unknown> {
  const o: Record<string, unknown> = Object.create(null);
  for (const [k, v] of a) o[k] = v.type === 'string' ? v.value : toPlain(v);
  return o;
}

/** The JSON object of a set of attributes, as JSON.stringify writes it. */
export function plainJson(a: Attributes): string {
  return attributesJson(a) ?? JSON.stringify(plainObject(a));
}

/** The span's keys before "resource", as JSON text without the closing brace. */
export function nativeHead(s: Span): string {
  let out = `{"traceId":${JSON.stringify(s.traceId)},"spanId":${JSON.stringify(s.spanId)}`;
  if (s.traceState) out += `,"traceState":${JSON.stringify(s.traceState)}`;
  out += `,"name":${JSON.stringify(s.name)},"startTime":${hr(s.startTimeUnixNano)},"endTime":${hr(s.endTimeUnixNano)}`;
  out += `,"attributes":${plainJson(s.attributes)},"kind":${num(Math.max(0, s.kind - 1))}`;
  out += s.status.message ? `,"status":{"code":${num(s.status.code)},"message":${JSON.stringify(s.status.message)}}` : `,"status":{"code":${num(s.status.code)}}`;
  out += ',"events":[';
  for (let i = 0; i < s.events.length; i++) {
    const e = s.events[i];
    if (i) out += ',';
    out += `{"name":${JSON.stringify(e.name)},"attributes":${plainJson(e.attributes)},"time":${hr(e.timeUnixNano)},"droppedAttributesCount":${num(e.droppedAttributesCount)}}`;
  }
  return out + ']';
}

/** The span's keys after "resource", as JSON text without the opening brace. `lib`: the scope's JSON. */
export function nativeTail(s: Span, lib: string): string {
  let out = '"links":[';
  for (let i = 0; i < s.links.length; i++) {
    const l = s.links[i];
    if (i) out += ',';
    const state = l.traceState ? `,"traceState":${JSON.stringify(l.traceState)}` : '';
    out += `{"context":{"traceId":${JSON.stringify(l.traceId)},"spanId":${JSON.stringify(l.spanId)},"traceFlags":${num(l.flags)}${state}}`;
    out += `,"attributes":${plainJson(l.attributes)},"droppedAttributesCount":${num(l.droppedAttributesCount)}}`;
  }
  out += ']';
  if (s.parentSpanId) out += `,"parentSpanId":${JSON.stringify(s.parentSpanId)}`;
  const duration = hr(s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n);
  out += `,"instrumentationLibrary":${lib},"duration":${duration},"droppedEventsCount":${num(s.droppedEventsCount)}`;
  return out + `,"droppedAttributesCount":${num(s.droppedAttributesCount)},"droppedLinksCount":${num(s.droppedLinksCount)},"ended":true}`;
}
