// `tracebridge migrate --from weave|langtrace URL --project P --to weave|langtrace|otlp URL`: a
// project's history read through the old backend's query API, page by page, and sent translated
// to the other, with replay's retry policy, pacing and exact checkpoint (the page cursor, and the
// ids of spans the destination acknowledged past it).
import { loadMappings } from '../conventions/mappings.js';
import { prepare } from '../forward/prepare.js';
import { httpSender, type Result, type Sender } from '../forward/sender.js';
import type { Span, SpanBatch } from '../model/batch.js';
import { escapeControl } from '../inspect/escape.js';
import { Checkpoint, type HistoryProgress } from './checkpoint.js';
import type { Progress } from './progress.js';
import { requestsOf } from './replay.js';
import { destinationKeyFix, destinationName, pacer, upstreamOf, type DestinationOptions } from './migrate/destination.js';
import { SourceError, type HistorySource } from './migrate/source.js';
import type { UpstreamConfig } from '../config/schema.js';

interface MigrateOptions extends DestinationOptions {
  source: HistorySource;
  rate?: number;
  batchSpans?: number;
  checkpoint: string;
}

export interface MigrateSummary {
  /** Spans read from the source in this run. */
  read: number;
  sent: number;
  /** Acknowledged in an earlier run. */
  skipped: number;
  rejected: number;
  reasons: Record<string, number>;
  interrupted: boolean;
  /** The destination refused the key (401/403): nothing more was sent. */
  refusedKey?: { status: number; body: string };
  /** The source could not be read on (its reply and the fix). */
  sourceError?: string;
}

const spansOf = (b: SpanBatch): Span[] => b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));

interface Run {
  o: MigrateOptions;
  upstream: UpstreamConfig;
  sender: Sender;
  cp: Checkpoint;
  history: HistoryProgress;
  summary: MigrateSummary;
  progress: Progress;
  pace: (n: number, signal?: AbortSignal) => Promise<void>;
  started: number;
  signal?: AbortSignal;
}

/** Records one request's outcome; says whether to go on with the next. */
async function record(run: Run, ids: string[], result: Result): Promise<'next' | 'refused' | 'stop'> {
  const { summary, history } = run;
  if (result.kind === 'stopped') return ((summary.interrupted = true), 'stop');
  if (result.kind === 'delivered') {
    summary.sent += ids.length;
    for (const id of ids) history.acked.add(id);
    await run.cp.save();
    return 'next';
  }
  const reason = result.kind === 'rejected' ? `HTTP ${result.status}` : result.reason.replace(/; retried for .*/, '');
  summary.rejected += ids.length;
  summary.reasons[reason] = (summary.reasons[reason] ?? 0) + ids.length;
  if (result.kind === 'rejected' && (result.status === 401 || result.status === 403)) {
    summary.refusedKey = { status: result.status, body: result.body };
    const reply = escapeControl(result.body.trim().slice(0, 300));
    run.progress.note(
      `stopped: ${run.o.url} refused the key (HTTP ${result.status}${reply ? `: ${reply}` : ''}); ${destinationKeyFix(run.o.to, result.status)}, then run the same command again`,
    );
    return 'stop';
  }
  // Not acknowledged: the next run sends it again.
  return 'refused';
}

/** Sends what of one page is not acknowledged yet; says whether all of it now is, or to stop. */
async function sendPage(run: Run, batch: SpanBatch, mappings: ReturnType<typeof loadMappings>): Promise<'done' | 'partly' | 'stop'> {
  const ids = spansOf(batch).map((s) => s.spanId);
  const requests = requestsOf([batch], run.o.batchSpans ?? 500, (i) => run.history.acked.has(ids[i]));
  const pending = requests.reduce((n, r) => n + r.positions.length, 0);
  run.summary.read += ids.length;
  run.summary.skipped += ids.length - pending;
  let whole = true;
  for (const r of requests) {
    if (run.signal?.aborted) return ((run.summary.interrupted = true), 'stop');
    await run.pace(r.positions.length, run.signal);
    let attempt = 1;
    const result = await run.sender.send(prepare(run.upstream, r.batch, { key: run.o.key, project: run.o.project }, mappings), {
      onRetry: (reason, delayMs) => run.progress.note(`${run.o.url} failed (${reason}), attempt ${attempt++}; next try in ${(delayMs / 1000).toFixed(1)} s`),
    });
    const next = await record(
      run,
      r.positions.map((p) => ids[p]),
      result,
    );
    if (next === 'stop') return 'stop';
    if (next === 'refused') whole = false;
    const s = run.summary;
    const secs = (Date.now() - run.started) / 1000;
    run.progress.update(s.skipped + s.sent + s.rejected, s.read, secs > 0 ? (s.sent + s.rejected) / secs : 0);
  }
  return whole ? 'done' : 'partly';
}

/** Reads a page; a failure of the source ends the run (an interruption is no failure). */
async function readPage(run: Run, cursor: number) {
  try {
    return await run.o.source.read(cursor, run.signal);
  } catch (err) {
    if (!(err instanceof SourceError)) throw err;
    if (run.signal?.aborted) run.summary.interrupted = true;
    else run.summary.sourceError = err.message;
    return undefined;
  }
}

export async function migrate(o: MigrateOptions, progress: Progress, signal?: AbortSignal): Promise<MigrateSummary> {
  const upstream = upstreamOf(o);
  const cp = await Checkpoint.open(o.checkpoint, destinationName(o, upstream));
  const summary: MigrateSummary = { read: 0, sent: 0, skipped: 0, rejected: 0, reasons: {}, interrupted: false };
  const sender = httpSender(upstream);
  // Ctrl-C: no more retries or waits; a request on the wire may finish and is then recorded.
  signal?.addEventListener('abort', () => sender.stopRetrying(), { once: true });
  const run: Run = { o, upstream, sender, cp, history: cp.history(o.source.key), summary, progress, pace: pacer(o.rate), started: Date.now(), signal };
  const mappings = loadMappings();
  // Once a page is not wholly acknowledged the cursor stays before it; later pages' ids are kept.
  let behind = false;
  let cursor = run.history.cursor;
  for (;;) {
    if (signal?.aborted) {
      summary.interrupted = true;
      break;
    }
    const page = await readPage(run, cursor);
    if (!page) break;
    const outcome = await sendPage(run, page.batch, mappings);
    if (outcome === 'stop') break;
    if (outcome === 'done' && !behind) {
      for (const s of spansOf(page.batch)) run.history.acked.delete(s.spanId);
      run.history.cursor = page.next;
      await cp.save();
    } else behind = true;
    cursor = page.next;
    if (page.last) break;
  }
  await cp.save();
  progress.end();
  return summary;
}
