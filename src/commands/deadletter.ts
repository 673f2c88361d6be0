// `tracebridge deadletter list|replay|purge`: batches an upstream refused for good (or that ran
// out of retries or time), kept with the reason so a user can fix the cause and resend them.
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { dataDirFrom, loadConfig, type Flags } from '../config/load.js';
import { authHeaders } from '../auth/strategies.js';
import { SECRET_HEADERS } from '../auth/inbound.js';
import { httpSender } from '../forward/sender.js';
import { deserialise } from '../forward/spool.js';

interface Dead {
  upstream: string;
  id: string;
  path: string;
  reason: Record<string, unknown>;
}

async function listDead(dataDir: string, upstream?: string): Promise<Dead[]> {
  const root = join(dataDir, 'deadletter');
  const ups = upstream ? [upstream] : await readdir(root).catch(() => [] as string[]);
  const out: Dead[] = [];
  for (const u of ups) {
    const files = (await readdir(join(root, u)).catch(() => [] as string[])).filter((f) => f.endsWith('.batch')).sort();
    for (const f of files) {
      const id = f.slice(0, -'.batch'.length);
      const reason = JSON.parse(await readFile(join(root, u, id + '.json'), 'utf8').catch(() => '{}'));
      out.push({ upstream: u, id, path: join(root, u, f), reason });
    }
  }
  return out;
}

async function remove(d: Dead): Promise<void> {
  await unlink(d.path).catch(() => undefined);
  await unlink(d.path.replace(/\.batch$/, '.json')).catch(() => undefined);
}

interface DeadLetterOptions extends Flags {
  upstream?: string;
  id?: string;
}

/** The dead letters a command acts on: --upstream and --id narrow them. */
async function selected(dataDir: string, o: DeadLetterOptions): Promise<Dead[]> {
  return (await listDead(dataDir, o.upstream)).filter((d) => !o.id || d.id === o.id);
}

export async function deadletter(action: string, o: DeadLetterOptions, out: (line: string) => void): Promise<number> {
  switch (action) {
    case 'list': {
      const dead = await selected(dataDirFrom(o), o);
      if (!dead.length) {
        out('no dead letters');
        return 0;
      }
      out(['UPSTREAM', 'ID', 'SPANS', 'AT', 'REASON'].join('\t'));
      for (const d of dead)
        out(
          [
            d.upstream,
            d.id,
            String(d.reason.spans ?? '?'),
            String(d.reason.at ?? ''),
            String(d.reason.reason ?? '') + (d.reason.response ? ` ${String(d.reason.response).slice(0, 120)}` : ''),
          ].join('\t'),
        );
      return 0;
    }
    case 'purge': {
      const dead = await selected(dataDirFrom(o), o);
      for (const d of dead) await remove(d);
      out(`purged ${dead.length} batches (${dead.reduce((n, d) => n + Number(d.reason.spans ?? 0), 0)} spans)`);
      return 0;
    }
    case 'replay': {
      const config = loadConfig(o);
      const dead = await selected(config.dataDir, o);
      let delivered = 0;
      let failed = 0;
      for (const d of dead) {
        const u = config.upstreams.find((x) => x.name === d.upstream);
        if (!u) {
          out(`${d.upstream}/${d.id}: no upstream named "${d.upstream}" in the configuration; kept`);
          failed++;
          continue;
        }
        const delivery = deserialise(u.name, await readFile(d.path));
        // Resend with the upstream's current key when one is configured (the usual fix for a 401).
        if (u.auth.key) {
          const project = delivery.credential?.project ?? delivery.requests[0]?.headers.project_id ?? u.project;
          for (const r of delivery.requests) for (const h of SECRET_HEADERS) delete r.headers[h];
          if (delivery.credential) delivery.credential = { ref: 'config', ...(project ? { project } : {}) };
          else for (const r of delivery.requests) Object.assign(r.headers, authHeaders(u, { key: u.auth.key, project }));
        }
        const result = await httpSender(u).send(delivery);
        if (result.kind === 'delivered') {
          await remove(d);
          delivered++;
          out(`${d.upstream}/${d.id}: delivered (${delivery.spans} spans)`);
        } else {
          failed++;
          out(`${d.upstream}/${d.id}: still failing (${result.kind === 'rejected' ? `HTTP ${result.status}` : result.kind === 'gave-up' ? result.reason : result.kind}); kept`);
        }
      }
      out(`replayed ${dead.length} batches: ${delivered} delivered, ${failed} kept`);
      return failed ? 1 : 0;
    }
    default:
      throw new Error(`unknown deadletter action "${action}" (list, replay or purge)`);
  }
}
