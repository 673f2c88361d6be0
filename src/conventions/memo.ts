// Facts about an attribute key that do not depend on its value are computed once per distinct key:
// instrumentations repeat the same few hundred keys on every span, so per-span string work (regexes,
// slicing, prefix scans) becomes one Map lookup. Bounded in count and in key length, so hostile
// input cannot make it hold much: longer keys are computed each time.
const MAX_KEYS = 4096;
const MAX_KEY_LENGTH = 256;

export function memoByKey<T>(compute: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    if (key.length > MAX_KEY_LENGTH) return compute(key);
    let v = cache.get(key);
    if (v === undefined && !cache.has(key)) {
      if (cache.size >= MAX_KEYS) cache.clear();
      v = compute(key);
      cache.set(key, v);
    }
    return v as T;
  };
}
