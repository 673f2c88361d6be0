// Several queued copies for one upstream, sent as one request: a client that sends one span per
// request (SimpleSpanProcessor) would otherwise cost one upstream request per span. Pure: no I/O.
import { gunzipSync } from 'node:zlib';
import { gzip } from '../wire/compression.js';
import type { Delivery } from './prepare.js';

/**
 * Only small copies are merged (uncompressed size), into requests of at most MAX_COALESCED_BYTES
 * uncompressed: merging large ones saves little, and inflating them would cost the memory.
 */
export const SMALL_COPY_BYTES = 256 * 1024;
export const MAX_COALESCED_BYTES = 4 * 1024 * 1024;

type Shape = 'protobuf' | 'json-array';

function shapeOf(d: Delivery): Shape | undefined {
  if (d.requests.length !== 1) return undefined; // Langtrace's OTLP/JSON fan-out: one resource a request
  const { headers, body } = d.requests[0];
  if (headers['content-type'] === 'application/x-protobuf') return 'protobuf';
  if (headers['content-type'] === 'application/json' && !headers['content-encoding'] && body[0] === 0x5b) return 'json-array';
  return undefined;
}

/**
 * What copies must share to go in one request: the credential (key and Weave project) and every
 * header. Undefined: a copy that is never merged.
 */
export function coalesceKey(d: Delivery): string | undefined {
  if (keys.has(d)) return keys.get(d);
  const key = shapeOf(d) ? JSON.stringify([d.credential ?? null, d.requests[0].headers]) : undefined;
  keys.set(d, key);
  return key;
}

/** Asked once per waiting batch each time a worker gathers: kept while the batch lives. */
const keys = new WeakMap<Delivery, string | undefined>();

/** A copy's body uncompressed: for gzip, its trailer's size field (one member, as prepare writes it). */
export function sizeOf(d: Delivery): number {
  const { body, headers } = d.requests[0];
  return headers['content-encoding'] === 'gzip' && body.length >= 18 ? body.readUInt32LE(body.length - 4) : body.length;
}

/**
 * One delivery carrying every span of `ds`, which share a coalesceKey: ExportTraceServiceRequest
 * messages concatenate into one (their resourceSpans append); Langtrace's arrays join.
 */
export function merge(ds: Delivery[]): Delivery {
  const first = ds[0];
  const headers = first.requests[0].headers;
  const spans = ds.reduce((n, d) => n + d.spans, 0);
  let body: Buffer;
  if (shapeOf(first) === 'protobuf') {
    const gzipped = headers['content-encoding'] === 'gzip';
    const raw = Buffer.concat(ds.map((d) => (gzipped ? gunzipSync(d.requests[0].body) : d.requests[0].body)));
    body = gzipped ? gzip(raw) : raw;
  } else {
    const inner = (b: Buffer) => b.subarray(b.indexOf(0x5b) + 1, b.lastIndexOf(0x5d));
    const items = ds.map((d) => inner(d.requests[0].body)).filter((b) => b.some((c) => c > 0x20));
    const parts: Buffer[] = [Buffer.from('[')];
    items.forEach((b, i) => parts.push(...(i ? [Buffer.from(','), b] : [b])));
    parts.push(Buffer.from(']'));
    body = Buffer.concat(parts);
  }
  return { upstream: first.upstream, spans, credential: first.credential, requests: [{ body, headers }] };
}
