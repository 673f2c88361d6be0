// The embedded durable layer: a request is journalled (one fsync) and answered, translated later
// in the backlog, and each upstream's copy held in memory or written to its spool (forward/).
import type { Delivery } from '../forward/prepare.js';
import type { Upstream } from '../forward/upstream.js';
import { bodyBytes, type SpoolEntry, type Staged } from '../forward/spool.js';
import { countRedactions } from '../observe/metrics.js';
import type { SpanBatch } from '../model/batch.js';
import { HttpError, RETRY_AFTER_S } from './admission.js';
import { Backlog } from './backlog.js';
import { logReceived, translate, type ProxyContext } from './context.js';
import type { Decoded, HandOff } from './handoff.js';
import { Journal, type JournalEntry } from './journal.js';
import { prepareAll, type ProcessInput, type ProcessOutput } from './process.js';

const DISK_RETRY_MS = 1000;

/** A request answered and journalled, waiting to be translated (no input: found at start-up, on disk). */
interface Accepted {
  entry: JournalEntry;
  spans: number;
  input?: ProcessInput;
  /** Decoded when it was checked, so translating in the same thread does not decode it again. */
  batch?: SpanBatch;
  format?: string;
  path?: string;
  /** Upstreams whose queue already held its translation at start-up. */
  skip?: Set<string>;
  /** Places held in the upstreams' queues (Upstream.reserve), by upstream name. */
  places?: Map<string, () => void>;
  /** Upstreams with no room for it: their copies go to their dead-letter folders (queue.whenFull: spill). */
  overflow?: Set<string>;
}

/**
 * ack: queue — a request is answered once it is decoded, checked and journalled (one fsync);
 * translating it and writing every upstream's queue happen after the answer, in the backlog.
 * Where an upstream's in-memory share has room, its copy is only held in memory and the journal
 * entry stays until every held copy is delivered or written to its queue.
 */
export class LocalHandOff implements HandOff {
  private readonly journal?: Journal;
  private readonly backlog: Backlog<Accepted>;
  /** Journal entries being removed (their copies all delivered or queued): part of being idle. */
  private unjournalling = 0;

  constructor(private readonly ctx: ProxyContext) {
    this.journal = ctx.config.ack === 'queue' ? new Journal(ctx.config.dataDir) : undefined;
    const concurrency = ctx.pool ? ctx.config.workers + 1 : 2;
    this.backlog = new Backlog<Accepted>(concurrency * 2, concurrency, async (a) => {
      try {
        await this.translateAccepted(a);
      } finally {
        for (const release of a.places?.values() ?? []) release();
      }
    });
  }

  get idle(): boolean {
    return this.backlog.size === 0 && this.unjournalling === 0 && this.ctx.upstreams.every((u) => u.depth === 0);
  }

  async open(): Promise<void> {
    const { upstreams } = this.ctx;
    await Promise.all(upstreams.map((u) => u.open()));
    // Which queues already hold a leftover's translation is read before any sender takes one.
    const journal = this.journal;
    const left = (await journal?.open()) ?? [];
    if (left.length) this.ctx.log.info({ requests: left.length }, 'translating requests answered before the last stop');
    for (const entry of left) this.backlog.add({ entry, spans: 0, skip: new Set(upstreams.filter((u) => u.holds(journal!.nameOf(entry))).map((u) => u.name)) });
    for (const u of upstreams) u.start();
  }

  async take(input: ProcessInput, meta: { path: string }, check: () => Decoded): Promise<{ rejected: number }> {
    const { config, admission, metrics, log, byName } = this.ctx;
    const todo = input.upstreams.map((n) => byName.get(n)!);
    const { places, overflow } = admission.reservePlaces(todo);
    let admitted = false;
    let pushed = false;
    try {
      // admitTimeoutMs (5 s) is under the 10 s an OpenTelemetry exporter waits, so the client hears the 503.
      admitted = await this.backlog.admit(config.admitTimeoutMs);
      if (!admitted) {
        // Counted in tracebridge_requests_total{status="503"}: the spans are not decoded yet.
        throw new HttpError(503, `the requests already answered have not been translated for ${config.admitTimeoutMs / 1000} s; retry later`, { 'retry-after': RETRY_AFTER_S });
      }
      // With workers this thread decodes only to check and a worker decodes again to translate:
      // that measured cheaper than a worker keeping the decoded batch until after the answer
      // (long-lived batches reach the old generation, and its collections cost more).
      const { batch, spans, rejected, format } = check();
      if (spans === 0) return { rejected };
      let entry: JournalEntry;
      try {
        const written = metrics.journalSeconds.startTimer();
        entry = await this.journal!.write({ ...input, inbound: admission.forDisk(input.inbound, todo) }, spans);
        written();
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        metrics.spansRejectedInbound.inc({ reason: 'disk' }, spans);
        log.error({ code: e.code, err: e.message, dataDir: config.dataDir }, 'cannot write to the journal; refusing requests until the disk recovers');
        throw new HttpError(503, `cannot persist the batch (${e.code ?? e.message}); retry later`, { 'retry-after': RETRY_AFTER_S }, 'disk');
      }
      const path = meta.path;
      this.backlog.push({ entry, spans, input, batch: this.ctx.pool ? undefined : batch, format, path, places, overflow: overflow.size ? overflow : undefined });
      this.ctx.activity.onBatch(batch);
      pushed = true;
      return { rejected };
    } finally {
      if (!pushed) {
        if (admitted) this.backlog.release();
        for (const release of places.values()) release();
      }
    }
  }

  readiness(): { ready: boolean; body: Record<string, unknown> } {
    const { upstreams, admission } = this.ctx;
    const full = Object.fromEntries(upstreams.filter((u) => u.full).map((u) => [u.name, u.full]));
    const n = Object.keys(full).length;
    if (!n) return { ready: true, body: { status: 'ready' } };
    // Not ready when a full upstream would refuse requests (a spilling one still takes them for the others).
    const refusing = upstreams.some((u) => u.full && (admission.whenFull(u) === 'refuse' || n === upstreams.length));
    return { ready: !refusing, body: { status: refusing ? 'queues full' : 'ready, some queues full (their copies go to dead letters)', upstreams: full } };
  }

  async depths(): Promise<Record<string, number>> {
    return Object.fromEntries(this.ctx.upstreams.map((u) => [u.name, u.depth]));
  }

  async close(deadline: number): Promise<void> {
    // Answered requests still to translate: what is not done by the deadline stays journalled.
    await this.backlog.drain(deadline);
    await Promise.all(this.ctx.upstreams.map((u) => u.stop(Math.max(0, deadline - Date.now()))));
  }

  /** Translates a journalled request for every upstream still missing it; a failure moves it aside. */
  private async translateAccepted(a: Accepted): Promise<void> {
    let out: Pick<ProcessOutput, 'conventions' | 'deliveries'>;
    let spans = a.spans;
    const { config, metrics, log } = this.ctx;
    const journal = this.journal!;
    try {
      if (!a.input) ({ input: a.input, spans } = await journal.load(a.entry));
      out = a.batch ? prepareAll(config, this.ctx.mappings(), a.input, a.batch) : await translate(this.ctx, a.input);
      countRedactions(metrics, out.deliveries);
    } catch (err) {
      if (this.ctx.closing()) return; // the pool is going away: the request stays journalled for the next start
      const e = err as Error;
      metrics.spansRejectedInbound.inc({ reason: 'translate' }, spans);
      log.error({ err: e.message, stack: e.stack, file: a.entry.file }, 'an answered request could not be translated; kept in the failed folder');
      await journal.fail(a.entry, e.message).catch((e2: Error) => log.error({ err: e2.message }, 'cannot move the request to the failed folder'));
      return;
    }
    a.batch = undefined;
    if (await this.distribute(a, out.deliveries)) logReceived(this.ctx, spans, out.conventions, a.format ?? '', a.path ?? '');
  }

  /**
   * Gives each upstream its copy: held in memory where it has room (the journal entry backs it
   * until every held copy is delivered or queued), else written to its queue first; spilled to
   * its dead letters when it is full. False when shutdown came first.
   */
  private async distribute(a: Accepted, all: Delivery[]): Promise<boolean> {
    const journal = this.journal!;
    const name = journal.nameOf(a.entry);
    // No closure here refers to `a` or the copies: the journal's release below outlives this
    // call, and would keep whatever the closures of this call refer to alive until it runs.
    const skip = a.skip;
    const deliveries = all
      .map((d) => [this.ctx.byName.get(d.upstream), d] as [Upstream | undefined, Delivery])
      .filter((p): p is [Upstream, Delivery] => p[0] !== undefined && !skip?.has(p[0].name));
    const held: Array<[Upstream, Delivery]> = [];
    const written: Array<[Upstream, Delivery]> = [];
    const log = this.ctx.log;
    for (const p of deliveries) {
      if (a.overflow?.has(p[0].name))
        await p[0].overflow(p[1], name).catch((e: Error) => log.error({ upstream: p[0].name, err: e.message }, 'cannot write a dead letter; batch dropped for this upstream'));
      else (p[0].canHold(bodyBytes(p[1])) ? held : written).push(p);
    }
    const queued = await this.enqueue(written, name, a.places);
    if (!queued) return false;
    const entry = a.entry;
    const removeFromJournal = () => {
      this.unjournalling++;
      return journal
        .done(entry)
        .catch((e: Error) => log.error({ err: e.message, file: entry.file }, 'cannot remove a request from the journal'))
        .finally(() => this.unjournalling--);
    };
    let refs = held.length;
    const backing = { release: () => void (--refs === 0 && removeFromJournal()) };
    for (const [u, d] of held) {
      a.places?.get(u.name)?.();
      u.hold(d, name, backing);
    }
    for (const [u, e] of queued) u.publish(e);
    for (const [u] of [...held, ...written]) u.notify();
    if (held.length === 0) await removeFromJournal();
    return true;
  }

  /**
   * Writes every upstream's copy of a journalled request under the journal entry's name, fsynced
   * and committed but not yet given to the senders. A disk error is retried, never dropped;
   * undefined means shutting down first (what was committed is found at the next start).
   */
  private async enqueue(deliveries: Array<[Upstream, Delivery]>, name: string, places?: Map<string, () => void>): Promise<Array<[Upstream, SpoolEntry]> | undefined> {
    const committed: Array<[Upstream, SpoolEntry]> = [];
    let todo = deliveries;
    for (;;) {
      const staged = await Promise.allSettled(todo.map(([u, d]) => (places?.get(u.name)?.(), u.stage(d, name))));
      let failure = staged.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) await Promise.all(staged.map((r) => (r.status === 'fulfilled' ? r.value.abort() : undefined)));
      else {
        const results = await Promise.allSettled(staged.map((r) => (r as PromiseFulfilledResult<Staged>).value.commit(false)));
        results.forEach((r, i) => r.status === 'fulfilled' && committed.push([todo[i][0], r.value]));
        todo = todo.filter((_, i) => results[i].status === 'rejected');
        if (!todo.length) return committed;
        failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      }
      const err = failure!.reason as NodeJS.ErrnoException;
      this.ctx.log.error({ code: err.code, err: err.message, dataDir: this.ctx.config.dataDir }, 'cannot write to the queue; the batch stays journalled and is retried');
      if (this.ctx.closing()) return undefined;
      await new Promise((r) => setTimeout(r, DISK_RETRY_MS));
    }
  }
}
