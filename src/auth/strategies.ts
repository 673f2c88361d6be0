// Which key (and Weave project) each upstream gets for a request, and the headers that carry it.
// A key goes only where the config says it may: see README, "Credentials".
import type { UpstreamConfig } from '../config/schema.js';
import type { InboundCredentials } from './inbound.js';

export interface Credentials {
  key?: string;
  project?: string;
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
      return { key: a.key, project };
    case 'passthrough':
      if (!inbound.key) throw new CredentialError(`no API key in the request (upstream "${u.name}" takes the caller's key)`);
      return { key: inbound.key, project };
    case 'map': {
      const entry = inbound.key ? a.keys?.[inbound.key] : undefined;
      if (!entry) throw new CredentialError(inbound.key ? 'API key not recognised' : 'no API key in the request');
      return { key: entry.key, project: entry.project ?? project };
    }
    case 'auto': {
      // One upstream: a drop-in endpoint swap, the caller's key goes on in this upstream's scheme.
      const key = upstreamCount === 1 ? (inbound.key ?? a.key) : a.key;
      if (!key && u.type !== 'otlp') throw new CredentialError(`no API key in the request and none configured for upstream "${u.name}"`);
      return { key, project };
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
