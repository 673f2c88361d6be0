// `tracebridge deadletter list|replay|purge`: batches an upstream refused for good (or that ran
// out of retries or time), kept with the reason so a user can fix the cause and resend them.
import { existsSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { dataDirFrom, loadConfig, type Flags } from '../config/load.js';
import type { UpstreamConfig } from '../config/schema.js';
import { authHeaders } from '../auth/strategies.js';
import { SECRET_HEADERS } from '../auth/inbound.js';
import type { Delivery } from '../forward/prepare.js';
import { senderFor } from '../forward/sender.js';
import { deserialise } from '../forward/spool.js';
import { escapeControl } from '../inspect/escape.js';
import { mergeDeliveries } from './merge.js';
import { UsageError } from './usage.js';
import { parseOrEmpty } from '../forward/spills.js';
import { natsOf, withNatsDead } from './deadletter-nats.js';

export interface Dead {
  upstream: string;
  id: string;
  path: string;
  reason: Record<string, unknown>;
}

/** Where dead letters are kept: the data dir's folders, or JetStream (deadletter-nats.ts). */
export interface DeadStore {
  read(d: Dead): Promise<Delivery>;
  remove(d: Dead): Promise<void>;
}

const folders: DeadStore = {
  read: async (d) => deserialise(d.upstream, await readFile(d.path)),
  remove: (d) => remove(d),
};

async function listDead(dataDir: string, upstream?: string): Promise<Dead[]> {
  const root = join(dataDir, 'deadletter');
  const ups = upstream ? [upstream] : (await readdir(root).catch(() => [] as string[])).sort();
  const out: Dead[] = [];
  for (const u of ups) {
    const files = (await readdir(join(root, u)).catch(() => [] as string[])).filter((f) => f.endsWith('.batch')).sort();
    for (const f of files) {
      const id = f.slice(0, -'.batch'.length);
      const reason = parseOrEmpty(await readFile(join(root, u, id + '.json'), 'utf8').catch(() => '{}')) as Record<string, unknown>;
      out.push({ upstream: u, id, path: join(root, u, f), reason });
    }
  }
  return out;
}

async function remove(d: Dead): Promise<void> {
  await unlink(d.path).catch(() => undefined);
  await unlink(d.path.replace(/\.batch$/, '.json')).catch(() => undefined);
}

export interface DeadLetterOptions extends Flags {
  upstream?: string;
  id?: string;
  /** replay: at most this many spans per request (500). */
  batch?: number;
  /** purge: do not ask before deleting every upstream's. */
  yes?: boolean;
}

/** The upstreams a data dir has seen (their folders) and the config names. */
async function knownUpstreams(dataDir: string, o: DeadLetterOptions): Promise<string[]> {
  const names = new Set<string>();
  for (const sub of ['queue', 'deadletter', 'delivered']) for (const n of await readdir(join(dataDir, sub)).catch(() => [] as string[])) names.add(n);
  try {
    for (const u of loadConfig(o).upstreams) if (u.type !== 'sink') names.add(u.name);
  } catch {
    /* a config that does not load names nothing; its folders still do */
  }
  return [...names].sort();
}

/** The dead letters a command acts on: --upstream and --id narrow them; a wrong data dir or upstream is the user's to fix. */
async function selected(dataDir: string, o: DeadLetterOptions, command: string): Promise<Dead[]> {
  if (!existsSync(dataDir)) throw new UsageError(`no data dir at ${dataDir}: give the proxy's --data-dir or --config`, command);
  if (o.upstream) {
    const known = await knownUpstreams(dataDir, o);
    if (!known.includes(o.upstream)) throw new UsageError(`no upstream "${o.upstream}" in ${dataDir} (known: ${known.join(', ') || 'none'})`, command);
  }
  return (await listDead(dataDir, o.upstream)).filter((d) => !o.id || d.id === o.id);
}

const spansOf = (dead: Dead[]) => dead.reduce((n, d) => n + Number(d.reason.spans ?? 0), 0);

function list(dead: Dead[], out: (line: string) => void): number {
  if (!dead.length) return (out('no dead letters'), 0);
  out(['UPSTREAM', 'ID', 'SPANS', 'AT', 'REASON'].join('\t'));
  // Names and replies come from files and upstreams: escaped, so they cannot drive the terminal.
  const text = (v: unknown) => escapeControl(String(v ?? ''));
  for (const d of dead) {
    const reply = d.reason.response ? ` ${String(d.reason.response).slice(0, 120)}` : '';
    out([d.upstream, d.id, String(d.reason.spans ?? '?'), String(d.reason.at ?? ''), String(d.reason.reason ?? '') + reply].map(text).join('\t'));
  }
  return 0;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

async function purge(dead: Dead[], o: DeadLetterOptions, out: (line: string) => void, store: DeadStore): Promise<number> {
  const everything = !o.upstream && !o.id;
  if (everything && dead.length && !o.yes) {
    const what = `all ${dead.length} dead letters (${spansOf(dead)} spans) of every upstream`;
    if (!process.stdin.isTTY) throw new UsageError(`deadletter purge would delete ${what}: add --yes, or --upstream NAME for one upstream's`, 'deadletter purge');
    if (!(await confirm(`delete ${what}? [y/N] `))) return (out('nothing purged'), 1);
  }
  for (const d of dead) await store.remove(d);
  out(`purged ${dead.length} batches (${spansOf(dead)} spans)`);
  return 0;
}

/** Resend with the upstream's current key when one is configured (the usual fix for a 401). */
function withCurrentKey(u: UpstreamConfig, delivery: Delivery): Delivery {
  if (!u.auth.key) return delivery;
  const project = delivery.credential?.project ?? delivery.requests[0]?.headers.project_id ?? u.project;
  for (const r of delivery.requests) for (const h of SECRET_HEADERS) delete r.headers[h];
  if (delivery.credential) delivery.credential = { ref: 'config', ...(project ? { project } : {}) };
  else for (const r of delivery.requests) Object.assign(r.headers, authHeaders(u, { key: u.auth.key, project }));
  return delivery;
}

async function replay(dead: Dead[], o: DeadLetterOptions, out: (line: string) => void, store: DeadStore): Promise<number> {
  const config = loadConfig(o);
  let delivered = 0;
  let failed = 0;
  const loaded: Array<{ dead: Dead; delivery: Delivery }> = [];
  for (const d of dead) {
    const u = config.upstreams.find((x) => x.name === d.upstream);
    if (!u) {
      out(`${escapeControl(d.upstream)}/${d.id}: no upstream named "${escapeControl(d.upstream)}" in the configuration; kept`);
      failed++;
      continue;
    }
    loaded.push({ dead: d, delivery: withCurrentKey(u, await store.read(d)) });
  }
  for (const group of mergeDeliveries(loaded, o.batch ?? 500)) {
    const u = config.upstreams.find((x) => x.name === group.delivery.upstream)!;
    const result = await senderFor(u).send(group.delivery);
    const what = `${escapeControl(u.name)}: ${group.members.length} ${group.members.length === 1 ? `batch (${group.members[0].id})` : 'batches'}, ${group.delivery.spans} spans`;
    if (result.kind === 'delivered') {
      for (const d of group.members) await store.remove(d);
      delivered += group.members.length;
      out(`${what}: delivered`);
    } else {
      failed += group.members.length;
      const why = result.kind === 'rejected' ? `HTTP ${result.status} ${result.body.slice(0, 120)}`.trim() : result.kind === 'gave-up' ? result.reason : result.kind;
      out(`${what}: still failing (${escapeControl(why)}); kept`);
    }
  }
  out(`replayed ${dead.length} batches: ${delivered} delivered, ${failed} kept`);
  return failed ? 1 : 0;
}

export async function deadletter(action: string, o: DeadLetterOptions, out: (line: string) => void): Promise<number> {
  if (!['list', 'purge', 'replay'].includes(action)) throw new UsageError(`unknown deadletter action "${action}": list, replay or purge`, 'deadletter');
  const nats = natsOf(o);
  if (nats) return withNatsDead(nats, o, `deadletter ${action}`, (dead, store) => act(action, dead, o, out, store));
  return act(action, await selected(dataDirFrom(o), o, `deadletter ${action}`), o, out, folders);
}

function act(action: string, dead: Dead[], o: DeadLetterOptions, out: (line: string) => void, store: DeadStore): Promise<number> | number {
  if (action === 'list') return list(dead, out);
  if (action === 'purge') return purge(dead, o, out, store);
  return replay(dead, o, out, store);
}
