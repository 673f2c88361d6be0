// One upstream: its durable queue, its workers, its own retries. Nothing here waits on another
// upstream. A batch leaves the queue only when delivered or moved to the dead-letter folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { UpstreamConfig } from '../config/schema.js';
import type { Logger } from '../observe/log.js';
import type { Metrics } from '../observe/metrics.js';
import type { Delivery } from './prepare.js';
import { senderFor, sinkSender, type Result, type Sender } from './sender.js';
import { bodyBytes, folderBytes, Spool, writeDeadLetter, type Backing, type SpoolEntry, type Staged } from './spool.js';
import { DeliveredLog } from './delivered.js';
import { SPILL_NOTE, Spills } from './spills.js';
import { releaseBodies } from './bodies.js';
import { coalesceKey, MAX_COALESCED_BYTES, merge, sizeOf, SMALL_COPY_BYTES } from './coalesce.js';
import { UpstreamActivity } from '../observe/activity.js';
import type { PartialSuccess } from '../wire/export-response.js';

/**
 * A batch held in memory (its durable copy in the journal) is written to the queue once it has
 * waited this long or its first send failed: the journal entry, and the duplicates a crash could
 * cause, stay small while an upstream is slow or down.
 */
const SPILL_AFTER_MS = 1000;

/** Room kept for a dead letter's note beside its batch. */
const NOTE_BYTES = 1024;

type Loaded = Delivery & { createdAt: number };

/** A batch taken from the queue and read, and the entry it leaves by. */
interface Taken {
  entry: SpoolEntry;
  d: Loaded;
}

export function queueDir(dataDir: string, upstream: string): string {
  return join(dataDir, 'queue', upstream);
}

function deadLetterDir(dataDir: string, upstream: string): string {
  return join(dataDir, 'deadletter', upstream);
}

function deliveredDir(dataDir: string, upstream: string): string {
  return join(dataDir, 'delivered', upstream);
}

export class Upstream {
  readonly spool: Spool;
  /** What the status page shows: deliveries per minute, retries, the last error. */
  readonly activity = new UpstreamActivity();
  private readonly sender: Sender;
  private readonly deadDir: string;
  private stopped = false;
  private inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  private workers: Promise<void>[] = [];
  private readonly deliveredLog: DeliveredLog;
  /** Names recorded as delivered by earlier runs; read at open, dropped at start. */
  private deliveredBefore = new Set<string>();
  private spillTimer: NodeJS.Timeout | undefined;
  private recordFailing = false;
  /** Bytes in the dead-letter folder: they count against queue.maxBytes with the queue's. */
  private deadBytes = 0;
  /** The size of the last batch taken: room for one more is room for about this much. */
  private typical = 0;
  /** Copies spilled to the dead letters for lack of room, fed back once this upstream keeps up. */
  private readonly spills: Spills;
  private refilling = false;
  /** Whether the last attempt delivered: spills are fed back only then. */
  private keepingUp = true;
  /** Batches taken beyond the first of each send (coalesced): being sent, they count too. */
  private alsoTaken = 0;
  /** A worker is waiting for more batches to join its request: the others leave new ones to it. */
  private collecting = false;

  constructor(
    readonly config: UpstreamConfig,
    dataDir: string,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.sender = config.type === 'sink' ? sinkSender(dataDir) : senderFor(config);
    const limits = { maxBatches: config.queue.maxBatches, maxBytes: config.queue.maxBytes };
    this.spool = new Spool(queueDir(dataDir, config.name), limits, config.queue.memoryBytes, () => metrics.batchesWritten.inc({ upstream: config.name }));
    this.deadDir = deadLetterDir(dataDir, config.name);
    this.spills = new Spills(this.deadDir);
    this.deliveredLog = new DeliveredLog(deliveredDir(dataDir, config.name));
  }

  get name(): string {
    return this.config.name;
  }

  /** Batches waiting or being sent. */
  get depth(): number {
    return this.spool.depth + this.inFlight.size + this.alsoTaken;
  }

  hasRoom(bytes: number): boolean {
    // Batches being sent count against queue.maxBatches until they are done.
    return !this.stopped && this.spool.hasRoom(bytes + this.deadBytes + this.typical + NOTE_BYTES, this.inFlight.size + this.alsoTaken);
  }

  /** Why no more can be taken: the queue is full, or dead letters have used the disk budget (undefined: there is room). */
  get full(): 'queue full' | 'dead letters use the disk budget' | undefined {
    if (this.hasRoom(0)) return undefined;
    return this.spool.hasRoom(0, this.inFlight.size + this.alsoTaken) && this.deadBytes > 0 ? 'dead letters use the disk budget' : 'queue full';
  }

  /** The dead-letter folder (tracebridge deadletter reads it too). */
  get deadLetterFolder(): string {
    return this.deadDir;
  }

  /** Dead-letter bytes (queue.maxBytes covers them too). */
  get deadLetterBytes(): number {
    return this.deadBytes;
  }

  /**
   * A copy this upstream has no room to queue goes straight to its dead-letter folder, marked as
   * a spill (fed back by refill) while its disk budget allows; past it, the copy is dropped,
   * counted and logged. Resolves with whether it was kept.
   */
  async overflow(d: Delivery, name: string): Promise<boolean> {
    const size = bodyBytes(d);
    this.typical = size;
    if (!this.deadLetterFits(size)) {
      this.dropped(d.spans, 'queue full and dead-letter budget spent: batch dropped for this upstream');
      return false;
    }
    // Read after the write: `x += await y` would add to the value from before it.
    const written = await writeDeadLetter(d, name, this.deadDir, { ...SPILL_NOTE, spans: d.spans });
    this.deadBytes += written;
    this.spills.add(name);
    releaseBodies(d);
    this.metrics.spansRejected.inc({ upstream: this.name, reason: 'queue_full' }, d.spans);
    this.log.warn({ upstream: this.name, spans: d.spans }, 'queue full: batch kept in the dead-letter folder, sent automatically once the upstream keeps up');
    return true;
  }

  /** Opens the queue, indexing what a previous run left (less what it had already delivered). */
  async open(): Promise<void> {
    await this.spool.open();
    await this.spills.open();
    this.deadBytes = await folderBytes(this.deadDir);
    this.deliveredBefore = await this.deliveredLog.open();
    // Delivered, then the process stopped before the file was removed.
    const waiting: SpoolEntry[] = [];
    const sent: SpoolEntry[] = [];
    for (const e of this.spool.take(this.spool.depth)) (this.deliveredBefore.has(Spool.nameOf(e)) ? sent : waiting).push(e);
    this.spool.giveBack(waiting);
    await Promise.all(sent.map((e) => this.spool.done(e)));
    if (this.spool.depth) this.log.info({ upstream: this.name, batches: this.spool.depth }, 'resuming batches queued before the last stop');
    this.gauge();
  }

  /** Starts the workers. */
  start(): void {
    this.deliveredBefore = new Set();
    for (let i = 0; i < this.config.queue.concurrency; i++) this.workers.push(this.work());
    this.spillTimer = setInterval(() => void this.spillLate(), SPILL_AFTER_MS / 2);
    this.spillTimer.unref();
  }

  private async spillNow(entry: SpoolEntry): Promise<void> {
    await this.spool.spill(entry).catch((err: NodeJS.ErrnoException) => this.diskError(1, err));
  }

  private diskError(batches: number, err?: NodeJS.ErrnoException): void {
    this.log.error(
      { upstream: this.name, batches, code: err?.code, err: err?.message, dataDir: this.spool.dir },
      'cannot write to the queue; the batches stay journalled and are retried',
    );
  }

  private async spillLate(): Promise<void> {
    void this.refill();
    const failed = await this.spool.spillOlderThan(SPILL_AFTER_MS);
    if (failed) this.diskError(failed);
  }

  /**
   * Feeds spilled copies back to the queue, oldest first, while the upstream keeps up: only as
   * many as there are idle workers, so live traffic never waits behind them. A move between
   * two folders of the same disk budget: the budget is unchanged.
   */
  private async refill(): Promise<void> {
    if (this.refilling || this.stopped || !this.keepingUp || this.spills.size === 0) return;
    const idle = this.config.queue.concurrency - this.spool.depth - this.inFlight.size;
    if (idle <= 0 || !this.hasRoom(0)) return;
    this.refilling = true;
    let fed = 0;
    try {
      for (const name of this.spills.take(idle)) fed += (await this.feed(name)) ? 1 : 0;
    } finally {
      this.refilling = false;
    }
    if (!fed) return;
    this.log.info({ upstream: this.name, batches: fed, left: this.spills.size }, 'upstream keeps up: batches spilled for lack of room are sent again');
    this.notify();
  }

  /** Moves one spill back into the queue; false when it is gone (replayed or purged by hand) or cannot be moved now. */
  private async feed(name: string): Promise<boolean> {
    try {
      const batch = await this.spool.adopt(this.deadDir, name);
      const note = await this.spills.dropNote(name);
      this.deadBytes -= batch + note;
      this.spills.fed.add(name);
      return true;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return false;
      this.spills.putBack([name]);
      this.log.error({ upstream: this.name, code: e.code, err: e.message }, 'cannot move a spilled batch back to the queue; tried again later');
      return false;
    }
  }

  /** A place in the queue for a batch that will be staged later (see Spool.reserve). */
  reserve(): () => void {
    return this.spool.reserve();
  }

  stage(d: Delivery, name?: string): Promise<Staged> {
    this.typical = bodyBytes(d);
    return this.spool.stage(d, name);
  }

  /** Makes a batch committed with `commit(false)` available to the workers. */
  publish(e: SpoolEntry): void {
    this.spool.publish(e);
  }

  /**
   * Whether a batch staged under this name is still waiting here, an earlier run delivered it, or
   * it went to the dead letters (spilled, to be sent from there, or refused): a restart's journal
   * must not queue another copy of it.
   */
  holds(name: string): boolean {
    return this.spool.holds(name) || this.deliveredBefore.has(name) || existsSync(join(this.deadDir, name + '.batch'));
  }

  /** Whether a batch of this size can be queued in memory only (see Spool.hold). */
  canHold(bytes: number): boolean {
    return !this.stopped && this.spool.canHold(bytes);
  }

  /** Queues a batch in memory only; `backing.release()` once it is delivered or written here. */
  hold(d: Delivery, name: string, backing: Backing): void {
    this.typical = bodyBytes(d);
    this.spool.hold(d, name, backing);
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
      const [entry] = this.collecting ? [] : this.spool.take(1);
      if (!entry) {
        await this.waitForWork();
        continue;
      }
      // A failure here is a disk failure (the dead-letter folder, say): the batch stays on disk
      // or in the journal for the next start, and this worker goes on with the next one.
      const job = this.process(entry).catch((err: NodeJS.ErrnoException) =>
        this.log.error({ upstream: this.name, code: err.code, err: err.message }, 'cannot finish a batch; it is kept (in its queue or the journal) for the next start'),
      );
      this.inFlight.add(job);
      await job;
      this.inFlight.delete(job);
      this.gauge();
      void this.refill();
    }
  }

  /** Resolves at the next notify, or after `ms`. */
  private waitForWork(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const prev = this.wake;
      const timer = ms === undefined ? undefined : setTimeout(resolve, Math.max(0, ms));
      this.wake = () => {
        prev?.();
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Reads a taken batch; one that cannot be read or is too old goes to the dead letters instead (undefined). */
  private async loadForSending(entry: SpoolEntry): Promise<Loaded | undefined> {
    let d: Loaded;
    try {
      d = await this.spool.load(this.name, entry);
    } catch (err) {
      this.log.error({ upstream: this.name, file: entry.file, err: (err as Error).message }, 'unreadable queue file moved to the dead-letter folder');
      await this.keepDead(entry, 0, { reason: 'unreadable', error: (err as Error).message });
      return undefined;
    }
    if (Date.now() - d.createdAt > this.config.queue.maxAgeMs) {
      this.metrics.spansRejected.inc({ upstream: this.name, reason: 'expired' }, d.spans);
      this.log.error({ upstream: this.name, spans: d.spans }, 'batch older than queue.maxAgeMs moved to the dead-letter folder');
      await this.keepDead(entry, d.spans, { reason: 'expired', spans: d.spans });
      return undefined;
    }
    return d;
  }

  /**
   * Adds the batches waiting in memory that can share the first one's request (same credential
   * and headers), up to batch.maxSpans, waiting for more until batch.timeoutMs after the first
   * arrived: one worker at a time waits, so what arrives meanwhile joins its request.
   */
  private async gather(first: Taken): Promise<Taken[]> {
    const group = [first];
    const key = coalesceKey(first.d);
    const { maxSpans, timeoutMs } = this.config.batch;
    if (key === undefined || first.d.spans >= maxSpans || sizeOf(first.d) > SMALL_COPY_BYTES) return group;
    let spans = first.d.spans;
    let bytes = sizeOf(first.d);
    const fits = (d: Loaded) => {
      if (spans + d.spans > maxSpans || sizeOf(d) > SMALL_COPY_BYTES || bytes + sizeOf(d) > MAX_COALESCED_BYTES || coalesceKey(d) !== key) return false;
      if (Date.now() - d.createdAt > this.config.queue.maxAgeMs) return false;
      spans += d.spans;
      bytes += sizeOf(d);
      return true;
    };
    const deadline = first.d.createdAt + timeoutMs;
    let waited = false;
    for (;;) {
      const taken = this.spool.takeWhere(fits);
      // Counted as being sent from now (queue.maxBatches), until process is done with them.
      this.alsoTaken += taken.length;
      for (const entry of taken) group.push({ entry, d: await this.spool.load(this.name, entry) });
      if (spans >= maxSpans || this.stopped || this.collecting || Date.now() >= deadline) break;
      this.collecting = waited = true;
      await this.waitForWork(deadline - Date.now());
      this.collecting = false;
    }
    // What this worker left waiting is the others' again.
    if (waited && this.spool.depth) this.notify();
    return group;
  }

  private async process(entry: SpoolEntry): Promise<void> {
    const d = await this.loadForSending(entry);
    if (!d) return;
    const group = await this.gather({ entry, d });
    try {
      const sending = group.length === 1 ? d : merge(group.map((g) => g.d));
      // A held batch that fails once is written to the queue while the retries go on.
      const held = group.filter((g) => g.entry.backing);
      const result = await this.send(sending, undefined, held.length ? () => held.forEach((g) => void this.spillNow(g.entry)) : undefined);
      if (result.kind === 'stopped') {
        this.spool.giveBack(group.map((g) => g.entry)); // stays queued: on disk, or written there at stop if held
        return;
      }
      // Every batch of the request recorded before any file goes: a crash now resends none of them.
      if (result.kind === 'delivered') for (const g of group) this.recordDelivered(g.entry);
      for (const g of group) await this.finish(g, result);
    } finally {
      this.alsoTaken -= group.length - 1;
    }
  }

  /** A sent batch's way out of the queue: delivered, or to the dead letters with the request's outcome. */
  private async finish({ entry, d }: Taken, result: Exclude<Result, { kind: 'stopped' }>): Promise<void> {
    // A spill fed back that runs out of retries is a spill again: the upstream never refused it.
    const wasSpill = this.spills.fed.delete(Spool.nameOf(entry));
    switch (result.kind) {
      case 'delivered':
        await this.spool.done(entry);
        break;
      case 'rejected':
        await this.keepDead(entry, d.spans, {
          reason: result.status ? `HTTP ${result.status}` : result.body,
          status: result.status,
          response: result.body.slice(0, 2000),
          spans: d.spans,
        });
        break;
      case 'gave-up':
        await this.keepDead(entry, d.spans, wasSpill ? { ...SPILL_NOTE, spans: d.spans, error: result.reason } : { reason: result.reason, spans: d.spans });
        if (wasSpill) this.spills.add(Spool.nameOf(entry));
        break;
    }
    // Finished: no send, spill or dead-letter write reads the bodies any more.
    releaseBodies(d);
  }

  /** Whether `bytes` more fit in the disk budget the queue and the dead letters share (queue.maxBytes). */
  private deadLetterFits(bytes: number): boolean {
    return this.spool.sizeBytes + this.deadBytes + bytes <= this.config.queue.maxBytes;
  }

  /** A batch given up for this upstream because its disk budget is spent: counted and logged. */
  private dropped(spans: number, msg: string, why?: unknown): void {
    this.metrics.spansDropped.inc({ upstream: this.name, reason: 'disk_budget' }, spans);
    this.log.error({ upstream: this.name, spans, ...(why !== undefined ? { reason: why } : {}) }, msg);
  }

  /**
   * Moves a batch to the dead-letter folder, within the disk budget the queue shares with it
   * (queue.maxBytes); a batch that would not fit is dropped, counted and logged instead.
   */
  private async keepDead(entry: SpoolEntry, spans: number, reason: Record<string, unknown>): Promise<void> {
    // Leaving the queue frees its bytes; the dead letter takes them again, plus its note.
    if (!this.deadLetterFits(NOTE_BYTES)) {
      this.dropped(spans, 'dead-letter folder full (queue.maxBytes): batch dropped', reason.reason);
      await this.spool.done(entry);
      return;
    }
    const kept = await this.spool.deadLetter(entry, this.deadDir, reason);
    this.deadBytes += kept;
  }

  private recordDelivered(entry: SpoolEntry): void {
    try {
      this.deliveredLog.record(Spool.nameOf(entry));
      this.recordFailing = false;
    } catch (err) {
      // Only the duplicates a crash could cause depend on it: not worth failing a delivery over,
      // nor a log line per delivery while the disk is full.
      if (!this.recordFailing) this.log.warn({ upstream: this.name, err: (err as Error).message }, 'cannot record deliveries; a crash now may resend some');
      this.recordFailing = true;
    }
  }

  /** Sends with the retry policy, recording the outcome. Also used directly when ack is "upstream". */
  async send(d: Delivery, budgetMs?: number, onRetry?: () => void): Promise<Result> {
    const name = this.name;
    const result = await this.sender.send(d, {
      budgetMs,
      onRetry: (reason, delayMs) => {
        this.keepingUp = false;
        onRetry?.();
        this.activity.onRetry(reason);
        this.metrics.retries.inc({ upstream: name });
        this.log.warn({ upstream: name, reason, delayMs, spans: d.spans }, 'upstream failed, retrying');
      },
      onResponse: (_status, ms) => this.metrics.upstreamSeconds.observe({ upstream: name }, ms / 1000),
    });
    switch (result.kind) {
      case 'delivered':
        this.keepingUp = true;
        this.delivered(d.spans, result.partial);
        break;
      case 'rejected':
        this.activity.onFailed(result.status ? `HTTP ${result.status}: ${result.body.slice(0, 200)}` : result.body.slice(0, 200));
        this.metrics.spansRejected.inc({ upstream: name, reason: result.status ? `http_${result.status}` : 'local_error' }, d.spans);
        if (result.status) this.log.error({ upstream: name, status: result.status, response: result.body.slice(0, 500), spans: d.spans }, 'upstream rejected a batch; not retried');
        else this.log.error({ upstream: name, err: result.body, spans: d.spans }, 'a batch could not be sent (an error before it reached the network); not retried');
        break;
      case 'gave-up':
        this.activity.onFailed(result.reason);
        this.metrics.spansRejected.inc({ upstream: name, reason: 'gave_up' }, d.spans);
        this.log.error({ upstream: name, reason: result.reason, spans: d.spans }, 'upstream still failing after the retry budget');
        break;
      case 'stopped':
        break;
    }
    return result;
  }

  /** A delivery, less the spans the upstream said it dropped in its 2xx answer (counted as rejected, not retried). */
  private delivered(spans: number, partial: PartialSuccess | undefined): void {
    const rejected = Math.min(spans, partial?.rejected ?? 0);
    this.metrics.spansForwarded.inc({ upstream: this.name }, spans - rejected);
    this.activity.onDelivered(spans - rejected);
    if (!partial) return;
    this.metrics.spansRejected.inc({ upstream: this.name, reason: 'partial_success' }, rejected);
    this.activity.onPartial(rejected, partial.message);
    this.log.warn({ upstream: this.name, spans, rejected, response: partial.message }, 'upstream accepted the batch but rejected some spans (partial success); not retried');
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
    clearInterval(this.spillTimer);
    // What is held in memory goes to the queue, so the journal can let go of it.
    const failed = await this.spool.spillOlderThan(0);
    if (failed) this.log.error({ upstream: this.name, batches: failed }, 'cannot write held batches to the queue; they stay journalled for the next start');
    this.deliveredLog.close();
    if (this.spool.depth) this.log.info({ upstream: this.name, batches: this.spool.depth }, 'batches left queued on disk for the next start');
  }
}
