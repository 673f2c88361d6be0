// `tracebridge replay --to <weave|langtrace|otlp> URL [files or dirs…]`: moves exported history
// into a backend, translated for it, with the proxy's retry policy. Resumable: a checkpoint file
// records what each file has sent, so an interrupted replay continues without re-sending.
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { configSchema, type UpstreamConfig } from '../config/schema.js';
import { loadMappings } from '../conventions/mappings.js';
import type { ResourceSpans, SpanBatch } from '../model/batch.js';
import { spanCount } from '../model/batch.js';
import { prepare } from '../forward/prepare.js';
import { httpSender } from '../forward/sender.js';
import { decodeFile } from '../wire/files.js';
import type { InputFormat } from '../wire/formats.js';

interface ReplayOptions {
  to: 'weave' | 'langtrace' | 'otlp';
  url: string;
  inputs: string[];
  key?: string;
  project?: string;
  rate?: number;
  batchSpans?: number;
  checkpoint?: string;
  from?: InputFormat;
  retry?: Partial<UpstreamConfig['retry']>;
}

interface Checkpoint {
  version: 1;
  target: string;
  files: Record<string, { size: number; mtimeMs: number; done: number }>;
}

interface ReplaySummary {
  spans: number;
  sent: number;
  skipped: number;
  rejected: number;
  reasons: Record<string, number>;
  interrupted: boolean;
}

async function walk(inputs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of inputs) {
    const s = await stat(p);
    if (s.isDirectory()) out.push(...(await walk((await readdir(p)).sort().map((n) => join(p, n)))));
    else if (s.isFile() && !p.endsWith('.tracebridge-checkpoint')) out.push(resolve(p));
  }
  return out;
}

/** Splits batches into requests of at most `max` spans, keeping resource and scope grouping. */
export function chunk(batches: SpanBatch[], max: number): SpanBatch[] {
  const out: SpanBatch[] = [];
  let cur: ResourceSpans[] = [];
  let n = 0;
  const flush = () => {
    if (n) out.push({ resourceSpans: cur });
    cur = [];
    n = 0;
  };
  for (const b of batches)
    for (const rs of b.resourceSpans)
      for (const ss of rs.scopeSpans)
        for (let i = 0; i < ss.spans.length;) {
          const take = Math.min(max - n, ss.spans.length - i);
          const spans = ss.spans.slice(i, i + take);
          let r = cur.find((x) => x.resource === rs.resource);
          if (!r) cur.push((r = { ...rs, scopeSpans: [] }));
          r.scopeSpans.push({ ...ss, spans });
          n += take;
          i += take;
          if (n >= max) flush();
        }
  flush();
  return out;
}

async function saveCheckpoint(path: string, cp: Checkpoint): Promise<void> {
  await writeFile(path + '.tmp', JSON.stringify(cp, null, 2));
  await rename(path + '.tmp', path);
}

interface Progress {
  update(done: number, total: number, spansPerSec: number): void;
  /** A line that must be seen now (the backend cannot be reached, and when the next try is). */
  note(line: string): void;
  end(): void;
}

/** A bar on a terminal, plain lines (at most every 2 s) otherwise. */
export function progressReporter(stream: NodeJS.WriteStream): Progress {
  const tty = stream.isTTY;
  let last = 0;
  return {
    update(done, total, rate) {
      const pct = total ? done / total : 1;
      const eta = rate > 0 ? Math.ceil((total - done) / rate) : undefined;
      const text = `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} spans (${Math.floor(pct * 100)}%), ${Math.round(rate).toLocaleString('en-US')} spans/s, ETA ${eta === undefined ? '?' : `${eta}s`}`;
      if (tty) {
        const width = 30;
        const fill = Math.round(pct * width);
        stream.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${text}  `);
      } else if (Date.now() - last >= 2000 || done === total) {
        last = Date.now();
        stream.write(`replay: ${text}\n`);
      }
    },
    note(line) {
      stream.write(`${tty ? '\r\x1b[K' : ''}replay: ${line}\n`);
    },
    end() {
      if (tty) stream.write('\n');
    },
  };
}

export async function replay(o: ReplayOptions, progress: Progress, signal?: AbortSignal): Promise<ReplaySummary> {
  const upstream = configSchema.parse({
    upstreams: [{ name: o.to, type: o.to, url: o.url, project: o.project, auth: o.key ? { mode: 'static', key: o.key } : { mode: 'none' }, retry: o.retry ?? {} }],
  }).upstreams[0];
  const mappings = loadMappings();
  const sender = httpSender(upstream);
  // Ctrl-C: no more retries and no more waiting between them. A request on the wire may finish,
  // so a batch the backend took is recorded as sent and never sent twice; the checkpoint is saved below.
  signal?.addEventListener('abort', () => sender.stopRetrying(), { once: true });
  const files = await walk(o.inputs);
  const cpPath = o.checkpoint ?? join(process.cwd(), '.tracebridge-replay.json');
  let cp: Checkpoint = { version: 1, target: `${o.to} ${o.url}`, files: {} };
  try {
    const old = JSON.parse(await readFile(cpPath, 'utf8')) as Checkpoint;
    if (old.version === 1 && old.target === cp.target) cp = old;
  } catch {
    /* no checkpoint yet */
  }
  const max = o.batchSpans ?? 500;
  // First pass: decode and split every file, so progress has a total and a resumed run knows what it skips.
  const plan: Array<{ file: string; size: number; mtimeMs: number; requests: SpanBatch[] }> = [];
  for (const file of files) {
    const s = await stat(file);
    plan.push({ file, size: s.size, mtimeMs: s.mtimeMs, requests: chunk(decodeFile(await readFile(file), o.from), max) });
  }
  const summary: ReplaySummary = { spans: 0, sent: 0, skipped: 0, rejected: 0, reasons: {}, interrupted: false };
  for (const p of plan) summary.spans += p.requests.reduce((n, b) => n + spanCount(b), 0);
  const started = Date.now();
  let nextAt = Date.now();
  let processed = 0;
  for (const p of plan) {
    const prev = cp.files[p.file];
    // A file that changed since the checkpoint starts over.
    const done = prev && prev.size === p.size && prev.mtimeMs === p.mtimeMs ? prev.done : 0;
    cp.files[p.file] = { size: p.size, mtimeMs: p.mtimeMs, done };
    for (let i = 0; i < p.requests.length; i++) {
      const batch = p.requests[i];
      const n = spanCount(batch);
      if (i < done) {
        summary.skipped += n;
        processed += n;
        continue;
      }
      if (signal?.aborted) {
        summary.interrupted = true;
        break;
      }
      if (o.rate) {
        const wait = nextAt - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        nextAt = Math.max(nextAt, Date.now()) + (n / o.rate) * 1000;
      }
      let attempt = 1;
      const result = await sender.send(prepare(upstream, batch, { key: o.key, project: o.project }, mappings), {
        onRetry: (reason, delayMs) => progress.note(`${o.url} failed (${reason}), attempt ${attempt++}; next try in ${(delayMs / 1000).toFixed(1)} s`),
      });
      if (result.kind === 'delivered') summary.sent += n;
      else if (result.kind === 'stopped') {
        summary.interrupted = true;
        break;
      } else {
        const reason = result.kind === 'rejected' ? `HTTP ${result.status}` : result.reason.replace(/; retried for .*/, '');
        summary.rejected += n;
        summary.reasons[reason] = (summary.reasons[reason] ?? 0) + n;
      }
      processed += n;
      cp.files[p.file].done = i + 1;
      await saveCheckpoint(cpPath, cp);
      const secs = (Date.now() - started) / 1000;
      progress.update(processed, summary.spans, secs > 0 ? (processed - summary.skipped) / secs : 0);
    }
    if (summary.interrupted) break;
  }
  await saveCheckpoint(cpPath, cp);
  progress.update(processed, summary.spans, 0);
  progress.end();
  return summary;
}
