// Sends one delivery to one upstream with the retry policy. Each request of a delivery is sent
// in turn; a retry resends only what has not been accepted yet.
import { setMaxListeners } from 'node:events';
import { setTimeout } from 'node:timers/promises';
import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/schema.js';
import { backoff, classify, parseRetryAfter, withinBudget } from './retry.js';
import { configuredHeaders, endpointUrl, type Delivery } from './prepare.js';
import { dispatcherFor } from './dispatcher.js';
import { authHeaders, resolveStored } from '../auth/strategies.js';
import { partialSuccessOf, type PartialSuccess } from '../wire/export-response.js';
import { inflateAnswer } from '../wire/compression.js';

/** Partial successes of several requests, as one. */
function addPartial(a: PartialSuccess | undefined, b: PartialSuccess | undefined): PartialSuccess | undefined {
  if (!a || !b) return a ?? b;
  return { rejected: a.rejected + b.rejected, message: a.message || b.message };
}

export type Result =
  /** `partial`: spans the upstream dropped although it answered 2xx (partialSuccess), summed over the requests. */
  | { kind: 'delivered'; attempts: number; partial?: PartialSuccess }
  | { kind: 'rejected'; status: number; body: string; attempts: number }
  | { kind: 'gave-up'; reason: string; attempts: number }
  | { kind: 'stopped'; attempts: number };

export interface SendHooks {
  /** Overrides the retry budget (ack: upstream keeps the client waiting only so long). */
  budgetMs?: number;
  onRetry?: (reason: string, delayMs: number) => void;
  onResponse?: (status: number | undefined, ms: number) => void;
}

export interface Sender {
  send(d: Delivery, hooks?: SendHooks): Promise<Result>;
  /** No new attempts and no more waiting between them; a request on the wire may finish. */
  stopRetrying(): void;
  /** Abandons requests on the wire too. */
  stop(): void;
}

/** Bytes read of any answer, at most, before and after inflating: the rest is never read. */
const ANSWER_BYTES = 64 * 1024;

interface Answer {
  status: number;
  contentType?: string;
  retryAfter?: string;
  /** The body's first bytes, inflated (empty when it would inflate past the bound). */
  body: Buffer;
  /** What a log line or a dead letter shows of it. */
  text: string;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The upstream's URL split as undici takes it, and the connections it is reached through. */
interface Target {
  dispatcher: Dispatcher;
  origin: string;
  path: string;
  timeoutMs: number;
}

class RequestTimeout extends Error {
  override name = 'TimeoutError';
  readonly code = 'ETIMEDOUT';
}

/** Reads at most ANSWER_BYTES of a body; a body that breaks off is only a shorter body. */
async function readBounded(body: Dispatcher.ResponseData['body']): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of body as AsyncIterable<Buffer>) {
      const room = ANSWER_BYTES - size;
      chunks.push(c.length > room ? c.subarray(0, room) : c);
      size += Math.min(c.length, room);
      // Leaving the loop destroys the stream (and its connection): the rest is never read.
      if (size >= ANSWER_BYTES) break;
    }
  } catch {
    // The status is in: a 2xx is delivered whatever follows.
  }
  return Buffer.concat(chunks);
}

/**
 * Posts one request and reads at most ANSWER_BYTES of the answer, all within the upstream's
 * timeoutMs. Rejects only when no answer came.
 */
async function post(target: Target, body: Buffer, headers: Record<string, string>, stop: AbortSignal): Promise<Answer> {
  // One signal for both the timeout and a stop: cheaper per request than AbortSignal.any.
  const abort = new AbortController();
  const onStop = () => abort.abort(stop.reason);
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  const timer = globalThis.setTimeout(() => abort.abort(new RequestTimeout(`timed out: no answer within ${target.timeoutMs} ms (timeoutMs)`)), target.timeoutMs);
  try {
    const res = await target.dispatcher.request({ origin: target.origin, path: target.path, method: 'POST', body, headers, signal: abort.signal });
    const raw = await readBounded(res.body);
    const inflated = inflateAnswer(raw, first(res.headers['content-encoding']), ANSWER_BYTES);
    return {
      status: res.statusCode,
      contentType: first(res.headers['content-type']),
      retryAfter: first(res.headers['retry-after']),
      body: inflated ?? Buffer.alloc(0),
      text: inflated ? inflated.toString('utf8', 0, 2000) : `(an answer of ${raw.length} bytes or more that does not inflate within ${ANSWER_BYTES} bytes)`,
    };
  } finally {
    clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  }
}

/** Waits, or stops waiting when the signal aborts (its listener goes with the timer). */
const sleep = (ms: number, signal: AbortSignal) => setTimeout(ms, undefined, { signal }).catch(() => undefined);

export function httpSender(u: UpstreamConfig): Sender {
  const url = new URL(endpointUrl(u));
  const configured = configuredHeaders(u);
  const target: Target = { dispatcher: dispatcherFor(u, url), origin: url.origin, path: url.pathname + url.search, timeoutMs: u.timeoutMs };
  const stopper = new AbortController();
  const noRetry = new AbortController();
  // Every request in flight listens on these: many at once is normal, not a leak.
  setMaxListeners(0, stopper.signal, noRetry.signal);
  return {
    stopRetrying: () => noRetry.abort(),
    stop: () => {
      noRetry.abort();
      stopper.abort();
      // Idle connections go too; a request sent after this fails (and is not retried).
      void target.dispatcher.destroy().catch(() => undefined);
    },
    async send(d, hooks) {
      const started = Date.now();
      let attempts = 0;
      let next = 0;
      let partial: PartialSuccess | undefined;
      for (;;) {
        if (noRetry.signal.aborted) return { kind: 'stopped', attempts };
        const req = d.requests[next];
        attempts++;
        let headers = { ...req.headers, ...configured };
        try {
          if (d.credential) headers = { ...headers, ...authHeaders(u, resolveStored(u, d.credential)) };
        } catch (err) {
          return { kind: 'rejected', status: 0, body: (err as Error).message, attempts };
        }
        const t0 = Date.now();
        let answer: Answer | undefined;
        let error: Error | undefined;
        try {
          answer = await post(target, req.body, headers, stopper.signal);
        } catch (err) {
          error = err as Error;
        }
        const status = answer?.status;
        hooks?.onResponse?.(status, Date.now() - t0);
        const verdict = classify({ status, error });
        if (verdict === 'ok') {
          partial = addPartial(partial, partialSuccessOf(answer!.contentType, answer!.body));
          if (++next === d.requests.length) return { kind: 'delivered', attempts, ...(partial ? { partial } : {}) };
          continue;
        }
        if (verdict === 'permanent') {
          // No answer at all: an error raised here (a header Node refuses), never worth retrying.
          if (status === undefined) return { kind: 'rejected', status: 0, body: `${(error as { code?: string }).code ?? error?.name}: ${error?.message}`, attempts };
          return { kind: 'rejected', status, body: answer!.text, attempts };
        }
        if (noRetry.signal.aborted) return { kind: 'stopped', attempts };
        const delay = backoff(u.retry, attempts - 1, parseRetryAfter(answer?.retryAfter));
        const reason = status !== undefined ? `HTTP ${status}` : `${(error as { code?: string }).code ?? error?.name}: ${error?.message}`;
        const policy = hooks?.budgetMs !== undefined ? { ...u.retry, maxElapsedMs: Math.min(u.retry.maxElapsedMs, hooks.budgetMs) } : u.retry;
        if (!withinBudget(policy, started, delay)) return { kind: 'gave-up', reason: `${reason}; retried for ${Math.round((Date.now() - started) / 1000)} s`, attempts };
        hooks?.onRetry?.(reason, delay);
        await sleep(delay, noRetry.signal);
      }
    },
  };
}

/** The local sink: appends what each backend would receive as JSON lines under dataDir/sink. */
export function sinkSender(dataDir: string): Sender {
  const dir = join(dataDir, 'sink');
  let ready: Promise<unknown> | undefined;
  return {
    stop: () => undefined,
    stopRetrying: () => undefined,
    async send(d) {
      ready ??= mkdir(dir, { recursive: true, mode: 0o700 }).then(() => chmod(dir, 0o700));
      await ready;
      for (const r of d.requests) await appendFile(join(dir, r.headers['x-sink-file']), Buffer.concat([r.body, Buffer.from('\n')]), { mode: 0o600 });
      return { kind: 'delivered', attempts: 1 };
    },
  };
}
