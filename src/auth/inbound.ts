// The credential a client sent, whichever backend's scheme it used.
import type { IncomingHttpHeaders } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';

export interface InboundCredentials {
  key?: string;
  /** Every key the request carried, in the order read (the first is `key`). */
  keys?: string[];
  /** SHA-256 of the key, kept on disk instead of it where only a map lookup needs it. */
  keyId?: string;
  /** Weave's project_id header (ENTITY/PROJECT). */
  project?: string;
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() !== '' ? s.trim() : undefined;
}

/** The key in Authorization: Basic (the password part, as Weave's api:KEY) or Bearer. */
function authorizationKey(h: IncomingHttpHeaders): string | undefined {
  const m = header(h, 'authorization')?.match(/^(\w+)\s+(.+)$/);
  if (m && m[1].toLowerCase() === 'basic') {
    const decoded = Buffer.from(m[2], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return (colon >= 0 ? decoded.slice(colon + 1) : decoded) || undefined;
  }
  if (m && m[1].toLowerCase() === 'bearer') return m[2];
  return undefined;
}

/** wandb-api-key, x-api-key, then Authorization: the first is the caller's key. */
export function extractInbound(h: IncomingHttpHeaders): InboundCredentials {
  const out: InboundCredentials = {};
  const project = header(h, 'project_id') ?? header(h, 'project-id');
  if (project) out.project = project;
  const keys = [header(h, 'wandb-api-key'), header(h, 'x-api-key'), authorizationKey(h)].filter((k): k is string => k !== undefined);
  const unique = [...new Set(keys)];
  if (unique.length) {
    out.key = unique[0];
    out.keys = unique;
  }
  return out;
}

/** Header names that carry secrets: never logged, never echoed. */
export const SECRET_HEADERS = ['authorization', 'x-api-key', 'wandb-api-key', 'proxy-authorization', 'cookie'];

const digest = (key: string) => createHash('sha256').update(key).digest();
/** Each key list's digests, computed once per list (the config's). */
const digests = new WeakMap<readonly string[], Buffer[]>();

/**
 * Whether `key` is one of the proxy's own `keys`, in constant time: SHA-256 digests (one length
 * whatever the key's) compared with timingSafeEqual, against every key even after a match.
 */
export function isInboundKey(keys: readonly string[], key: string): boolean {
  let table = digests.get(keys);
  if (!table) digests.set(keys, (table = keys.map(digest)));
  const d = digest(key);
  let found = false;
  for (const k of table) found = timingSafeEqual(k, d) || found;
  return found;
}
