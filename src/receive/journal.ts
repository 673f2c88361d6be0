// Requests answered but not yet translated: written to dataDir/inbox/ and fsynced before their
// 200, removed once every upstream's queue holds their translation. A restart translates what is
// left. Group commit: the requests that arrive while one write is under way are written together
// by the next, in one file with one fsync, so under load a file holds several requests and the
// disk sees one write, fsync, rename and removal for all of them; at rest a file holds one.
import { mkdir, open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialise, DirSync, nextName, serialise, writeDeadLetter, writeSynced } from '../forward/spool.js';
import type { Delivery } from '../forward/prepare.js';
import type { Dialect } from './routes.js';
import type { ProcessInput } from './process.js';

/** One file of the journal: removed when its last request is done. */
interface JournalFile {
  file: string;
  left: number;
}

/** One journalled request: its name (which its translations are queued under) and where it is. */
export interface JournalEntry {
  name: string;
  file: string;
  /** Its place among the file's requests. */
  index: number;
  readonly of: JournalFile;
  done?: boolean;
}

interface Waiting {
  input: ProcessInput;
  spans: number;
  resolve(e: JournalEntry): void;
  reject(e: Error): void;
}

const UPSTREAM = 'inbox';
const SUFFIX = '.batch';
const TMP = '.tmp';
/** A group is cut at these: at start-up each request's file is read whole to load it. */
const MAX_GROUP_REQUESTS = 16;
const MAX_GROUP_BYTES = 16 * 1024 * 1024;

function toRecord(input: ProcessInput, spans: number, name: string) {
  const headers: Record<string, string> = {
    name,
    spans: String(spans),
    dialect: input.dialect,
    upstreams: JSON.stringify(input.upstreams),
    inbound: JSON.stringify(input.inbound),
  };
  if (input.contentType !== undefined) headers['content-type'] = input.contentType;
  if (input.contentEncoding !== undefined) headers['content-encoding'] = input.contentEncoding;
  if (input.userAgent !== undefined) headers['user-agent'] = input.userAgent;
  if (input.hops?.length) headers.hops = input.hops.join(',');
  return { headers, body: Buffer.from(input.raw.buffer, input.raw.byteOffset, input.raw.byteLength) };
}

function fromRecord(headers: Record<string, string>, body: Buffer): ProcessInput {
  return {
    raw: body,
    dialect: headers.dialect as Dialect,
    contentType: headers['content-type'],
    contentEncoding: headers['content-encoding'],
    userAgent: headers['user-agent'],
    inbound: JSON.parse(headers.inbound) as ProcessInput['inbound'],
    upstreams: JSON.parse(headers.upstreams) as string[],
    ...(headers.hops ? { hops: headers.hops.split(',') } : {}),
  };
}

/** A request's span count: its own header, or (files written before grouping hold one request) the file's. */
function spansOf(d: Delivery, index: number): number {
  const own = d.requests[index].headers.spans;
  return own !== undefined ? Number(own) : d.spans;
}

/** A journal file's first line (what it holds), read without its bodies: start-up reads only this. */
async function readHeader(path: string): Promise<{ requests: Array<{ headers: Record<string, string> }> }> {
  const fh = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    for (let at = 0; ;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, at);
      if (bytesRead === 0) throw new Error('journal file has no header');
      const nl = chunk.subarray(0, bytesRead).indexOf(0x0a);
      chunks.push(chunk.subarray(0, nl >= 0 ? nl : bytesRead));
      if (nl >= 0) break;
      at += bytesRead;
    }
    const header = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { requests?: unknown };
    if (!Array.isArray(header.requests)) throw new Error('journal file header has no requests');
    return header as { requests: Array<{ headers: Record<string, string> }> };
  } finally {
    await fh.close();
  }
}

export class Journal {
  private readonly dir: string;
  private readonly failedDir: string;
  private readonly dirSync: DirSync;
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'inbox');
    this.failedDir = join(dataDir, 'failed');
    this.dirSync = new DirSync(this.dir);
  }

  /** Opens the folder and returns what a previous run answered but did not translate, oldest first. */
  async open(): Promise<JournalEntry[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const entries: JournalEntry[] = [];
    for (const file of (await readdir(this.dir)).sort()) {
      if (file.endsWith(TMP)) await unlink(join(this.dir, file)).catch(() => undefined);
      if (!file.endsWith(SUFFIX)) continue;
      // A file that cannot be read is one entry: loading it fails, and it goes to the failed folder whole.
      const base = file.slice(0, -SUFFIX.length);
      const names = await readHeader(join(this.dir, file)).then(
        (h) => h.requests.map((r, i) => r.headers.name ?? (i === 0 ? base : `${base}-${i}`)),
        () => [base],
      );
      const of: JournalFile = { file, left: names.length };
      names.forEach((name, index) => entries.push({ name, file, index, of }));
    }
    return entries;
  }

  private async read(file: string): Promise<Delivery> {
    return deserialise(UPSTREAM, await readFile(join(this.dir, file)));
  }

  /** Writes the request durably (with the others that arrive meanwhile); resolves once fsynced. */
  write(input: ProcessInput, spans: number): Promise<JournalEntry> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, spans, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length) await this.writeGroup(this.nextGroup());
    } finally {
      this.writing = false;
    }
  }

  /** The oldest waiting requests, up to a group's limits (at least one). */
  private nextGroup(): Waiting[] {
    let bytes = 0;
    let n = 0;
    while (n < this.waiting.length && n < MAX_GROUP_REQUESTS && (n === 0 || bytes + this.waiting[n].input.raw.byteLength <= MAX_GROUP_BYTES))
      bytes += this.waiting[n++].input.raw.byteLength;
    return this.waiting.splice(0, n);
  }

  /** One file for the group: written, fsynced, renamed, the folder fsynced; then each is told. */
  private async writeGroup(group: Waiting[]): Promise<void> {
    const names = group.map(() => nextName());
    const file = names[0] + SUFFIX;
    try {
      const d: Delivery = { upstream: UPSTREAM, spans: 0, requests: group.map((w, i) => toRecord(w.input, w.spans, names[i])) };
      for (const w of group) d.spans += w.spans;
      await writeSynced(join(this.dir, file + TMP), serialise(d));
      await rename(join(this.dir, file + TMP), join(this.dir, file));
      await this.dirSync.sync();
    } catch (err) {
      await unlink(join(this.dir, file + TMP)).catch(() => undefined);
      for (const w of group) w.reject(err as Error);
      return;
    }
    const of: JournalFile = { file, left: group.length };
    group.forEach((w, index) => w.resolve({ name: names[index], file, index, of }));
  }

  /** The name an upstream's queue gives this request's translation, so a restart can tell it is there. */
  nameOf(entry: JournalEntry): string {
    return entry.name;
  }

  async load(entry: JournalEntry): Promise<{ input: ProcessInput; spans: number }> {
    const d = await this.read(entry.file);
    const r = d.requests[entry.index];
    if (!r) throw new Error(`journal file ${entry.file} has no request ${entry.index}`);
    return { input: fromRecord(r.headers, r.body), spans: spansOf(d, entry.index) };
  }

  /** Every upstream's queue holds the translation: the request is no longer needed (nor its file, once all are). */
  async done(entry: JournalEntry): Promise<void> {
    if (entry.done) return;
    entry.done = true;
    if (--entry.of.left === 0) await unlink(join(this.dir, entry.file)).catch(() => undefined);
  }

  /** A request that could not be translated is kept, with the reason, in dataDir/failed/. */
  async fail(entry: JournalEntry, reason: string): Promise<void> {
    const d = await this.read(entry.file).catch(() => undefined);
    const one = d?.requests[entry.index];
    if (d && one) await writeDeadLetter({ upstream: UPSTREAM, spans: spansOf(d, entry.index), requests: [one] }, entry.name, this.failedDir, { reason });
    else {
      // Unreadable: the file itself is what is kept.
      await mkdir(this.failedDir, { recursive: true, mode: 0o700 });
      if (entry.of.left === 1) await rename(join(this.dir, entry.file), join(this.failedDir, entry.file));
      await writeFile(join(this.failedDir, entry.name + '.json'), JSON.stringify({ reason, at: new Date().toISOString() }, null, 2), { mode: 0o600 });
    }
    await this.done(entry);
  }
}
