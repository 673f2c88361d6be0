// One upstream's delivery from the shared JetStream stream: a durable pull consumer named after
// the upstream, shared by every replica, so any replica delivers any request and each request
// reaches the upstream once per consumer acknowledgement. A message is translated for this
// upstream only, sent with its sender and retry policy, and acknowledged once the upstream took
// it or its dead letter is stored. While a send (and its retries) goes on, the message is kept
// with in-progress acknowledgements; a replica that dies leaves it to the others after the ack wait.
import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, DeliverPolicy, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ProxyContext } from '../receive/context.js';
import { logReceived, translate } from '../receive/context.js';
import { natsNames, persist, requestOf } from '../receive/jetstream-log.js';
import { countRedactions } from '../observe/metrics.js';
import { backoff } from './retry.js';
import type { Result } from './sender.js';
import type { Delivery } from './prepare.js';
import type { Upstream } from './upstream.js';
import { publishDeadLetter } from './jetstream-deadletters.js';

/** How long a pull waits for a message before asking again (and seeing a stop). */
const PULL_MS = 2_000;
/** After a NATS error, the wait before pulling again. */
const ERROR_WAIT_MS = 1_000;

/** Room for one attempt beyond the upstream's timeout before JetStream hands the message to another replica. */
const ackWaitMs = (u: Upstream): number => u.config.timeoutMs + 5_000;

type Outcome = { ack: true } | { nak: number };

export class JetStreamDelivery {
  private consumer: Consumer | undefined;
  private stopped = false;
  private workers: Promise<void>[] = [];
  /** Messages being handled here now. */
  busy = 0;
  private pullFailing = false;
  private readonly where;

  constructor(
    private readonly ctx: ProxyContext,
    readonly upstream: Upstream,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {
    this.where = natsNames(ctx.config.nats!);
  }

  private get name(): string {
    return this.upstream.name;
  }

  /** Creates (or updates) the durable consumer: before anything is published, since interest retention keeps a message only for the consumers that exist. */
  async open(): Promise<void> {
    this.consumer = await persist(() => this.ensureConsumer(), `the consumer of upstream ${this.name}`, this.ctx.log);
  }

  private async ensureConsumer(): Promise<Consumer> {
    const config = {
      durable_name: this.name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: this.where.subject,
      ack_wait: nanos(ackWaitMs(this.upstream)),
      // The retry budget, not a delivery count, decides when a batch is given up.
      max_deliver: -1,
      max_ack_pending: 10_000,
    };
    const exists = await this.jsm.consumers.info(this.where.stream, this.name).then(
      () => true,
      () => false,
    );
    if (exists) await this.jsm.consumers.update(this.where.stream, this.name, config);
    else await this.jsm.consumers.add(this.where.stream, config);
    return this.js.consumers.get(this.where.stream, this.name);
  }

  start(): void {
    for (let i = 0; i < this.upstream.config.queue.concurrency; i++) this.workers.push(this.work());
  }

  /** Requests this upstream has still to take, across every replica: waiting, and being sent. */
  async pending(): Promise<number> {
    const info = await this.jsm.consumers.info(this.where.stream, this.name);
    return info.num_pending + info.num_ack_pending;
  }

  private async work(): Promise<void> {
    while (!this.stopped) {
      let msg: JsMsg | null;
      try {
        msg = await this.consumer!.next({ expires: PULL_MS });
        this.pullFailing = false;
      } catch (err) {
        if (this.stopped) break;
        // Once per outage, not once a second per worker.
        if (!this.pullFailing) this.ctx.log.warn({ upstream: this.name, err: (err as Error).message }, 'cannot pull from JetStream; trying again every second');
        this.pullFailing = true;
        await sleep(ERROR_WAIT_MS);
        continue;
      }
      if (!msg) continue;
      // Pulled just as the stop came: another replica takes it now.
      if (this.stopped) msg.nak();
      else await this.handle(msg);
    }
  }

  /** Handles one message, keeping it ours (in progress) while it is sent. */
  private async handle(msg: JsMsg): Promise<void> {
    this.busy++;
    const keep = setInterval(() => msg.working(), ackWaitMs(this.upstream) / 3);
    try {
      const outcome = await this.deliver(msg);
      if ('ack' in outcome)
        await msg.ackAck().catch((err: Error) => this.ctx.log.warn({ upstream: this.name, err: err.message }, 'acknowledgement not confirmed; the batch may be sent again'));
      else msg.nak(outcome.nak);
    } catch (err) {
      this.ctx.log.error({ upstream: this.name, err: (err as Error).message }, 'cannot finish a batch; JetStream gives it out again');
      msg.nak(ERROR_WAIT_MS);
    } finally {
      clearInterval(keep);
      this.busy--;
    }
  }

  /** Translates the request for this upstream, sends it, and says what becomes of the message. */
  private async deliver(msg: JsMsg): Promise<Outcome> {
    let request;
    try {
      request = requestOf(msg.headers!, msg.data);
    } catch (err) {
      // Not a request tracebridge published: taking it again would fail the same way.
      this.ctx.log.error({ upstream: this.name, seq: msg.seq, err: (err as Error).message }, 'a message in the stream is not a request; left out');
      return { ack: true };
    }
    const { input, spans, path } = request;
    if (!input.upstreams.includes(this.name)) return { ack: true };
    const storedAt = msg.info.timestampNanos / 1e6;
    let out;
    try {
      out = await translate(this.ctx, { ...input, upstreams: [this.name] });
    } catch (err) {
      // Everything that can refuse a request is checked before its answer: this would be a bug.
      this.ctx.metrics.spansRejectedInbound.inc({ reason: 'translate' }, spans);
      this.ctx.log.error({ upstream: this.name, err: (err as Error).message, seq: msg.seq }, 'an answered request could not be translated; left out for this upstream');
      return { ack: true };
    }
    countRedactions(this.ctx.metrics, out.deliveries);
    // Counted once per request, by the delivery of its first upstream.
    if (input.upstreams[0] === this.name) logReceived(this.ctx, out.spans, out.conventions, out.format, path);
    const d = out.deliveries[0];
    if (!d || out.spans === 0) return { ack: true };
    if (Date.now() - storedAt > this.upstream.config.queue.maxAgeMs) {
      this.ctx.metrics.spansRejected.inc({ upstream: this.name, reason: 'expired' }, d.spans);
      return this.deadLetter(d, { reason: 'expired', spans: d.spans });
    }
    // The retry budget starts with this delivery, as a local queue's does when a worker takes a
    // batch: a request that waited in the stream through an outage still gets its retries.
    return this.settle(msg, d, await this.upstream.send(d));
  }

  private settle(msg: JsMsg, d: Delivery, result: Result): Promise<Outcome> | Outcome {
    switch (result.kind) {
      case 'delivered':
        return { ack: true };
      case 'stopped':
        return { nak: 0 };
      case 'rejected':
        return this.deadLetter(d, { reason: result.status ? `HTTP ${result.status}` : result.body, status: result.status, response: result.body.slice(0, 2000), spans: d.spans });
      case 'gave-up':
        return this.deadLetter(d, { reason: result.reason, spans: d.spans, deliveries: msg.info.deliveryCount });
    }
  }

  /** Stores the copy as a dead letter, then the message can go; if JetStream cannot take it, the message is kept and tried again. */
  private async deadLetter(d: Delivery, note: Record<string, unknown>): Promise<Outcome> {
    try {
      await publishDeadLetter(this.js, this.where, d, note);
      this.ctx.log.warn({ upstream: this.name, spans: d.spans, reason: note.reason }, 'batch kept as a dead letter in JetStream');
      return { ack: true };
    } catch (err) {
      this.ctx.log.error({ upstream: this.name, err: (err as Error).message }, 'cannot store a dead letter in JetStream; the batch stays in the stream');
      return { nak: backoff(this.upstream.config.retry, 3) };
    }
  }

  /** Stops pulling; sends under way get until the deadline, then the upstream's sender is stopped (their messages go back). */
  async stop(deadline: number): Promise<void> {
    this.stopped = true;
    const workers = Promise.all(this.workers);
    const cancel = new AbortController();
    const late = sleep(Math.max(0, deadline - Date.now()), 'late' as const, { signal: cancel.signal }).catch(() => 'done' as const);
    const first = await Promise.race([workers.then(() => 'done' as const), late]);
    cancel.abort();
    if (first === 'late') {
      await this.upstream.stop(0);
      await workers;
    } else await this.upstream.stop(0);
  }
}
