// Which key (and Weave project) each upstream gets for a request, and the headers that carry it.
// A key goes only where the config says it may: see README, "Credentials".
import type { UpstreamConfig } from '../config/schema.js';
import { createHash } from 'node:crypto';
import type { InboundCredentials } from './inbound.js';

export interface Credentials {
  key?: string;
  project?: string;
  /** Where the key came from: what a queue file stores instead of a configured key (see StoredCredential). */
  source?: 'config' | 'map' | 'caller';
  /** map: the hash of the inbound key that chose the entry. */
  mapId?: string;
}

/**
 * What a queue, journal or dead-letter file keeps of a credential: a reference to a configured
 * key (resolved again at send time), or the caller's own key when it is the one passed on.
 */
export interface StoredCredential {
  ref: 'config' | 'map' | 'caller' | 'none';
  /** map: SHA-256 of the inbound key, never the key. */
  id?: string;
  /** caller: the caller's key, which has no other home. */
  key?: string;
  project?: string;
}

export const keyId = (key: string) => createHash('sha256').update(key).digest('base64');

/** Each `map` table by the hashes of its inbound keys, computed once per table. */
const byId = new WeakMap<object, Map<string, { key: string; project?: string }>>();

/** The `map` entry an inbound key's hash stands for (queue files and the journal keep only the hash). */
function mapEntry(u: UpstreamConfig, id: string | undefined): { key: string; project?: string } | undefined {
  const keys = u.auth.keys;
  if (!keys || id === undefined) return undefined;
  let table = byId.get(keys);
  if (!table) byId.set(keys, (table = new Map(Object.entries(keys).map(([k, e]) => [keyId(k), e]))));
  return table.get(id);
}

export function storedCredential(c: Credentials): StoredCredential {
  const ref = c.key === undefined ? 'none' : (c.source ?? 'caller');
  const out: StoredCredential = { ref };
  if (ref === 'caller') out.key = c.key;
  if (ref === 'map') out.id = c.mapId;
  if (c.project !== undefined) out.project = c.project;
  return out;
}

/** The credential a stored reference stands for, with the upstream's configuration of now. */
export function resolveStored(u: UpstreamConfig, s: StoredCredential): Credentials {
  switch (s.ref) {
    case 'caller':
      return { key: s.key, project: s.project };
    case 'config':
      return { key: u.auth.key, project: s.project };
    case 'map': {
      const entry = mapEntry(u, s.id);
      if (!entry) throw new CredentialError(`upstream "${u.name}": the mapped key of a queued batch is no longer configured`);
      return { key: entry.key, project: s.project };
    }
    case 'none':
      return { project: s.project };
  }
}

export class CredentialError extends Error {
  override name = 'CredentialError';
  constructor(
    message: string,
    readonly status: 400 | 401 = 401,
  ) {
    super(message);
  }
}

export function resolveCredentials(u: UpstreamConfig, inbound: InboundCredentials, upstreamCount: number): Credentials {
  const a = u.auth;
  const project = inbound.project ?? u.project;
  if (u.type === 'sink') return { project }; // writes files: no credential goes anywhere
  switch (a.mode) {
    case 'none':
      return { project };
    case 'static':
      return { key: a.key, project, source: 'config' };
    case 'passthrough':
      if (!inbound.key) throw new CredentialError(`no API key in the request (upstream "${u.name}" takes the caller's key)`);
      return { key: inbound.key, project, source: 'caller' };
    case 'map': {
      // A journalled request keeps only the hash of the inbound key.
      const id = inbound.keyId ?? (inbound.key ? keyId(inbound.key) : undefined);
      const entry = inbound.key ? a.keys?.[inbound.key] : mapEntry(u, id);
      if (!entry) throw new CredentialError(inbound.key || id ? 'API key not recognised' : 'no API key in the request');
      return { key: entry.key, project: entry.project ?? project, source: 'map', mapId: id };
    }
    case 'auto': {
      // One upstream: a drop-in endpoint swap, the caller's key goes on in this upstream's scheme.
      const caller = upstreamCount === 1 ? inbound.key : undefined;
      const key = caller ?? a.key;
      if (!key && u.type !== 'otlp') throw new CredentialError(`no API key in the request and none configured for upstream "${u.name}"`);
      return { key, project, source: caller !== undefined ? 'caller' : 'config' };
    }
  }
}

export function authHeaders(u: UpstreamConfig, c: Credentials): Record<string, string> {
  const h: Record<string, string> = {};
  if (u.type === 'weave') {
    if (c.key) {
      h.authorization = 'Basic ' + Buffer.from('api:' + c.key).toString('base64');
      h['wandb-api-key'] = c.key;
    }
    if (c.project) h.project_id = c.project;
  } else if (u.type === 'langtrace') {
    if (c.key) h['x-api-key'] = c.key;
  } else if (u.type === 'otlp' && c.key) {
    const name = u.auth.header.toLowerCase();
    h[name] = name === 'authorization' ? `Bearer ${c.key}` : c.key;
  }
  return h;
}
