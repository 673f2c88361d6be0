// Timestamps as the backends return them (ISO 8601 with up to nanoseconds, `Z` or an offset;
// ClickHouse's "YYYY-MM-DD HH:MM:SS.ffffff"), read to nanoseconds without rounding.
const ISO = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?\d*(Z|[+-]\d\d:?\d\d)?$/i;

/** Nanoseconds since the epoch, or undefined for text that is no timestamp. */
export function isoToNanos(text: string): bigint | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const zone = !m[4] || m[4].toUpperCase() === 'Z' ? 'Z' : m[4].length === 5 ? `${m[4].slice(0, 3)}:${m[4].slice(3)}` : m[4];
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[3] ?? '').padEnd(9, '0'));
}

/** A --since / --until value: an ISO 8601 date or time (a bare date is midnight UTC). */
export function windowEdge(text: string): bigint | undefined {
  const t = /^\d{4}-\d\d-\d\d$/.test(text) ? `${text}T00:00:00Z` : text;
  return isoToNanos(t);
}

/** A time window over span start times: [since, until). */
export interface Window {
  since?: bigint;
  until?: bigint;
}

export const inWindow = (w: Window, start: bigint) => (w.since === undefined || start >= w.since) && (w.until === undefined || start < w.until);
