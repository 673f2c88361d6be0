// New callers' keys per client address: every key no upstream has answered yet costs a request
// to an upstream to prove it, so one address may bring only so many a minute. Keys already
// proven, and the same unproven key again, are not counted. Keys are held only as hashes.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { HttpError } from './admission.js';

const WINDOW_MS = 60_000;

export class UnprovenKeys {
  /** Per client address: when its minute began and the keys it brought in it. */
  private readonly windows = new LRUCache<string, { start: number; keys: Set<string> }>({ max: 10_000 });

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts `key` against `client`'s minute; past the limit, 429 with Retry-After (the upstream is not asked). */
  admit(client: string, key: string): void {
    const t = this.now();
    let w = this.windows.get(client);
    if (!w || t - w.start >= WINDOW_MS) this.windows.set(client, (w = { start: t, keys: new Set() }));
    const id = createHash('sha256').update(key).digest('base64').slice(0, 22);
    if (w.keys.has(id)) return;
    if (w.keys.size >= this.perMinute) {
      const wait = Math.max(1, Math.ceil((w.start + WINDOW_MS - t) / 1000));
      throw new HttpError(
        429,
        `too many new API keys from this address (${this.perMinute} a minute, unprovenKeysPerMinute): each is checked with the upstream; retry in ${wait} s`,
        { 'retry-after': String(wait) },
        'unproven_keys',
      );
    }
    w.keys.add(id);
  }
}
