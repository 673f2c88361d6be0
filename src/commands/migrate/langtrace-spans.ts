// Spans in Langtrace's stored shape (what GET/POST /api/traces returns: ClickHouse rows with
// snake_case fields, attributes / events / links as JSON text, times as ISO text, status as text)
// turned into its native array and read by the native decoder (ids hex or base64 alike).
import type { SpanBatch } from '../../model/batch.js';
import { decodeLangtraceNative } from '../../wire/langtrace.js';
import { isoToNanos } from './times.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface StoredSpan {
  name?: string;
  trace_id?: string;
  span_id?: string;
  trace_state?: string;
  kind?: number | string;
  parent_id?: string | null;
  start_time?: string;
  end_time?: string;
  attributes?: string | Obj;
  status_code?: string | number;
  events?: string | unknown[];
  links?: string | unknown[];
}

/** JSON text or the value itself. */
function parsed(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

const NS = 1_000_000_000n;
const hr = (ns: bigint): [number, number] => [Number(ns / NS), Number(ns % NS)];

/** "OK", "ERROR", "STATUS_CODE_ERROR", 2…: OTLP's status code. */
export function statusCode(v: unknown): number {
  const t = String(v ?? '').toUpperCase();
  if (t === '2' || t.endsWith('ERROR')) return 2;
  if (t === '1' || t === 'OK' || t.endsWith('_OK')) return 1;
  return 0;
}

/** An event's time: an HrTime as the TypeScript SDK sent it, or ISO text from OTLP. */
function eventTime(v: unknown, fallback: bigint): [number, number] {
  if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x >= 0)) return v as [number, number];
  return hr((typeof v === 'string' ? isoToNanos(v) : undefined) ?? fallback);
}

const events = (v: unknown, start: bigint) =>
  (Array.isArray(parsed(v)) ? (parsed(v) as unknown[]) : []).filter(isObj).map((e) => ({
    name: typeof e.name === 'string' ? e.name : '',
    time: eventTime(e.time, start),
    attributes: isObj(parsed(e.attributes)) ? parsed(e.attributes) : {},
  }));

/** The stored span as one element of Langtrace's native array. */
function nativeOf(s: StoredSpan): Obj {
  const start = isoToNanos(s.start_time ?? '') ?? 0n;
  const end = isoToNanos(s.end_time ?? '') ?? start;
  const evs = events(s.events, start);
  const code = statusCode(s.status_code);
  // Langtrace keeps no status message: an exception event says what failed.
  const failure = code === 2 ? evs.find((e) => e.name === 'exception')?.attributes : undefined;
  const kind = Number(s.kind);
  return {
    traceId: s.trace_id ?? '',
    spanId: s.span_id ?? '',
    parentSpanId: s.parent_id || undefined,
    traceState: s.trace_state || undefined,
    name: s.name ?? '',
    kind: Number.isInteger(kind) && kind >= 0 && kind <= 4 ? kind : 0,
    startTime: hr(start),
    endTime: hr(end),
    attributes: isObj(parsed(s.attributes)) ? parsed(s.attributes) : {},
    status: { code, ...(isObj(failure) && typeof failure['exception.message'] === 'string' ? { message: failure['exception.message'] } : {}) },
    events: evs,
    instrumentationLibrary: { name: 'langtrace' },
  };
}

/** Stored spans as one batch; the resource names the project they came from. */
export function storedToBatch(spans: StoredSpan[], projectId: string): SpanBatch {
  const resource = { attributes: { 'service.name': 'langtrace', 'langtrace.project.id': projectId } };
  return decodeLangtraceNative(JSON.stringify(spans.map((s) => ({ ...nativeOf(s), resource }))));
}

/** A trace's start: its earliest span's. */
export const traceStart = (trace: StoredSpan[]) => trace.map((s) => isoToNanos(s.start_time ?? '') ?? 0n).reduce((a, b) => (b < a ? b : a), BigInt(Number.MAX_SAFE_INTEGER) * NS);
