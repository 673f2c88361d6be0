// The durable layer on NATS JetStream (`--nats`): a request is answered once the stream
// acknowledged it (stored on a quorum), and every upstream's copy is delivered by its durable
// consumer, shared by every replica. Nothing is kept on this replica's disk.
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { SharedVerdicts } from '../auth/shared-verdicts.js';
import { JetStreamDelivery } from '../forward/jetstream-delivery.js';
import { deadCounts } from '../forward/jetstream-deadletters.js';
import { HttpError, RETRY_AFTER_S } from './admission.js';
import type { ProxyContext } from './context.js';
import type { Decoded, HandOff } from './handoff.js';
import { connectNats, ensureStreams, JetStreamLog, natsNames, persist, replicasOf } from './jetstream-log.js';
import type { ProcessInput } from './process.js';

/** A publish failure this recent keeps /readyz at 503 (a failure long past says nothing now). */
const FAILURE_MEMORY_MS = 10_000;
/** How long start-up waits for NATS before listening without it. */
const OPEN_WAIT_MS = 5_000;

export class JetStreamHandOff implements HandOff {
  private nc: NatsConnection | undefined;
  private jsm: JetStreamManager | undefined;
  private log: JetStreamLog | undefined;
  private deliveries: JetStreamDelivery[] = [];
  private connected = false;
  private failedAt = 0;
  /** The last depths read, shown while JetStream cannot be asked. */
  private lastDepths: Record<string, number> = {};

  constructor(
    private readonly ctx: ProxyContext,
    private readonly verdicts: SharedVerdicts,
  ) {}

  get idle(): boolean {
    return (this.log?.inFlight ?? 0) === 0 && this.deliveries.every((d) => d.busy === 0);
  }

  /**
   * Sets up JetStream (below). If NATS cannot be reached within OPEN_WAIT_MS the proxy listens
   * anyway, refusing requests with 503 and saying why on /readyz, and is ready once it is set up.
   */
  async open(): Promise<void> {
    const setUp = this.setUp();
    const timer = new AbortController();
    const waited = sleep(OPEN_WAIT_MS, false, { signal: timer.signal }).catch(() => true);
    const done = await Promise.race([setUp.then(() => true), waited]);
    timer.abort();
    if (done) return;
    this.ctx.log.warn({ servers: this.ctx.config.nats!.servers }, 'NATS JetStream not reachable yet: listening, and refusing requests (503) until it is');
    setUp.catch((err: Error) => this.ctx.log.error({ err: err.message }, 'cannot set up JetStream; requests are refused (503) until a restart'));
  }

  /** Connects, makes sure the streams, the consumers (before any publish: interest retention) and the verdict bucket exist, then delivers. */
  private async setUp(): Promise<void> {
    const { config, log } = this.ctx;
    const nc = await connectNats(config.nats!, log);
    this.nc = nc;
    this.connected = true;
    void this.followStatus(nc);
    const js = jetstream(nc);
    this.jsm = await jetstreamManager(nc);
    await ensureStreams(this.jsm, config, log);
    this.deliveries = this.ctx.upstreams.map((u) => new JetStreamDelivery(this.ctx, u, js, this.jsm!));
    for (const d of this.deliveries) await d.open();
    await persist(() => this.verdicts.open(nc, natsNames(config.nats!).bucket, replicasOf(config.nats!)), 'the key-verdict bucket', log);
    this.log = new JetStreamLog(js, config);
    for (const d of this.deliveries) d.start();
  }

  /** Connection changes, for /readyz and the log. */
  private async followStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        this.ctx.log.warn({}, 'lost the connection to NATS; requests are refused (503) until it is back');
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.ctx.log.info({ server: nc.getServer() }, 'reconnected to NATS');
      }
    }
  }

  async take(input: ProcessInput, meta: { fingerprint?: string; path: string }, check: () => Decoded): Promise<{ rejected: number }> {
    const { admission, metrics, log, byName, activity } = this.ctx;
    const { batch, spans, rejected } = check();
    if (spans === 0) return { rejected };
    if (!this.log) throw new HttpError(503, 'not connected to NATS JetStream yet; retry later', { 'retry-after': RETRY_AFTER_S }, 'nats');
    const todo = input.upstreams.map((n) => byName.get(n)!);
    const stored = metrics.journalSeconds.startTimer();
    try {
      await this.log.publish({ ...input, inbound: admission.forDisk(input.inbound, todo) }, spans, meta);
    } catch (err) {
      this.failedAt = Date.now();
      metrics.spansRejectedInbound.inc({ reason: 'nats' }, spans);
      log.error({ err: this.log.failing }, 'JetStream did not store a request; refused');
      throw err;
    }
    stored();
    activity.onBatch(batch);
    return { rejected };
  }

  readiness(): { ready: boolean; body: Record<string, unknown> } {
    const nats = { stream: this.ctx.config.nats!.stream, server: this.nc?.getServer() };
    if (!this.log) return { ready: false, body: { status: 'connecting to NATS JetStream', nats } };
    if (!this.connected) return { ready: false, body: { status: 'NATS unreachable: requests are refused (503) until it is back', nats } };
    if (this.log.failing && Date.now() - this.failedAt < FAILURE_MEMORY_MS)
      return { ready: false, body: { status: `JetStream is not storing requests: ${this.log.failing}`, nats } };
    return { ready: true, body: { status: 'ready', nats } };
  }

  /** Each upstream's consumer: requests not yet delivered, by any replica. */
  async depths(): Promise<Record<string, number>> {
    if (!this.connected) return this.lastDepths;
    const read = await Promise.allSettled(this.deliveries.map(async (d) => [d.upstream.name, await d.pending()] as const));
    for (const r of read) if (r.status === 'fulfilled') this.lastDepths[r.value[0]] = r.value[1];
    return { ...this.lastDepths };
  }

  /** Dead letters per upstream, in JetStream (for the status page). */
  async deadLetters(): Promise<Record<string, number>> {
    if (!this.jsm || !this.connected) return {};
    return deadCounts(this.jsm, natsNames(this.ctx.config.nats!)).catch(() => ({}));
  }

  async close(deadline: number): Promise<void> {
    await Promise.all(this.deliveries.map((d) => d.stop(deadline)));
    this.verdicts.close();
    // Drain: what was published and acknowledgements sent reach the server before the socket closes.
    await this.nc?.drain().catch(() => this.nc?.close());
  }
}
