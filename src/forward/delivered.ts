// The names of batches an upstream has accepted, appended one line each: a restart reads them so
// that a request still in the journal is not sent again where it already arrived. Written without
// fsync (it survives a process crash; after a power cut the cost is a duplicate, not a loss).
import { closeSync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

const PREFIX = 'delivered-';
const SUFFIX = '.log';
/** A new file past this size; the one before the previous is deleted then. */
const ROTATE_BYTES = 1024 * 1024;

export class DeliveredLog {
  private fd: number | undefined;
  private opened = false;
  private gen = 0;
  private size = 0;

  constructor(
    private readonly dir: string,
    private readonly rotateBytes = ROTATE_BYTES,
  ) {}

  private static genOf(file: string): number | undefined {
    if (!file.startsWith(PREFIX) || !file.endsWith(SUFFIX)) return undefined;
    const n = Number(file.slice(PREFIX.length, -SUFFIX.length));
    return Number.isInteger(n) ? n : undefined;
  }

  private static gens(files: string[]): number[] {
    return files
      .map((f) => DeliveredLog.genOf(f))
      .filter((g): g is number => g !== undefined)
      .sort((a, b) => a - b);
  }

  /**
   * Reads what earlier runs recorded; the next file is created at the first record. Files older
   * than the last two are removed once read, so frequent restarts do not pile them up.
   */
  async open(): Promise<Set<string>> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const names = new Set<string>();
    const gens = DeliveredLog.gens(await readdir(this.dir));
    for (const g of gens) for (const line of (await readFile(this.file(g), 'utf8')).split('\n')) if (line) names.add(line);
    for (const g of gens.slice(0, -2)) await unlink(this.file(g));
    this.gen = (gens.at(-1) ?? 0) + 1;
    this.opened = true;
    return names;
  }

  private file(gen: number): string {
    return join(this.dir, `${PREFIX}${gen}${SUFFIX}`);
  }

  /**
   * Records one name. Old files are needed only while a request they name can still be in the
   * journal, which is seconds (see Spool.spillOlderThan); two files of this size are far longer.
   */
  record(name: string): void {
    if (!this.opened) return;
    if (this.fd === undefined) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      this.fd = openSync(this.file(this.gen), 'a', 0o600);
    }
    this.size += writeSync(this.fd, name + '\n');
    if (this.size < this.rotateBytes) return;
    closeSync(this.fd);
    this.fd = undefined;
    this.size = 0;
    this.gen++;
    for (const g of DeliveredLog.gens(readdirSync(this.dir))) if (g < this.gen - 1) unlinkSync(this.file(g));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
