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
