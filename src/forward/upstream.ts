// One upstream: its queue, its sender, its own retries. Nothing here waits on another upstream.
import type { UpstreamConfig } from '../config/schema.js';
import type { Logger } from '../observe/log.js';
import type { Metrics } from '../observe/metrics.js';
import type { Delivery } from './prepare.js';
import { MemoryQueue, type Queue } from './queue.js';
import { httpSender, sinkSender, type Sender } from './sender.js';

export class Upstream {
  readonly queue: Queue<Delivery>;
  private readonly sender: Sender;

  constructor(
    readonly config: UpstreamConfig,
    dataDir: string,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.sender = config.type === 'sink' ? sinkSender(dataDir) : httpSender(config);
    this.queue = new MemoryQueue(config.queue.maxBatches, config.queue.concurrency, (d) => this.deliver(d));
  }

  get name(): string {
    return this.config.name;
  }

  private async deliver(d: Delivery): Promise<void> {
    const name = this.name;
    this.metrics.queueDepth.set({ upstream: name }, this.queue.depth);
    const result = await this.sender.send(d, {
      onRetry: (reason, delayMs) => {
        this.metrics.retries.inc({ upstream: name });
        this.log.warn({ upstream: name, reason, delayMs, spans: d.spans }, 'upstream failed, retrying');
      },
      onResponse: (_status, ms) => this.metrics.upstreamSeconds.observe({ upstream: name }, ms / 1000),
    });
    this.metrics.queueDepth.set({ upstream: name }, this.queue.depth);
    switch (result.kind) {
      case 'delivered':
        this.metrics.spansForwarded.inc({ upstream: name }, d.spans);
        return;
      case 'rejected':
        this.metrics.spansRejected.inc({ upstream: name, reason: `http_${result.status}` }, d.spans);
        this.log.error({ upstream: name, status: result.status, response: result.body.slice(0, 500), spans: d.spans }, 'upstream rejected a batch; not retried');
        return;
      case 'gave-up':
        this.metrics.spansRejected.inc({ upstream: name, reason: 'gave_up' }, d.spans);
        this.log.error({ upstream: name, reason: result.reason, spans: d.spans }, 'upstream still failing after the retry budget; batch dropped');
        return;
      case 'stopped':
        this.log.warn({ upstream: name, spans: d.spans }, 'shutting down with a batch not delivered');
        return;
    }
  }

  async stop(graceMs: number): Promise<void> {
    const drained = await this.queue.drain(graceMs);
    this.queue.close();
    this.sender.stop();
    if (!drained) this.log.warn({ upstream: this.name, queued: this.queue.depth }, 'stopped before the queue drained');
  }
}
