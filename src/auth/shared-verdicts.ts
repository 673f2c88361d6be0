// Key verdicts shared by every replica through a JetStream key-value bucket: what an upstream
// said of a caller's key (accepted, refused), stored as the hash KeyVerdicts keys it by, never
// the key. Each replica mirrors the bucket in memory with a watch, so checking a key stays a
// lookup; a key refused through one replica is refused (401) by all of them.
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { KeyVerdicts, VERDICT_TTL_MS, type KeyVerdict } from '../receive/admission.js';
import type { Logger } from '../observe/log.js';

/** A KV key holds base64url, not base64 (`+` and `/` are not allowed in keys). */
const toKey = (id: string) => id.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromKey = (key: string) => {
  const b64 = key.replace(/-/g, '+').replace(/_/g, '/');
  return b64 + '='.repeat((4 - (b64.length % 4)) % 4);
};

interface Stored {
  verdict: KeyVerdict;
  at: number;
}

export class SharedVerdicts extends KeyVerdicts {
  private kv: KV | undefined;
  private stopWatch: (() => void) | undefined;

  constructor(private readonly log: Logger) {
    super();
  }

  /** Opens (or creates) the bucket and mirrors it, from what it already holds on. */
  async open(nc: NatsConnection, bucket: string, replicas: number): Promise<void> {
    this.kv = await new Kvm(nc).create(bucket, { replicas, history: 1, ttl: VERDICT_TTL_MS.accepted });
    const watch = await this.kv.watch({ key: '>' });
    this.stopWatch = () => watch.stop();
    void (async () => {
      for await (const e of watch) if (e.operation === 'PUT') this.learnShared(e.key, e.string());
    })().catch((err: Error) => this.log.warn({ err: err.message }, 'stopped following the shared key verdicts'));
  }

  private learnShared(key: string, value: string): void {
    let s: Stored;
    try {
      s = JSON.parse(value) as Stored;
    } catch {
      return;
    }
    if (s.verdict !== 'accepted' && s.verdict !== 'refused') return;
    // Trusted for what is left of its time since it was learned, wherever that was.
    const left = VERDICT_TTL_MS[s.verdict] - (Date.now() - s.at);
    if (left > 0) this.remember(fromKey(key), s.verdict, left);
  }

  override set(upstream: string, key: string, verdict: KeyVerdict): void {
    super.set(upstream, key, verdict);
    const value = JSON.stringify({ verdict, at: Date.now() } satisfies Stored);
    this.kv?.put(toKey(this.id(upstream, key)), value).catch((err: Error) => this.log.warn({ err: err.message }, 'cannot share a key verdict; this replica keeps it'));
  }

  close(): void {
    this.stopWatch?.();
  }
}
