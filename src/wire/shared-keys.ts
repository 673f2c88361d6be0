// Attribute keys repeat on every span: decoders keep one long-lived copy of each instead of a
// fresh string per span. Fresh strings are what the young generation's collections copy while a
// batch waits to be translated, and each would have its hash computed again at every lookup.
// Bounded in count and length, so a hostile batch cannot make it hold much.
const KEYS = new Map<string, string>();
const MAX_KEYS = 4096;
const MAX_KEY_LENGTH = 256;

export function sharedKey(key: string): string {
  if (key.length > MAX_KEY_LENGTH) return key;
  const kept = KEYS.get(key);
  if (kept !== undefined) return kept;
  if (KEYS.size >= MAX_KEYS) KEYS.clear();
  KEYS.set(key, key);
  return key;
}
