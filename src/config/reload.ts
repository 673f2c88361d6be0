// A new configuration applied to a running proxy (SIGHUP): what can change in place does, into
// the very objects the receivers and senders read (upstream keys, inbound keys, the log level,
// the key tables); what needs new listeners, queues or senders is named and left as it was.
import { isDeepStrictEqual } from 'node:util';
import type { Config, UpstreamConfig } from './schema.js';

interface ReloadPlan {
  /** What the new configuration changes in place. */
  changed: string[];
  /** What it changes that only a restart applies (kept as it was). */
  restart: string[];
}

/** An upstream's settings besides its credential: changing them needs a new sender and queue. */
function fixedPart(u: UpstreamConfig): unknown {
  const { auth, ...rest } = u;
  return { ...rest, mode: auth.mode, header: auth.header };
}

function upstreamChanges(current: Config, next: Config, plan: ReloadPlan): Array<[UpstreamConfig, UpstreamConfig]> {
  const names = (c: Config) => c.upstreams.map((u) => u.name).join(',');
  if (names(current) !== names(next)) {
    plan.restart.push(`upstreams (${names(current)} → ${names(next)})`);
    return [];
  }
  const swaps: Array<[UpstreamConfig, UpstreamConfig]> = [];
  next.upstreams.forEach((n, i) => {
    const c = current.upstreams[i];
    if (!isDeepStrictEqual(fixedPart(c), fixedPart(n))) plan.restart.push(`upstream ${c.name} (url, type, mode, headers, queue or retry)`);
    else if (!isDeepStrictEqual(c.auth, n.auth)) {
      plan.changed.push(`upstream ${c.name} keys`);
      swaps.push([c, n]);
    }
  });
  return swaps;
}

/**
 * Receiver TLS: other paths apply in place (the receivers read the files again at every reload);
 * turning TLS, or client certificates, on or off needs new listeners.
 */
function tlsChange(current: Config, next: Config, plan: ReloadPlan): void {
  if (isDeepStrictEqual(current.tls, next.tls)) return;
  if (!current.tls || !next.tls || !current.tls.clientCa !== !next.tls.clientCa) return void plan.restart.push('tls (turned on or off, or clientCa)');
  const { reloadIntervalMs: was, ...files } = current.tls;
  const { reloadIntervalMs: now, ...nextFiles } = next.tls;
  // The files' watch keeps the interval it started with.
  if (was !== now) plan.restart.push('tls.reloadIntervalMs');
  if (isDeepStrictEqual(files, nextFiles)) return;
  current.tls = was === undefined ? nextFiles : { ...nextFiles, reloadIntervalMs: was };
  plan.changed.push('tls files');
}

const IN_PLACE = new Set(['inboundKeys', 'logLevel', 'mappings', 'upstreams', 'tls']);

/**
 * Applies `next` to `current` where it can be applied in place; `setMappings` takes new key
 * tables (translation in worker threads keeps the old ones until a restart).
 */
export function applyReload(current: Config, next: Config, setMappings: (m: Config['mappings']) => void): ReloadPlan {
  const plan: ReloadPlan = { changed: [], restart: [] };
  for (const k of Object.keys(next) as Array<keyof Config>) if (!IN_PLACE.has(k) && !isDeepStrictEqual(current[k], next[k])) plan.restart.push(k);
  const swaps = upstreamChanges(current, next, plan);
  // The senders and admission read these objects at each request: a new key is used from now on,
  // for batches already queued too (queue files refer to a configured key, never hold it).
  for (const [c, n] of swaps) c.auth = n.auth;
  if (!isDeepStrictEqual(current.inboundKeys, next.inboundKeys)) {
    current.inboundKeys = next.inboundKeys;
    plan.changed.push('inboundKeys');
  }
  tlsChange(current, next, plan);
  if (current.logLevel !== next.logLevel) {
    current.logLevel = next.logLevel;
    plan.changed.push('logLevel');
  }
  if (!isDeepStrictEqual(current.mappings, next.mappings)) {
    if (current.workers > 0) plan.restart.push('mappings (translated in worker threads)');
    else {
      current.mappings = next.mappings;
      setMappings(next.mappings);
      plan.changed.push('mappings');
    }
  }
  return plan;
}
