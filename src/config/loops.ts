// An upstream that is tracebridge's own listener would send every batch back to itself: refused
// at start-up. And a hop header on every request sent, so a loop the addresses do not show (a
// Service, a proxy, a DNS name in front of this very process) is refused when it comes back.
import { lookup } from 'node:dns/promises';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { Config } from './schema.js';

export const HOP_HEADER = 'x-tracebridge-hop';

/** This process's id in the hop header (a new one per start). */
const INSTANCE_ID = randomUUID();

/** Adds this process's id to what every sending upstream sends (configured headers go out at send time). */
export function addHopHeader(config: Config): void {
  for (const u of config.upstreams) if (u.type !== 'sink') u.headers = { ...u.headers, [HOP_HEADER]: INSTANCE_ID };
}

/** Whether a request carries this process's own id: it went out of here and came back. */
export function cameBack(headers: IncomingHttpHeaders): boolean {
  const v = headers[HOP_HEADER];
  const ids = (Array.isArray(v) ? v.join(',') : (v ?? '')).split(',').map((s) => s.trim());
  return ids.includes(INSTANCE_ID);
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);
const isLoopback = (a: string) => a.startsWith('127.') || a === '::1' || a === '::ffff:127.0.0.1';

async function addresses(host: string): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  try {
    return (await lookup(bare, { all: true })).map((a) => a.address);
  } catch {
    return []; // a name that does not resolve here cannot be this process either
  }
}

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}

/** Whether `addr:port` reaches a listener bound to `host:port`. */
async function reaches(addr: string, listener: { host: string; port: number }): Promise<boolean> {
  if (WILDCARD.has(listener.host)) return isLoopback(addr) || localAddresses().has(addr);
  return (await addresses(listener.host)).includes(addr);
}

/** One line per upstream that points at one of tracebridge's own receivers. */
export async function selfLoops(config: Config): Promise<string[]> {
  const listeners = [
    { name: 'OTLP/HTTP', flag: '--listen', ...config.listen },
    ...(config.grpcListen === 'off' ? [] : [{ name: 'OTLP/gRPC', flag: '--grpc-listen', ...config.grpcListen }]),
  ].filter((l) => l.port !== 0);
  const problems: string[] = [];
  for (const u of config.upstreams) {
    if (u.type === 'sink' || !u.url) continue;
    const url = new URL(u.url);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const addrs = await addresses(url.hostname);
    for (const l of listeners.filter((x) => x.port === port)) {
      if (!(await Promise.all(addrs.map((a) => reaches(a, l)))).some(Boolean)) continue;
      problems.push(
        `upstream "${u.name}" (${url.origin}) is tracebridge's own ${l.name} receiver (${l.host}:${l.port}): every batch would come back to it. ` +
          (u.type === 'otlp'
            ? 'OTEL_EXPORTER_OTLP_ENDPOINT is what your apps use to reach tracebridge; give tracebridge its backend with --otlp URL (TRACEBRIDGE_OTLP_URL), or unset the variable in its environment'
            : `point the upstream at the backend, or move tracebridge with ${l.flag}`),
      );
      break;
    }
  }
  return problems;
}
