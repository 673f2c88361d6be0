// A durable queue: one file per batch under its folder (an upstream's queue, or the journal of
// answered requests), written to a temporary name, fsynced, renamed, and the directory fsynced
// before it counts. The index (names and sizes) lives in memory, and so do the newest batches up
// to a small budget, so a healthy upstream is sent what was just written without reading it back.
// A batch whose durable copy is elsewhere (the journal) can be held in memory only, and is
// written here ("spilled") only if it is not delivered soon.
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Delivery, OutRequest } from './prepare.js';

interface SpoolLimits {
  maxBatches: number;
  maxBytes: number;
}

/**
 * Where an entry is in its life: committed but not yet given to the senders, queued (waiting or
 * being sent), or finished (delivered or dead-lettered).
 */
type Stage = 'unpublished' | 'queued' | 'finished';

/**
 * Where its durable copy is: its file here; elsewhere (the journal) while it is held in memory
 * only; being written here (spilling); written here after being held (spilled: its in-memory
 * copy stays, and keeps its share of the memory budget, until it is finished).
 */
type Copy = 'file' | 'held' | 'spilling' | 'spilled';

interface Entry {
  file: string;
  bytes: number;
  stage: Stage;
  copy: Copy;
  /** The batch as staged, while it fits the in-memory budget: sending it needs no read-back. */
  kept?: Delivery & { createdAt: number };
  /** While held or spilling: told once the durable copy elsewhere is no longer needed. */
  backing?: Backing;
  /** While spilling: the write under way. */
  spill?: Promise<void>;
}

/** Where a held batch's durable copy is; `release` says this queue no longer needs it. */
export interface Backing {
  release(): void;
}

/** Bytes of recently queued batches kept in memory too, per upstream (the disk copy is the truth). */
const KEEP_BYTES = 4 * 1024 * 1024;
/**
 * Batches held in memory only, at most, per upstream: each keeps its journal entry alive. Room
 * for a coalesced request's worth of one-span batches (batch.maxSpans, 512) gathering, so they
 * are not written to the queue while they wait; KEEP_BYTES bounds their memory.
 */
const MAX_HELD = 1024;

const SUFFIX = '.batch';
const TMP = '.tmp';

/** One fsync of a directory covers every rename made before it started. */
export class DirSync {
  private pending: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  constructor(private readonly dir: string) {}

  sync(): Promise<void> {
    if (this.queued) return this.queued;
    const run = async () => {
      const fh = await open(this.dir, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    };
    if (!this.pending) {
      this.pending = run().finally(() => (this.pending = undefined));
      return this.pending;
    }
    // A sync is running and may have started before our rename: queue exactly one more.
    this.queued = this.pending.then(() => {
      this.queued = undefined;
      this.pending = run().finally(() => (this.pending = undefined));
      return this.pending;
    });
    return this.queued;
  }
}

let counter = 0;
export function nextName(): string {
  counter = (counter + 1) % 1e6;
  return `${Date.now().toString().padStart(15, '0')}-${process.pid}-${counter.toString().padStart(6, '0')}`;
}

/** Writes a file and fsyncs it; a failure removes what was written. */
export async function writeSynced(path: string, parts: Buffer[]): Promise<void> {
  try {
    const fh = await open(path, 'w', 0o600);
    try {
      await fh.writev(parts);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    await unlink(path).catch(() => undefined);
    throw err;
  }
}

/** A held batch's size for the limits: its bodies (a spilled copy adds a line of header). */
export function bodyBytes(d: Delivery): number {
  let n = 0;
  for (const r of d.requests) n += r.body.length;
  return n;
}

export function serialise(d: Delivery, createdAt = Date.now()): Buffer[] {
  const header = {
    v: 1,
    spans: d.spans,
    createdAt,
    ...(d.credential ? { credential: d.credential } : {}),
    requests: d.requests.map((r) => ({ headers: r.headers, length: r.body.length })),
  };
  return [Buffer.from(JSON.stringify(header) + '\n'), ...d.requests.map((r) => r.body)];
}

export function deserialise(upstream: string, buf: Buffer): Delivery & { createdAt: number } {
  const nl = buf.indexOf(0x0a);
  if (nl < 0) throw new Error('queue file has no header');
  const header = JSON.parse(buf.subarray(0, nl).toString('utf8')) as {
    v: number;
    spans: number;
    createdAt: number;
    credential?: Delivery['credential'];
    requests: Array<{ headers: Record<string, string>; length: number }>;
  };
  if (header.v !== 1) throw new Error(`queue file version ${header.v} is not supported`);
  let at = nl + 1;
  const requests: OutRequest[] = header.requests.map((r) => {
    const body = buf.subarray(at, at + r.length);
    if (body.length !== r.length) throw new Error('queue file is truncated');
    at += r.length;
    return { headers: r.headers, body };
  });
  return { upstream, spans: header.spans, requests, createdAt: header.createdAt, ...(header.credential ? { credential: header.credential } : {}) };
}

/** A batch written to its temporary file, waiting to be committed (renamed) or aborted. */
export interface Staged {
  /** Renames into place (durable); `publish: false` keeps it from the senders until `publish`. */
  commit(publish?: boolean): Promise<Entry>;
  abort(): Promise<void>;
}

export class Spool {
  private index: Entry[] = [];
  private reserved = 0;
  private unpublished = 0;
  private bytes = 0;
  private keptBytes = 0;
  private readonly held = new Set<Entry>();
  private readonly dirSync: DirSync;

  constructor(
    readonly dir: string,
    private readonly limits: SpoolLimits,
    private readonly keepBytes = KEEP_BYTES,
    /** Called for each batch written to this folder (staged or spilled). */
    private readonly onWrite?: () => void,
  ) {
    this.dirSync = new DirSync(dir);
  }

  /** Creates the folder, removes half-written files, and indexes what a previous run left. */
  async open(): Promise<number> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const names = (await readdir(this.dir)).sort();
    for (const n of names) {
      if (n.endsWith(TMP)) await unlink(join(this.dir, n)).catch(() => undefined);
      else if (n.endsWith(SUFFIX)) {
        const s = await stat(join(this.dir, n));
        this.index.push({ file: n, bytes: s.size, stage: 'queued', copy: 'file' });
        this.bytes += s.size;
      }
    }
    return this.index.length;
  }

  get depth(): number {
    return this.index.length;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /**
   * `bytes`: besides what this queue holds (an upstream's dead letters share its budget);
   * `taken`: batches taken out to be sent, which still count until they are done.
   */
  hasRoom(bytes = 0, taken = 0): boolean {
    return this.index.length + taken + this.reserved + this.unpublished < this.limits.maxBatches && this.bytes + bytes <= this.limits.maxBytes;
  }

  /**
   * Holds a place for a batch still to come (answered, not yet translated), so the limits count
   * it; the release is idempotent and is called just before that batch is staged.
   */
  reserve(): () => void {
    this.reserved++;
    let released = false;
    return () => {
      if (!released) this.reserved--;
      released = true;
    };
  }

  /**
   * Writes and fsyncs the batch under a temporary name; nothing is queued until commit. `name`:
   * the file's name (without suffix), when it must match another file's (see `holds`).
   */
  async stage(d: Delivery, name = nextName()): Promise<Staged> {
    const createdAt = Date.now();
    const parts = serialise(d, createdAt);
    const size = parts.reduce((n, p) => n + p.length, 0);
    const file = name + SUFFIX;
    const tmp = join(this.dir, file + TMP);
    const release = this.reserve();
    try {
      await writeSynced(tmp, parts);
    } catch (err) {
      release();
      throw err;
    }
    this.onWrite?.();
    return {
      commit: async (publish = true) => {
        try {
          await rename(tmp, join(this.dir, file));
          await this.dirSync.sync();
        } finally {
          release();
        }
        const keep = this.keptBytes + size <= this.keepBytes;
        if (keep) this.keptBytes += size;
        const entry: Entry = { file, bytes: size, stage: 'unpublished', copy: 'file', kept: keep ? { ...d, createdAt } : undefined };
        this.bytes += size;
        this.unpublished++;
        if (publish) this.publish(entry);
        return entry;
      },
      abort: async () => {
        release();
        await unlink(tmp).catch(() => undefined);
      },
    };
  }

  /** Whether a batch of this size can be held in memory only (see `hold`). */
  canHold(bytes: number): boolean {
    return this.held.size < MAX_HELD && this.keptBytes + bytes <= this.keepBytes;
  }

  /**
   * Queues a batch without writing it: its durable copy is elsewhere (the journal) until it is
   * delivered, dead-lettered or spilled here, and `backing.release()` is called then, once.
   */
  hold(d: Delivery, name: string, backing: Backing): Entry {
    const createdAt = Date.now();
    const size = bodyBytes(d);
    const entry: Entry = { file: name + SUFFIX, bytes: size, stage: 'queued', copy: 'held', kept: { ...d, createdAt }, backing };
    this.keptBytes += size;
    this.bytes += size;
    this.held.add(entry);
    this.index.push(entry);
    return entry;
  }

  /**
   * Writes a held batch to this queue (fsynced, renamed, directory fsynced), then releases its
   * backing. A failure leaves it held: its durable copy is still where it was.
   */
  spill(e: Entry): Promise<void> {
    if (e.copy === 'spilling') return e.spill!;
    if (e.copy !== 'held' || e.stage === 'finished') return Promise.resolve();
    e.copy = 'spilling';
    e.spill = (async () => {
      const kept = e.kept!;
      const tmp = join(this.dir, e.file + TMP);
      try {
        await writeSynced(tmp, serialise(kept, kept.createdAt));
        await rename(tmp, join(this.dir, e.file));
        await this.dirSync.sync();
      } catch (err) {
        e.copy = 'held';
        e.spill = undefined;
        throw err;
      }
      this.onWrite?.();
      this.release(e, 'spilled');
    })();
    return e.spill;
  }

  /** Spills every held batch older than `ms` (waiting or being sent); returns how many failed. */
  async spillOlderThan(ms: number): Promise<number> {
    const before = Date.now() - ms;
    const due = [...this.held].filter((e) => e.kept!.createdAt <= before);
    const results = await Promise.allSettled(due.map((e) => this.spill(e)));
    return results.filter((r) => r.status === 'rejected').length;
  }

  /** When the oldest waiting batch was queued (its name starts with the time), or undefined when none waits. */
  get oldestQueuedAt(): number | undefined {
    const first = this.index[0];
    const t = first ? Number(first.file.slice(0, 15)) : NaN;
    return Number.isFinite(t) && t > 0 ? t : undefined;
  }

  /** The oldest batches not yet taken, up to `n`, removed from the waiting list. */
  take(n: number): Entry[] {
    return this.index.splice(0, n);
  }

  /**
   * Takes the waiting batches whose copy is in memory and that `fits` accepts (asked in queue
   * order), leaving the rest where they are; batches only on disk are not read for this.
   */
  takeWhere(fits: (d: Delivery & { createdAt: number }) => boolean): Entry[] {
    const out: Entry[] = [];
    this.index = this.index.filter((e) => {
      if (!e.kept || !fits(e.kept)) return true;
      out.push(e);
      return false;
    });
    return out;
  }

  /** Puts a committed entry on the waiting list. */
  publish(e: Entry): void {
    if (e.stage !== 'unpublished') return;
    this.unpublished--;
    e.stage = 'queued';
    this.index.push(e);
  }

  /**
   * Takes a batch file from another folder (a spilled dead letter) into this queue, at the back
   * of the waiting list; resolves with its size.
   */
  async adopt(fromDir: string, name: string): Promise<number> {
    const file = name + SUFFIX;
    if (this.holds(name)) throw Object.assign(new Error(`a batch named ${name} is already queued`), { code: 'EEXIST' });
    await rename(join(fromDir, file), join(this.dir, file));
    await this.dirSync.sync();
    const { size } = await stat(join(this.dir, file));
    this.index.push({ file, bytes: size, stage: 'queued', copy: 'file' });
    this.bytes += size;
    return size;
  }

  /** The name an entry was staged under (its file without the suffix). */
  static nameOf(e: Entry): string {
    return e.file.slice(0, -SUFFIX.length);
  }

  /** Whether a batch of this name (see `stage`) is waiting here. */
  holds(name: string): boolean {
    return this.index.some((e) => e.file === name + SUFFIX);
  }

  /** Takes one entry out of the waiting list, wherever it is. */
  remove(e: Entry): void {
    const i = this.index.indexOf(e);
    if (i >= 0) this.index.splice(i, 1);
  }

  /** Puts taken entries back at the front (on shutdown, unsent). */
  giveBack(entries: Entry[]): void {
    this.index.unshift(...entries);
  }

  /** A held (or spilled) batch keeps its copy, and its share of the budget, until it is finished. */
  private static keepsCopy(e: Entry): boolean {
    return e.kept !== undefined && e.copy !== 'file';
  }

  async load(upstream: string, e: Entry): Promise<Delivery & { createdAt: number }> {
    const kept = e.kept;
    // A spill may still need the copy.
    if (Spool.keepsCopy(e)) return kept!;
    if (kept) {
      e.kept = undefined;
      this.keptBytes -= e.bytes;
      return kept;
    }
    return deserialise(upstream, await readFile(join(this.dir, e.file)));
  }

  /**
   * Waits for a spill under way, marks the entry finished and gives back the memory budget its
   * copy used (the copy itself stays until the caller drops it); true if it is still held only in memory.
   */
  private async finish(e: Entry): Promise<boolean> {
    e.stage = 'finished';
    await e.spill?.catch(() => undefined);
    if (Spool.keepsCopy(e)) this.keptBytes -= e.bytes;
    return e.copy === 'held';
  }

  /** Removes a delivered batch. */
  async done(e: Entry): Promise<void> {
    this.bytes -= e.bytes;
    const inMemory = await this.finish(e);
    e.kept = undefined;
    if (inMemory) return this.release(e, 'file');
    await unlink(join(this.dir, e.file)).catch(() => undefined);
  }

  /**
   * A held batch no longer needs its durable copy elsewhere: it was spilled here, or (finished)
   * delivered or dead-lettered.
   */
  private release(e: Entry, copy: 'spilled' | 'file'): void {
    const backing = e.backing!;
    e.backing = undefined;
    e.copy = copy;
    this.held.delete(e);
    backing.release();
  }

  /** Moves a batch to the dead-letter folder with the reason beside it; resolves with the bytes it takes there. */
  async deadLetter(e: Entry, deadDir: string, reason: Record<string, unknown>): Promise<number> {
    await mkdir(deadDir, { recursive: true, mode: 0o700 });
    const note = JSON.stringify({ ...reason, at: new Date().toISOString() }, null, 2);
    await writeFile(join(deadDir, e.file.replace(SUFFIX, '.json')), note, { mode: 0o600 });
    const inMemory = await this.finish(e);
    if (inMemory) {
      await writeWhole(join(deadDir, e.file), serialise(e.kept!, e.kept!.createdAt));
      this.release(e, 'file');
    } else await rename(join(this.dir, e.file), join(deadDir, e.file));
    e.kept = undefined;
    this.bytes -= e.bytes;
    // A held batch's bytes count its bodies only: what the folder now holds is read back.
    return (
      (await stat(join(deadDir, e.file)).then(
        (st) => st.size,
        () => e.bytes,
      )) + Buffer.byteLength(note)
    );
  }
}

/**
 * A dead letter's batch, there whole or not at all: a restart takes a batch in the dead letters
 * as kept (it is not queued again from the journal), so a half-written one would be lost.
 */
async function writeWhole(path: string, parts: Buffer[]): Promise<void> {
  await writeSynced(path + TMP, parts);
  await rename(path + TMP, path);
}

/** Writes a batch that never was queued (its queue was full) straight to a dead-letter folder. */
export async function writeDeadLetter(d: Delivery, name: string, deadDir: string, reason: Record<string, unknown>): Promise<number> {
  await mkdir(deadDir, { recursive: true, mode: 0o700 });
  const parts = serialise(d);
  const note = JSON.stringify({ ...reason, at: new Date().toISOString() }, null, 2);
  await writeFile(join(deadDir, name + '.json'), note, { mode: 0o600 });
  await writeWhole(join(deadDir, name + SUFFIX), parts);
  return parts.reduce((n, p) => n + p.length, 0) + Buffer.byteLength(note);
}

/** Bytes of the files in a folder (0 when it does not exist). */
export async function folderBytes(dir: string): Promise<number> {
  const files = await readdir(dir).catch(() => [] as string[]);
  let n = 0;
  for (const f of files)
    n += await stat(join(dir, f)).then(
      (s) => s.size,
      () => 0,
    );
  return n;
}

export type SpoolEntry = Entry;
