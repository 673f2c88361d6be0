// Dead letters on NATS JetStream: one subject per upstream in a stream of their own, so any
// replica (and `tracebridge deadletter --nats`) lists, replays and purges them. Each holds the
// copy as prepared for its upstream (the queue file's format, no upstream key in it) and a note
// with the reason, as the local dead-letter folder does.
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager, MsgRequest, StoredMsg } from '@nats-io/jetstream';
import type { Delivery } from './prepare.js';
import { deserialise, serialise } from './spool.js';

const NOTE = 'Tb-Note';

export interface NatsDead {
  upstream: string;
  /** The stream sequence: the dead letter's id. */
  id: string;
  reason: Record<string, unknown>;
  delivery(): Delivery;
}

interface Where {
  deadStream: string;
  deadSubject(upstream: string): string;
}

/** Keeps a copy an upstream refused for good, or gave up on; resolves once JetStream stored it. */
export async function publishDeadLetter(js: JetStreamClient, where: Where, d: Delivery, note: Record<string, unknown>): Promise<void> {
  const h = natsHeaders();
  h.set(NOTE, JSON.stringify({ ...note, at: new Date().toISOString() }));
  await js.publish(where.deadSubject(d.upstream), Buffer.concat(serialise(d)), { headers: h });
}

function toDead(m: StoredMsg): NatsDead {
  const upstream = m.subject.slice(m.subject.lastIndexOf('.') + 1);
  let reason: Record<string, unknown> = {};
  try {
    reason = JSON.parse(m.header.get(NOTE)) as Record<string, unknown>;
  } catch {
    /* a note that does not parse shows as no reason */
  }
  return { upstream, id: String(m.seq), reason, delivery: () => deserialise(upstream, Buffer.from(m.data)) };
}

/** Every dead letter (one upstream's, given its name), oldest first. */
export async function listNatsDead(jsm: JetStreamManager, where: Where, upstream?: string): Promise<NatsDead[]> {
  // No stream yet: no proxy has run with this stream name, so nothing was dead-lettered.
  const info = await jsm.streams.info(where.deadStream).catch(() => undefined);
  const out: NatsDead[] = [];
  if (!info || info.state.messages === 0) return out;
  const subject = upstream ? where.deadSubject(upstream) : where.deadSubject('*');
  let seq = info.state.first_seq;
  // next_by_subj: one request per dead letter, skipping the gaps left by replayed ones.
  for (;;) {
    // The server takes next_by_subj (2.9+); the client's type for this call leaves it out.
    const query = { seq, next_by_subj: subject } as unknown as MsgRequest;
    const m = await jsm.streams.getMessage(where.deadStream, query).catch(() => null);
    if (!m) break;
    out.push(toDead(m));
    seq = m.seq + 1;
  }
  return out;
}

export async function removeNatsDead(jsm: JetStreamManager, where: Where, id: string): Promise<void> {
  await jsm.streams.deleteMessage(where.deadStream, Number(id), false);
}

/** Dead letters per upstream, for /status and /metrics. */
export async function deadCounts(jsm: JetStreamManager, where: Where): Promise<Record<string, number>> {
  const info = await jsm.streams.info(where.deadStream, { subjects_filter: where.deadSubject('*') });
  const out: Record<string, number> = {};
  for (const [subject, n] of Object.entries(info.state.subjects ?? {})) out[subject.slice(subject.lastIndexOf('.') + 1)] = n;
  return out;
}
