// `tracebridge deadletter … --nats URL`: the dead letters every replica keeps in JetStream, read
// and acted on from anywhere that reaches NATS (no data dir needed).
import { jetstreamManager } from '@nats-io/jetstream';
import { loadConfig } from '../config/load.js';
import { listNatsDead, removeNatsDead, type NatsDead } from '../forward/jetstream-deadletters.js';
import { connectNats, natsNames, type NatsConfig } from '../receive/jetstream-log.js';
import type { Dead, DeadLetterOptions, DeadStore } from './deadletter.js';
import { UsageError } from './usage.js';

/** NATS as the config would give it (--nats over TRACEBRIDGE_NATS_URL over the file), if any. */
export function natsOf(o: DeadLetterOptions): NatsConfig | undefined {
  const urls = o.nats ?? process.env.TRACEBRIDGE_NATS_URL;
  let fromConfig: NatsConfig | undefined;
  try {
    fromConfig = loadConfig(o).nats;
  } catch {
    // A config that does not load (replay names the problem) still leaves --nats.
  }
  if (!urls) return fromConfig;
  const servers = urls
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { stream: 'tracebridge', ...fromConfig, servers };
}

/** Connects, selects the dead letters (--upstream, --id), runs `action` on them, disconnects. */
export async function withNatsDead(nats: NatsConfig, o: DeadLetterOptions, command: string, action: (dead: Dead[], store: DeadStore) => Promise<number> | number): Promise<number> {
  let nc;
  try {
    nc = await connectNats(nats, undefined, true);
  } catch (err) {
    throw new UsageError(`cannot reach NATS at ${nats.servers.join(', ')}: ${(err as Error).message}`, command);
  }
  try {
    const jsm = await jetstreamManager(nc);
    const where = natsNames(nats);
    const found = (await listNatsDead(jsm, where, o.upstream)).filter((d) => !o.id || d.id === o.id);
    const byId = new Map<string, NatsDead>(found.map((d) => [d.id, d]));
    const dead: Dead[] = found.map((d) => ({ upstream: d.upstream, id: d.id, path: `${where.deadStream}#${d.id}`, reason: d.reason }));
    const store: DeadStore = {
      read: async (d) => byId.get(d.id)!.delivery(),
      remove: (d) => removeNatsDead(jsm, where, d.id),
    };
    return await action(dead, store);
  } finally {
    await nc.close();
  }
}
