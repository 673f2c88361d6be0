// replay's and migrate's checkpoint: for each destination, the spans of each source it acknowledged.
// A file's spans are named by their place in it, so a resume with any --batch sends exactly the
// rest; a file that changed (size or mtime) starts over. A backend's history (migrate) is named
// by backend and project: a page cursor, and the ids of spans acknowledged past it.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from './usage.js';

/** A set of span positions, kept as sorted, disjoint [start, end) ranges. */
export class SpanSet {
  constructor(readonly ranges: Array<[number, number]> = []) {}

  has(i: number): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [s, e] = this.ranges[mid];
      if (i < s) hi = mid - 1;
      else if (i >= e) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Adds positions (in any order), merging touching ranges. */
  add(positions: number[]): void {
    const all = [...this.ranges, ...positions.map((p): [number, number] => [p, p + 1])].sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [s, e] of all) {
      const last = merged[merged.length - 1];
      if (last && s <= last[1]) last[1] = Math.max(last[1], e);
      else merged.push([s, e]);
    }
    this.ranges.splice(0, this.ranges.length, ...merged);
  }

  get size(): number {
    return this.ranges.reduce((n, [s, e]) => n + e - s, 0);
  }
}

interface SourceRecord {
  size: number;
  mtimeMs: number;
  sent: Array<[number, number]>;
  /** Refused by the destination and skipped on purpose (--skip-rejected). */
  rejected: Array<[number, number]>;
}

interface HistoryRecord {
  /** Every span before this page (or offset) was acknowledged. */
  cursor: number;
  /** Spans acknowledged at or after the cursor, by id. */
  acked: string[];
}

interface TargetRecord {
  sources: Record<string, SourceRecord>;
  histories?: Record<string, HistoryRecord>;
}

interface CheckpointFile {
  version: 2;
  /** Keyed by destination: target kind, URL and project. */
  targets: Record<string, TargetRecord>;
}

/** A backend history's progress towards the destination (migrate). */
export interface HistoryProgress {
  cursor: number;
  acked: Set<string>;
}

/** One source's progress towards the destination. */
export interface SourceProgress {
  sent: SpanSet;
  rejected: SpanSet;
}

async function readCheckpoint(path: string): Promise<CheckpointFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { version: 2, targets: {} };
  }
  const doc = JSON.parse(text) as { version?: number };
  if (doc.version === 2) return doc as CheckpointFile;
  throw new UsageError(
    `checkpoint ${path} was written by an older tracebridge that counted batches, not spans, so it cannot say exactly what was sent; move it away to start over`,
  );
}

export class Checkpoint {
  private readonly sources: Record<string, SourceRecord>;
  private readonly histories: Record<string, HistoryRecord>;
  private readonly live = new Map<string, HistoryProgress>();

  private constructor(
    readonly path: string,
    private readonly target: string,
    file: CheckpointFile,
  ) {
    this.sources = file.targets[target]?.sources ?? {};
    this.histories = file.targets[target]?.histories ?? {};
  }

  static async open(path: string, target: string): Promise<Checkpoint> {
    return new Checkpoint(path, target, await readCheckpoint(path));
  }

  /** This file's progress; a file that changed since it was recorded starts over. */
  source(file: string, size: number, mtimeMs: number): SourceProgress {
    let r = this.sources[file];
    if (!r || r.size !== size || r.mtimeMs !== mtimeMs) this.sources[file] = r = { size, mtimeMs, sent: [], rejected: [] };
    return { sent: new SpanSet(r.sent), rejected: new SpanSet(r.rejected) };
  }

  /** A backend history's progress (backend, URL, project and window name it); changes are kept by save(). */
  history(key: string): HistoryProgress {
    let p = this.live.get(key);
    if (!p) {
      const r = this.histories[key];
      this.live.set(key, (p = { cursor: r?.cursor ?? 0, acked: new Set(r?.acked ?? []) }));
    }
    return p;
  }

  /** Writes this destination's record, keeping every other destination's as it is on disk now. */
  async save(): Promise<void> {
    const file = await readCheckpoint(this.path);
    for (const [key, p] of this.live) this.histories[key] = { cursor: p.cursor, acked: [...p.acked] };
    file.targets[this.target] = Object.keys(this.histories).length ? { sources: this.sources, histories: this.histories } : { sources: this.sources };
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(file), { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
