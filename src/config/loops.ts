// An upstream that is tracebridge's own listener would send every batch back to itself: refused
// at start-up. And a hop list on every request sent, so a loop the addresses do not show (a
// Service, a proxy, a DNS name in front of this very process, or a second tracebridge that sends
// back here) is refused when it comes back: each instance sends the ids a request arrived with
// and its own.
import { lookup } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { isGrpc, type Config } from './schema.js';
import type { Delivery } from '../forward/prepare.js';

export const HOP_HEADER = 'x-tracebridge-hop';

/** Instances a request may have passed through: past this it is refused, wherever the loop is. */
const MAX_HOPS = 8;

/** This instance's id in the hop list: short (it goes on every request), new per start unless configured. */
let instanceId = randomBytes(6).toString('base64url');

/** The configured id (instanceId, TRACEBRIDGE_INSTANCE_ID), if any, replaces the random one. */
export function useInstanceId(config: Config): void {
  if (config.instanceId) instanceId = config.instanceId;
}

/** The ids of a hop header (one value or several, comma-separated). */
export function hopsIn(value: string | string[] | undefined): string[] {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** What a request that arrived with `carried` goes out with: those ids, then this instance's. */
export function hopsOut(carried: string | undefined): string {
  return [...hopsIn(carried), instanceId].join(',');
}

/** A copy keeps the hops its request arrived with, through the queue, for its sender to extend. */
export function carryHops(d: Delivery, hops: string[] | undefined): Delivery {
  if (hops?.length) for (const r of d.requests) r.headers[HOP_HEADER] = hops.join(',');
  return d;
}

/** Why a request with these hops is refused (it came back, or went round too far), if it is. */
export function loopOf(hops: string[]): { reason: 'loop' | 'too_many_hops'; message: string } | undefined {
  if (hops.includes(instanceId))
    return {
      reason: 'loop',
      message: `this request was sent by this tracebridge (${instanceId}) and came back to it through ${hops.join(' → ')} (${HOP_HEADER}): an upstream leads back here`,
    };
  if (hops.length > MAX_HOPS)
    return {
      reason: 'too_many_hops',
      message: `this request has passed ${hops.length} tracebridge instances (${HOP_HEADER}: ${hops.join(',')}), more than ${MAX_HOPS}: an upstream leads round in a loop`,
    };
  return undefined;
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

function defaultPort(url: URL, grpc: boolean): number {
  if (url.protocol === 'https:' || url.protocol === 'grpcs:') return 443;
  return grpc ? 4317 : 80;
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
    const origin = `${url.protocol}//${url.host}`;
    const port = Number(url.port || defaultPort(url, isGrpc(u)));
    const addrs = await addresses(url.hostname);
    for (const l of listeners.filter((x) => x.port === port)) {
      if (!(await Promise.all(addrs.map((a) => reaches(a, l)))).some(Boolean)) continue;
      problems.push(
        `upstream "${u.name}" (${origin}) is tracebridge's own ${l.name} receiver (${l.host}:${l.port}): every batch would come back to it. ` +
          (u.type === 'otlp'
            ? 'OTEL_EXPORTER_OTLP_ENDPOINT is what your apps use to reach tracebridge; give tracebridge its backend with --otlp URL (TRACEBRIDGE_OTLP_URL), or unset the variable in its environment'
            : `point the upstream at the backend, or move tracebridge with ${l.flag}`),
      );
      break;
    }
  }
  return problems;
}
