// Small helpers for building and reading AnyValues and ids.
import * as crypto from 'node:crypto';
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

function bytesToHex(b: Uint8Array): string {
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
 * valid OTLP id and is replaced by a stable one, so the same text always maps to the same id and
 * parent/child links survive: hex of fewer bytes is padded (see shortId), any other text gives
 * the first bytes of its SHA-256. `repaired` tells the caller to keep the original.
 */
export function normaliseId(text: string, kind: IdKind): { id: string; repaired: boolean } {
  const n = ID_BYTES[kind];
  if (text === '') return { id: '', repaired: false };
  if (text.length === n * 2 && HEX.test(text)) return { id: text.toLowerCase(), repaired: false };
  if (text.length === Math.ceil(n / 3) * 4 && /^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    const b = Buffer.from(text, 'base64');
    if (b.length === n) return { id: b.toString('hex'), repaired: false };
  }
  if (text.length < n * 2 && text.length % 2 === 0 && HEX.test(text)) return { id: shortId(text.toLowerCase(), n), repaired: true };
  return { id: repairId(text, n), repaired: true };
}

/**
 * An id of k < n bytes (as lower-case hex) as n bytes: k, zeros, then its bytes. One-to-one and
 * never all zeros, and costs no hash: a request of a million 1-byte ids is repaired in
 * milliseconds rather than seconds.
 */
function shortId(hex: string, n: number): string {
  const k = hex.length / 2;
  return HEXT[k] + '0'.repeat((n - 1 - k) * 2) + hex;
}

const HEXT = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** SHA-256 in one call where Node has it (20.12+): the same digest as createHash, a fifth of the cost. */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text).digest('hex');

/**
 * Ids repaired lately by hashing: a trace's id repeats on each of its spans and a parent's on
 * each child, so most are found here rather than hashed again. Bounded; cleared when full.
 */
const REPAIRED = new Map<string, string>();
const MAX_REPAIRED = 8192;

function repairId(text: string, bytes: number): string {
  const memo = bytes === 16 ? 't' + text : 's' + text;
  let id = REPAIRED.get(memo);
  if (id === undefined) {
    id = sha256Hex(text).slice(0, bytes * 2);
    if (REPAIRED.size >= MAX_REPAIRED) REPAIRED.clear();
    if (text.length <= 256) REPAIRED.set(memo, id);
  }
  return id;
}

const HEX_DIGITS = [...'0123456789abcdef'].map((c) => c.charCodeAt(0));
/** Character codes of the hex being made: reused, as ids are made one at a time. */
const CODES: number[] = [];

/**
 * Small byte strings as hex without a Buffer (ids are 8 or 16 bytes), made as one flat string:
 * appending two digits at a time made a rope of up to 64 pieces for each id.
 */
function smallHex(b: Uint8Array): string {
  CODES.length = b.length * 2;
  for (let i = 0; i < b.length; i++) {
    CODES[2 * i] = HEX_DIGITS[b[i] >> 4];
    CODES[2 * i + 1] = HEX_DIGITS[b[i] & 15];
  }
  return String.fromCharCode.apply(null, CODES);
}

/**
 * Bytes from protobuf as an id: the right length gives hex; any other length is repaired as its
 * hex text would be (`hex`, what the caller keeps as the original).
 */
export function bytesToId(b: Uint8Array, kind: IdKind): { id: string; repaired: boolean; hex: string } {
  if (b.length === 0) return { id: '', repaired: false, hex: '' };
  const n = ID_BYTES[kind];
  const hex = b.length <= 64 ? smallHex(b) : bytesToHex(b);
  if (b.length === n) return { id: hex, repaired: false, hex };
  return { id: b.length < n ? shortId(hex, n) : repairId(hex, n), repaired: true, hex };
}

/** Attribute keys that keep an id's original text when it had to be repaired. */
export const ORIGINAL_ID_KEYS = {
  traceId: 'tracebridge.original_trace_id',
  spanId: 'tracebridge.original_span_id',
  parentSpanId: 'tracebridge.original_parent_span_id',
} as const;
