// The credential a client sent, whichever backend's scheme it used.
import type { IncomingHttpHeaders } from 'node:http';

export interface InboundCredentials {
  key?: string;
  /** Weave's project_id header (ENTITY/PROJECT). */
  project?: string;
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s.trim() !== '' ? s.trim() : undefined;
}

/** wandb-api-key, x-api-key, Authorization Basic (the password part, as Weave's api:KEY) or Bearer. */
export function extractInbound(h: IncomingHttpHeaders): InboundCredentials {
  const out: InboundCredentials = {};
  const project = header(h, 'project_id') ?? header(h, 'project-id');
  if (project) out.project = project;
  out.key = header(h, 'wandb-api-key') ?? header(h, 'x-api-key');
  if (!out.key) {
    const auth = header(h, 'authorization');
    const m = auth?.match(/^(\w+)\s+(.+)$/);
    if (m && m[1].toLowerCase() === 'basic') {
      const decoded = Buffer.from(m[2], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const key = colon >= 0 ? decoded.slice(colon + 1) : decoded;
      if (key) out.key = key;
    } else if (m && m[1].toLowerCase() === 'bearer') out.key = m[2];
  }
  if (!out.key) delete out.key;
  return out;
}

/** Header names that carry secrets: never logged, never echoed. */
export const SECRET_HEADERS = ['authorization', 'x-api-key', 'wandb-api-key', 'proxy-authorization', 'cookie'];
