// One upstream: its durable queue, its workers, its own retries. Nothing here waits on another
// upstream. A batch leaves the queue only when delivered or moved to the dead-letter folder.
import { join } from 'node:path';
import type { UpstreamConfig } from '../config/schema.js';
import type { Logger } from '../observe/log.js';
import type { Metrics } from '../observe/metrics.js';
import type { Delivery } from './prepare.js';
import { httpSender, sinkSender, type Result, type Sender } from './sender.js';
import { Spool, type SpoolEntry, type Staged } from './spool.js';

export function queueDir(dataDir: string, upstream: string): string {
  return join(dataDir, 'queue', upstream);
}

export function deadLetterDir(dataDir: string, upstream: string): string {
  return join(dataDir, 'deadletter', upstream);
}

export class Upstream {
  readonly spool: Spool;
  private readonly sender: Sender;
  private readonly deadDir: string;
  private stopped = false;
  private inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private workers: Promise<void>[] = [];

  constructor(
    readonly config: UpstreamConfig,
    dataDir: string,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.sender = config.type === 'sink' ? sinkSender(dataDir) : httpSender(config);
    this.spool = new Spool(queueDir(dataDir, config.name), { maxBatches: config.queue.maxBatches, maxBytes: config.queue.maxBytes });
    this.deadDir = deadLetterDir(dataDir, config.name);
  }

  get name(): string {
    return this.config.name;
  }

  /** Batches waiting or being sent. */
  get depth(): number {
    return this.spool.depth + this.inFlight.size;
  }

  hasRoom(bytes: number): boolean {
    return !this.stopped && this.spool.hasRoom(bytes);
  }

  /** Opens the queue, indexing what a previous run left. */
  async open(): Promise<void> {
    const resumed = await this.spool.open();
    if (resumed) this.log.info({ upstream: this.name, batches: resumed }, 'resuming batches queued before the last stop');
    this.gauge();
  }

  /** Starts the workers. */
  start(): void {
    for (let i = 0; i < this.config.queue.concurrency; i++) this.workers.push(this.work());
  }

  /** A place in the queue for a batch that will be staged later (see Spool.reserve). */
  reserve(): () => void {
    return this.spool.reserve();
  }

  stage(d: Delivery, name?: string): Promise<Staged> {
    return this.spool.stage(d, name);
  }

  /** Makes a batch committed with `commit(false)` available to the workers. */
  publish(e: SpoolEntry): void {
    this.spool.publish(e);
  }

  /** Whether a batch staged under this name is still waiting here. */
  holds(name: string): boolean {
    return this.spool.holds(name);
  }

  /** Called after a commit: wake a waiting worker. */
  notify(): void {
    this.gauge();
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private gauge(): void {
    this.metrics.queueDepth.set({ upstream: this.name }, this.depth);
  }

  private async work(): Promise<void> {
    while (!this.stopped) {
      const [entry] = this.spool.take(1);
      if (!entry) {
        await new Promise<void>((resolve) => {
          const prev = this.wake;
          this.wake = () => {
            prev?.();
            resolve();
          };
        });
        continue;
      }
      const job = this.process(entry);
      this.inFlight.add(job);
      await job;
      this.inFlight.delete(job);
      this.gauge();
    }
  }

  private async process(entry: SpoolEntry): Promise<void> {
    let d: Delivery & { createdAt: number };
    try {
      d = await this.spool.load(this.name, entry);
    } catch (err) {
      this.log.error({ upstream: this.name, file: entry.file, err: (err as Error).message }, 'unreadable queue file moved to the dead-letter folder');
      await this.spool.deadLetter(entry, this.deadDir, { reason: 'unreadable', error: (err as Error).message });
      return;
    }
    if (Date.now() - d.createdAt > this.config.queue.maxAgeMs) {
      this.metrics.spansRejected.inc({ upstream: this.name, reason: 'expired' }, d.spans);
      this.log.error({ upstream: this.name, spans: d.spans }, 'batch older than queue.maxAgeMs moved to the dead-letter folder');
      await this.spool.deadLetter(entry, this.deadDir, { reason: 'expired', spans: d.spans });
      return;
    }
    const result = await this.send(d);
    switch (result.kind) {
      case 'delivered':
        await this.spool.done(entry);
        return;
      case 'rejected':
        await this.spool.deadLetter(entry, this.deadDir, { reason: `HTTP ${result.status}`, status: result.status, response: result.body.slice(0, 2000), spans: d.spans });
        return;
      case 'gave-up':
        await this.spool.deadLetter(entry, this.deadDir, { reason: result.reason, spans: d.spans });
        return;
      case 'stopped':
        this.spool.giveBack([entry]); // stays on disk, resumed at the next start
        return;
    }
  }

  /** Sends with the retry policy, recording the outcome. Also used directly when ack is "upstream". */
  async send(d: Delivery, budgetMs?: number): Promise<Result> {
    const name = this.name;
    const result = await this.sender.send(d, {
      budgetMs,
      onRetry: (reason, delayMs) => {
        this.metrics.retries.inc({ upstream: name });
        this.log.warn({ upstream: name, reason, delayMs, spans: d.spans }, 'upstream failed, retrying');
      },
      onResponse: (_status, ms) => this.metrics.upstreamSeconds.observe({ upstream: name }, ms / 1000),
    });
    switch (result.kind) {
      case 'delivered':
        this.metrics.spansForwarded.inc({ upstream: name }, d.spans);
        break;
      case 'rejected':
        this.metrics.spansRejected.inc({ upstream: name, reason: `http_${result.status}` }, d.spans);
        this.log.error({ upstream: name, status: result.status, response: result.body.slice(0, 500), spans: d.spans }, 'upstream rejected a batch; not retried');
        break;
      case 'gave-up':
        this.metrics.spansRejected.inc({ upstream: name, reason: 'gave_up' }, d.spans);
        this.log.error({ upstream: name, reason: result.reason, spans: d.spans }, 'upstream still failing after the retry budget');
        break;
      case 'stopped':
        break;
    }
    return result;
  }

  /** Stops the workers: in-flight sends get `graceMs` to finish, the rest stays queued on disk. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.notify();
    this.sender.stopRetrying();
    const settled = Promise.all([...this.inFlight]);
    const timer = new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref());
    const finished = await Promise.race([settled.then(() => true), timer]);
    if (!finished) this.sender.stop();
    await Promise.all(this.workers);
    this.sender.stop();
    if (this.spool.depth) this.log.info({ upstream: this.name, batches: this.spool.depth }, 'batches left queued on disk for the next start');
  }
}
