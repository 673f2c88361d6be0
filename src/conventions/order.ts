// Array.prototype.sort copies its array into a work area on every call. The lists sorted per span
// (a few hits, a few message indexes) are short and usually in order already: sorted in place.

/** Sorts `a` in place, stably, as `a.sort(cmp)` would. */
export function sortShort<T>(a: T[], cmp: (x: T, y: T) => number): T[] {
  if (a.length > 16) return a.sort(cmp);
  for (let i = 1; i < a.length; i++) {
    const x = a[i];
    let j = i - 1;
    if (cmp(a[j], x) <= 0) continue;
    while (j >= 0 && cmp(a[j], x) > 0) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
  }
  return a;
}

/** A map's values in the order of its numeric keys. */
export function valuesByKey<T>(m: Map<number, T>): T[] {
  const out: T[] = [];
  let last = -Infinity;
  let ordered = true;
  for (const [k, v] of m) {
    if (k < last) ordered = false;
    last = k;
    out.push(v);
  }
  if (ordered) return out;
  return sortShort([...m.entries()], (a, b) => a[0] - b[0]).map(([, v]) => v);
}
