// Attribute keys and short values repeat on every span (kinds, providers, models, roles):
// decoders keep one long-lived copy of each instead of fresh ones per span. Fresh objects are
// what the young generation's collections copy while a batch waits to be translated, and a fresh
// key would have its hash computed again at every lookup. Tagged values are never modified in
// place, so spans can share them. Both tables are bounded in count and length, so a hostile
// batch cannot make them hold much; longer values are mostly unique (ids, text) and are not kept.
import type { AnyValue } from '../model/batch.js';

const MAX_ENTRIES = 4096;
const MAX_KEY_LENGTH = 256;
const MAX_VALUE_LENGTH = 24;

const KEYS = new Map<string, string>();
const VALUES = new Map<string, AnyValue>();

export function sharedKey(key: string): string {
  if (key.length > MAX_KEY_LENGTH) return key;
  const kept = KEYS.get(key);
  if (kept !== undefined) return kept;
  if (KEYS.size >= MAX_ENTRIES) KEYS.clear();
  KEYS.set(key, key);
  return key;
}

/** A string attribute value: shared when short. */
export function stringValue(value: string): AnyValue {
  if (value.length > MAX_VALUE_LENGTH) return { type: 'string', value };
  let v = VALUES.get(value);
  if (v === undefined) {
    if (VALUES.size >= MAX_ENTRIES) VALUES.clear();
    VALUES.set(value, (v = { type: 'string', value }));
  }
  return v;
}

// The same tables reached from bytes: a decoder that finds a repeated short ASCII key or value
// by a hash of its bytes needs no fresh string (nor its hash) to look it up. One entry per hash;
// a collision replaces the entry, and every hit is checked byte by byte.
const MAX_BYTES = 64;
const KEYS_BY_BYTES = new Map<number, string>();
const VALUES_BY_BYTES = new Map<number, AnyValue & { type: 'string' }>();

function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h & 0x3fffffff;
}

function sameBytes(s: string, buf: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function remember<T>(table: Map<number, T>, h: number, v: T): void {
  if (table.size >= MAX_ENTRIES) table.clear();
  table.set(h, v);
}

/** The shared key whose UTF-8 bytes are buf[start, end), if one was kept (see keptKey). */
export function keyFromBytes(buf: Uint8Array, start: number, end: number): string | undefined {
  if (end - start > MAX_BYTES) return undefined;
  const kept = KEYS_BY_BYTES.get(hashBytes(buf, start, end));
  return kept !== undefined && sameBytes(kept, buf, start, end) ? kept : undefined;
}

/** sharedKey of a key decoded from buf[start, end), kept for keyFromBytes when it is short ASCII. */
export function keptKey(buf: Uint8Array, start: number, end: number, decoded: string): string {
  const key = sharedKey(decoded);
  if (end - start <= MAX_BYTES && key.length === end - start && isAscii(key)) remember(KEYS_BY_BYTES, hashBytes(buf, start, end), key);
  return key;
}

/** The shared string value whose UTF-8 bytes are buf[start, end), if one was kept (see keptValue). */
export function valueFromBytes(buf: Uint8Array, start: number, end: number): AnyValue | undefined {
  if (end - start > MAX_VALUE_LENGTH) return undefined;
  const kept = VALUES_BY_BYTES.get(hashBytes(buf, start, end));
  return kept !== undefined && sameBytes(kept.value, buf, start, end) ? kept : undefined;
}

/** stringValue of a value decoded from buf[start, end), kept for valueFromBytes when it is short ASCII. */
export function keptValue(buf: Uint8Array, start: number, end: number, decoded: string): AnyValue {
  const v = stringValue(decoded) as AnyValue & { type: 'string' };
  if (end - start <= MAX_VALUE_LENGTH && v.value.length === end - start && isAscii(v.value)) remember(VALUES_BY_BYTES, hashBytes(buf, start, end), v);
  return v;
}
