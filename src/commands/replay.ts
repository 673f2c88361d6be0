// `tracebridge replay --to <weave|langtrace|otlp> URL [files or dirs…]`: moves exported history
// into a backend, translated for it, with the proxy's retry policy. Resumable and exact: the
// checkpoint records the spans the destination acknowledged (see checkpoint.ts).
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { configSchema, type UpstreamConfig } from '../config/schema.js';
import { loadMappings } from '../conventions/mappings.js';
import { spanCount, type ResourceSpans, type SpanBatch } from '../model/batch.js';
import { checkDeliverable, endpointUrl, prepare, PrepareError } from '../forward/prepare.js';
import { httpSender, type Result } from '../forward/sender.js';
import { DecodeError } from '../wire/errors.js';
import { decodeFile } from '../wire/files.js';
import type { InputFormat } from '../wire/formats.js';
import { escapeControl } from '../inspect/escape.js';
import { Checkpoint, type SourceProgress } from './checkpoint.js';
import { walk } from './inputs.js';
import type { Progress } from './progress.js';
import { UsageError } from './usage.js';

type Target = 'weave' | 'langtrace' | 'otlp';

interface ReplayOptions {
  to: Target;
  url: string;
  inputs: string[];
  key?: string;
  project?: string;
  rate?: number;
  batchSpans?: number;
  checkpoint: string;
  /** Left out of the inputs (the data dir holding the checkpoint). */
  exclude?: string;
  skipRejected?: boolean;
  from?: InputFormat;
  retry?: Partial<UpstreamConfig['retry']>;
}

export interface ReplaySummary {
  spans: number;
  sent: number;
  /** Sent by an earlier run. */
  skipped: number;
  /** Refused in an earlier run and skipped (--skip-rejected). */
  skippedRejected: number;
  rejected: number;
  reasons: Record<string, number>;
  interrupted: boolean;
  /** The destination refused the key (401/403): nothing more was sent. */
  refusedKey?: { status: number; body: string };
}

/** A request's spans, with their places in their file (what the checkpoint records). */
interface Planned {
  source: SourceProgress;
  batch: SpanBatch;
  positions: number[];
}

/**
 * Splits batches into requests of at most `max` spans, keeping resource and scope grouping.
 * Spans are numbered in file order; those `skip` says were done are left out.
 */
export function requestsOf(batches: SpanBatch[], max: number, skip: (position: number) => boolean = () => false): Array<{ batch: SpanBatch; positions: number[] }> {
  const out: Array<{ batch: SpanBatch; positions: number[] }> = [];
  let cur: ResourceSpans[] = [];
  let positions: number[] = [];
  let position = 0;
  for (const b of batches)
    for (const rs of b.resourceSpans)
      for (const ss of rs.scopeSpans)
        for (const span of ss.spans) {
          if (skip(position++)) continue;
          let r = cur.find((x) => x.resource === rs.resource);
          if (!r) cur.push((r = { ...rs, scopeSpans: [] }));
          let s = r.scopeSpans[r.scopeSpans.length - 1];
          if (!s || s.scope !== ss.scope) r.scopeSpans.push((s = { ...ss, spans: [] }));
          s.spans.push(span);
          positions.push(position - 1);
          if (positions.length >= max) {
            out.push({ batch: { resourceSpans: cur }, positions });
            cur = [];
            positions = [];
          }
        }
  if (positions.length) out.push({ batch: { resourceSpans: cur }, positions });
  return out;
}

function upstreamFor(o: ReplayOptions): UpstreamConfig {
  const parsed = configSchema.safeParse({
    upstreams: [{ name: o.to, type: o.to, url: o.url, project: o.project, auth: o.key ? { mode: 'static', key: o.key } : { mode: 'none' }, retry: o.retry ?? {} }],
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const what = issue.path[issue.path.length - 1] === 'project' ? '--weave-project' : issue.path[issue.path.length - 1] === 'url' ? 'the URL' : issue.path.join('.');
    throw new UsageError(`replay: ${what}: ${issue.message}`, 'replay');
  }
  return parsed.data.upstreams[0];
}

/** The destination a checkpoint record belongs to: kind, URL (no user info) and project. */
function destination(o: ReplayOptions, u: UpstreamConfig): string {
  const url = new URL(endpointUrl(u));
  url.username = '';
  url.password = '';
  // A Langtrace key selects the project: a fingerprint of it tells two projects apart.
  const project = o.to === 'langtrace' && o.key ? `key sha256:${createHash('sha256').update(o.key).digest('hex').slice(0, 12)}` : (o.project ?? '');
  return `${o.to} ${url.toString()} ${project}`;
}

function checkProject(u: UpstreamConfig, batches: SpanBatch[], o: ReplayOptions, file: string): void {
  try {
    for (const b of batches) checkDeliverable(u, b, { key: o.key, project: o.project });
  } catch (err) {
    if (!(err instanceof PrepareError)) throw err;
    throw new UsageError(`replay --to weave needs --weave-project ENTITY/PROJECT (or TRACEBRIDGE_WEAVE_PROJECT): spans in ${file} name no project`, 'replay');
  }
}

function decodeNamed(raw: Buffer, from: InputFormat | undefined, file: string): SpanBatch[] {
  try {
    return decodeFile(raw, from);
  } catch (err) {
    if (err instanceof DecodeError) throw new DecodeError(`${file}: ${err.message}`, err.status);
    throw err;
  }
}

/** Decodes every file and keeps what is left to send, so progress has a total before sending. */
async function plan(o: ReplayOptions, u: UpstreamConfig, cp: Checkpoint, summary: ReplaySummary): Promise<Planned[]> {
  const out: Planned[] = [];
  for (const file of await walk(o.inputs, o.exclude)) {
    const s = await stat(file);
    const batches = decodeNamed(await readFile(file), o.from, file);
    checkProject(u, batches, o, file);
    const source = cp.source(file, s.size, s.mtimeMs);
    const skip = (i: number) => source.sent.has(i) || (o.skipRejected === true && source.rejected.has(i));
    const all = batches.reduce((n, b) => n + spanCount(b), 0);
    const requests = requestsOf(batches, o.batchSpans ?? 500, skip);
    const left = requests.reduce((n, r) => n + r.positions.length, 0);
    const sentBefore = all - left - (o.skipRejected ? source.rejected.size : 0);
    summary.spans += all;
    summary.skipped += sentBefore;
    summary.skippedRejected += all - left - sentBefore;
    for (const r of requests) out.push({ source, ...r });
  }
  return out;
}

/** Waits as long as `--rate` asks before sending `n` spans. */
function pacer(rate: number | undefined): (n: number) => Promise<void> {
  let nextAt = Date.now();
  return async (n) => {
    if (!rate) return;
    const wait = nextAt - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    nextAt = Math.max(nextAt, Date.now()) + (n / rate) * 1000;
  };
}

const KEY_VARIABLE = { weave: 'WANDB_API_KEY', langtrace: 'LANGTRACE_API_KEY', otlp: undefined } as const;

/** What to change after a 401 or 403: the flag and the variable. */
function keyFix(to: Target, status: number): string {
  const key = KEY_VARIABLE[to] ? `--key KEY or ${KEY_VARIABLE[to]}` : '--key KEY';
  if (to === 'weave' && status === 403) return `the key cannot write to this project: check --weave-project ENTITY/PROJECT and the key (${key})`;
  return `check the key (${key})`;
}

/** Records one request's outcome; says whether to go on. */
async function record(p: Planned, result: Result, o: ReplayOptions, cp: Checkpoint, summary: ReplaySummary, progress: Progress): Promise<boolean> {
  const n = p.positions.length;
  if (result.kind === 'stopped') return !(summary.interrupted = true);
  if (result.kind === 'delivered') {
    summary.sent += n;
    p.source.sent.add(p.positions);
    await cp.save();
    return true;
  }
  const reason = result.kind === 'rejected' ? `HTTP ${result.status}` : result.reason.replace(/; retried for .*/, '');
  summary.rejected += n;
  summary.reasons[reason] = (summary.reasons[reason] ?? 0) + n;
  if (result.kind === 'rejected' && (result.status === 401 || result.status === 403)) {
    summary.refusedKey = { status: result.status, body: result.body };
    const reply = escapeControl(result.body.trim().slice(0, 300));
    progress.note(`stopped: ${o.url} refused the key (HTTP ${result.status}${reply ? `: ${reply}` : ''}); ${keyFix(o.to, result.status)}, then run the same command again`);
    return false;
  }
  // Not sent: the next run retries it, unless told to skip what was refused.
  if (result.kind === 'rejected' && o.skipRejected) {
    p.source.rejected.add(p.positions);
    await cp.save();
  }
  return true;
}

export async function replay(o: ReplayOptions, progress: Progress, signal?: AbortSignal): Promise<ReplaySummary> {
  const upstream = upstreamFor(o);
  const cp = await Checkpoint.open(o.checkpoint, destination(o, upstream));
  const summary: ReplaySummary = { spans: 0, sent: 0, skipped: 0, skippedRejected: 0, rejected: 0, reasons: {}, interrupted: false };
  const planned = await plan(o, upstream, cp, summary);
  const mappings = loadMappings();
  const sender = httpSender(upstream);
  // Ctrl-C: no more retries and no more waiting between them. A request on the wire may finish,
  // so a batch the backend took is recorded as sent and never sent twice.
  signal?.addEventListener('abort', () => sender.stopRetrying(), { once: true });
  const pace = pacer(o.rate);
  const started = Date.now();
  let done = summary.skipped + summary.skippedRejected;
  for (const p of planned) {
    if (signal?.aborted) {
      summary.interrupted = true;
      break;
    }
    await pace(p.positions.length);
    let attempt = 1;
    const result = await sender.send(prepare(upstream, p.batch, { key: o.key, project: o.project }, mappings), {
      onRetry: (reason, delayMs) => progress.note(`${o.url} failed (${reason}), attempt ${attempt++}; next try in ${(delayMs / 1000).toFixed(1)} s`),
    });
    if (!(await record(p, result, o, cp, summary, progress))) break;
    done += p.positions.length;
    const secs = (Date.now() - started) / 1000;
    progress.update(done, summary.spans, secs > 0 ? (summary.sent + summary.rejected) / secs : 0);
  }
  await cp.save();
  progress.end();
  return summary;
}
