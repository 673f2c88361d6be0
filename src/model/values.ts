// Small helpers for building and reading AnyValues and ids.
import { createHash } from 'node:crypto';
import type { AnyValue, Attributes } from './batch.js';

/** A JS value (as found in JSON attribute objects) as an AnyValue; integers become ints. */
export function fromPlain(v: unknown, depth = 0): AnyValue {
  if (depth > MAX_DEPTH) throw new RangeError(`value nested deeper than ${MAX_DEPTH} levels`);
  switch (typeof v) {
    case 'string':
      return { type: 'string', value: v };
    case 'boolean':
      return { type: 'bool', value: v };
    case 'number':
      return Number.isInteger(v) && Number.isSafeInteger(v) ? { type: 'int', value: BigInt(v) } : { type: 'double', value: v };
    case 'bigint':
      return { type: 'int', value: v };
    case 'object': {
      if (v === null) return { type: 'empty' };
      if (Array.isArray(v)) return { type: 'array', value: v.map((x) => fromPlain(x, depth + 1)) };
      if (v instanceof Uint8Array) return { type: 'bytes', value: v };
      const m: Attributes = new Map();
      for (const [k, x] of Object.entries(v)) if (x !== undefined) m.set(k, fromPlain(x, depth + 1));
      return { type: 'kvlist', value: m };
    }
    default:
      return { type: 'empty' };
  }
}

/** An AnyValue as a plain JS value: what JSON-minded consumers (Langtrace, Weave's reader) see. */
export function toPlain(v: AnyValue): unknown {
  switch (v.type) {
    case 'string':
    case 'bool':
    case 'double':
      return v.value;
    case 'int':
      return bigintToNumber(v.value);
    case 'bytes':
      return Buffer.from(v.value).toString('base64');
    case 'array':
      return v.value.map(toPlain);
    case 'kvlist':
      // fromEntries defines own properties: a key such as "__proto__" stays a key.
      return Object.fromEntries([...v.value].map(([k, x]) => [k, toPlain(x)]));
    case 'empty':
      return null;
  }
}

/** A number when it fits exactly, else the decimal string (JSON cannot carry it as a number). */
function bigintToNumber(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

export const MAX_DEPTH = 32;

const HEX = /^[0-9a-fA-F]*$/;

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function hexToBytes(hex: string): Uint8Array {
  return Buffer.from(hex, 'hex');
}

export type IdKind = 'trace' | 'span';
const ID_BYTES: Record<IdKind, number> = { trace: 16, span: 8 };

/**
 * Normalises an id given as text. Valid hex of the right length is lower-cased; base64 of the
 * right byte length (what proto3 JSON printers emit) is accepted too. Anything else is not a
 * valid OTLP id: it is replaced by the first bytes of its SHA-256, so the same text always maps
 * to the same id and parent/child links survive. `repaired` tells the caller to keep the original.
 */
export function normaliseId(text: string, kind: IdKind): { id: string; repaired: boolean } {
  const n = ID_BYTES[kind];
  if (text === '') return { id: '', repaired: false };
  if (text.length === n * 2 && HEX.test(text)) return { id: text.toLowerCase(), repaired: false };
  if (text.length === Math.ceil(n / 3) * 4 && /^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const b = Buffer.from(text, 'base64');
    if (b.length === n) return { id: b.toString('hex'), repaired: false };
  }
  return { id: repairId(text, n), repaired: true };
}

function repairId(text: string, bytes: number): string {
  return createHash('sha256')
    .update(text)
    .digest('hex')
    .slice(0, bytes * 2);
}

/** Bytes from protobuf as an id: the right length gives hex; any other length is repaired like text. */
export function bytesToId(b: Uint8Array, kind: IdKind): { id: string; repaired: boolean } {
  if (b.length === 0) return { id: '', repaired: false };
  if (b.length === ID_BYTES[kind]) return { id: bytesToHex(b), repaired: false };
  const hex = bytesToHex(b);
  return { id: repairId(hex, ID_BYTES[kind]), repaired: true };
}

/** Attribute keys that keep an id's original text when it had to be repaired. */
export const ORIGINAL_ID_KEYS = {
  traceId: 'tracebridge.original_trace_id',
  spanId: 'tracebridge.original_span_id',
  parentSpanId: 'tracebridge.original_parent_span_id',
} as const;
