// The connections one upstream is reached through: a pool of kept-alive connections to its
// origin, with its TLS settings, directly or through an HTTP proxy (its proxyUrl, or the
// environment's HTTPS_PROXY / HTTP_PROXY less NO_PROXY).
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { Pool, ProxyAgent, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/schema.js';

/** Connections per upstream at most: its queue workers, and ack: upstream's direct sends, share them. */
const CONNECTIONS = 64;

interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  rejectUnauthorized: boolean;
}

/** Files are read now: a missing one stops the start with its path, not each request later. */
function tlsOptions(u: UpstreamConfig): TlsOptions {
  const t = u.tls;
  const read = (field: 'ca' | 'cert' | 'key') => {
    const path = t?.[field];
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`upstream "${u.name}": cannot read tls.${field} (${path}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  return { ca: read('ca'), cert: read('cert'), key: read('key'), servername: t?.serverName, rejectUnauthorized: !t?.insecureSkipVerify };
}

/** Whether a NO_PROXY entry (a name, .suffix, *.suffix, an address, a CIDR range, each with an optional :port) covers a host. */
function covers(entry: string, host: string, port: number): boolean {
  if (entry === '*') return true;
  const cidr = entry.match(/^\[?([0-9a-f.:]+)\]?\/(\d{1,3})$/);
  if (cidr) {
    const family = isIP(cidr[1]) === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(cidr[1]) || isIP(host) !== (family === 'ipv6' ? 6 : 4)) return false;
    const list = new BlockList();
    list.addSubnet(cidr[1], Number(cidr[2]), family);
    return list.check(host, family);
  }
  // "[::1]:8080", "::1", "host:8080", "host"
  const m = entry.match(/^\[([^\]]+)\](?::(\d+))?$/) ?? (isIP(entry) === 6 ? [entry, entry] : entry.match(/^([^:]+)(?::(\d+))?$/));
  if (!m) return false;
  if (m[2] && Number(m[2]) !== port) return false;
  const name = m[1].replace(/^\*/, '').replace(/^\./, '');
  return host === name || host.endsWith('.' + name);
}

const isLoopback = (host: string) => host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1';

/** A proxy URL as the environment may give it: "proxy:3128" means http://proxy:3128. */
function proxyUrlOf(value: string, name: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  // The value may hold a password: never repeated in the message.
  if (!URL.canParse(withScheme) || !/^https?:$/.test(new URL(withScheme).protocol)) throw new Error(`${name} is not an http(s) proxy URL`);
  return withScheme;
}

/**
 * The proxy the environment names for this URL, as Go's (and the Collector's) rules read it:
 * HTTPS_PROXY for https, HTTP_PROXY for http (lower-case names first), none for a loopback host
 * or a host NO_PROXY covers.
 */
export function envProxy(url: URL, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const https = url.protocol === 'https:';
  const [name, value] = https ? pick(env, 'https_proxy', 'HTTPS_PROXY') : pick(env, 'http_proxy', 'HTTP_PROXY');
  if (!value) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = Number(url.port) || (https ? 443 : 80);
  if (isLoopback(host)) return undefined;
  const noProxy = pick(env, 'no_proxy', 'NO_PROXY')[1] ?? '';
  for (const entry of noProxy.toLowerCase().split(/[\s,]+/)) if (entry && covers(entry, host, port)) return undefined;
  return proxyUrlOf(value, name);
}

function pick(env: NodeJS.ProcessEnv, lower: string, upper: string): [string, string | undefined] {
  return env[lower] ? [lower, env[lower]] : [upper, env[upper]];
}

export function dispatcherFor(u: UpstreamConfig, url: URL, env: NodeJS.ProcessEnv = process.env): Dispatcher {
  const tls = tlsOptions(u);
  const proxy = u.proxyUrl ?? envProxy(url, env);
  // Through a proxy, the tunnel's own TLS (to the upstream) takes the upstream's settings.
  if (proxy) return new ProxyAgent({ uri: proxy, connections: CONNECTIONS, requestTls: tls });
  return new Pool(url.origin, { connections: CONNECTIONS, connect: tls });
}
