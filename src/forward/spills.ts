// Copies an upstream had no room to queue ("queue full"), kept in its dead-letter folder but
// marked as spills: not refused by the upstream, so they are fed back to its queue, oldest first,
// once it keeps up again (see Upstream.refill). Notes from before the mark count by their reason.
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** What a spill's note says besides its span count. */
export const SPILL_NOTE = { reason: 'queue full', spill: true } as const;

const isSpill = (note: { reason?: unknown; spill?: unknown }) => note.spill === true || note.reason === SPILL_NOTE.reason;

export class Spills {
  /** Names (files without suffix), oldest first: a name starts with its time. */
  private names: string[] = [];
  /** Names fed back to the queue and not finished yet: one that runs out of retries is a spill again. */
  readonly fed = new Set<string>();

  constructor(private readonly deadDir: string) {}

  get size(): number {
    return this.names.length;
  }

  /** Finds the spills a previous run left; removes the notes of spills already fed back (a crash between the two steps). */
  async open(): Promise<void> {
    const files = new Set(await readdir(this.deadDir).catch(() => [] as string[]));
    for (const f of files) {
      // A batch half-written when the process died: never whole, so never taken as kept.
      if (f.endsWith('.tmp')) await unlink(join(this.deadDir, f)).catch(() => undefined);
      if (!f.endsWith('.json')) continue;
      const name = f.slice(0, -'.json'.length);
      // A note cut short by a crash is no spill note: its batch stays a dead letter for a person.
      const note = (await readFile(join(this.deadDir, f), 'utf8').then(parseOrEmpty, () => ({}))) as Record<string, unknown>;
      if (!isSpill(note)) continue;
      if (files.has(name + '.batch')) this.names.push(name);
      else await unlink(join(this.deadDir, f)).catch(() => undefined);
    }
    this.names.sort();
  }

  /** A new spill, in its place by age. */
  add(name: string): void {
    this.names.push(name);
    if (this.names.length > 1 && this.names[this.names.length - 2] > name) this.names.sort();
  }

  /** The oldest `n`, taken off the list. */
  take(n: number): string[] {
    return this.names.splice(0, n);
  }

  /** Back at the front, for another try. */
  putBack(names: string[]): void {
    this.names.unshift(...names);
  }

  /** Removes a fed spill's note; resolves with its size. */
  async dropNote(name: string): Promise<number> {
    const path = join(this.deadDir, name + '.json');
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    await unlink(path).catch(() => undefined);
    return size;
  }
}

/** A note as JSON, or nothing when a crash cut it short. */
export function parseOrEmpty(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return {};
  }
}
