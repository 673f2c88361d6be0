// Requests answered but not yet translated: each is written once, as received, to
// dataDir/inbox/ and fsynced before its 200, then removed once every upstream's queue holds its
// translation. A restart translates what is left. Same files and fsync rules as the queues.
import { join } from 'node:path';
import { Spool, type SpoolEntry, type Staged } from '../forward/spool.js';
import type { Dialect } from './routes.js';
import type { ProcessInput } from './process.js';

export type JournalEntry = SpoolEntry;

const UPSTREAM = 'inbox';

function toRecord(input: ProcessInput, spans: number) {
  const headers: Record<string, string> = {
    dialect: input.dialect,
    upstreams: JSON.stringify(input.upstreams),
    inbound: JSON.stringify(input.inbound),
  };
  if (input.contentType !== undefined) headers['content-type'] = input.contentType;
  if (input.contentEncoding !== undefined) headers['content-encoding'] = input.contentEncoding;
  if (input.userAgent !== undefined) headers['user-agent'] = input.userAgent;
  return { upstream: UPSTREAM, spans, requests: [{ headers, body: Buffer.from(input.raw.buffer, input.raw.byteOffset, input.raw.byteLength) }] };
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
  };
}

export class Journal {
  private readonly spool: Spool;
  private readonly failedDir: string;

  constructor(dataDir: string) {
    // No copies kept in memory: the request is in the caller's hands until it is translated.
    this.spool = new Spool(join(dataDir, 'inbox'), { maxBatches: Infinity, maxBytes: Infinity }, 0);
    this.failedDir = join(dataDir, 'failed');
  }

  /** Opens the folder and returns what a previous run answered but did not translate, oldest first. */
  async open(): Promise<JournalEntry[]> {
    await this.spool.open();
    return this.spool.take(this.spool.depth);
  }

  /** Writes and fsyncs the request under a temporary name; commit makes it count. */
  stage(input: ProcessInput, spans: number): Promise<Staged> {
    return this.spool.stage(toRecord(input, spans));
  }

  /** Commits a staged request; its entry is the caller's to translate, not a queue's to send. */
  async commit(staged: Staged): Promise<JournalEntry> {
    const entry = await staged.commit();
    this.spool.remove(entry);
    return entry;
  }

  /** The name an upstream's queue gives this request's translation, so a restart can tell it is there. */
  nameOf(entry: JournalEntry): string {
    return Spool.nameOf(entry);
  }

  async load(entry: JournalEntry): Promise<{ input: ProcessInput; spans: number }> {
    const d = await this.spool.load(UPSTREAM, entry);
    const r = d.requests[0];
    return { input: fromRecord(r.headers, r.body), spans: d.spans };
  }

  /** Every upstream's queue holds the translation: the request itself is no longer needed. */
  done(entry: JournalEntry): Promise<void> {
    return this.spool.done(entry);
  }

  /** A request that could not be translated is kept, with the reason, in dataDir/failed/. */
  async fail(entry: JournalEntry, reason: string): Promise<void> {
    await this.spool.deadLetter(entry, this.failedDir, { reason });
  }
}
