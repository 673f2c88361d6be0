// Sends one delivery to one upstream with the retry policy, over OTLP/HTTP here (OTLP/gRPC in
// grpc-sender.ts, through the same retry loop). Each request of a delivery is sent in turn; a
// retry resends only what has not been accepted yet.
import { setMaxListeners } from 'node:events';
import { setTimeout } from 'node:timers/promises';
import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { isGrpc, type UpstreamConfig } from '../config/schema.js';
import { hopsOut, HOP_HEADER } from '../config/loops.js';
import { backoff, classify, parseRetryAfter, withinBudget } from './retry.js';
import { configuredHeaders, endpointUrl, type Delivery, type OutRequest } from './prepare.js';
import { grpcSender } from './grpc-sender.js';
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

/** One request's outcome, as the retry loop reads it, whatever carried it (HTTP or gRPC). */
export interface Attempt {
  verdict: 'ok' | 'retry' | 'permanent';
  /** The answer's HTTP status (for gRPC, its code's HTTP equivalent); 0: nothing reached the upstream. */
  status?: number;
  /** Spans dropped although the answer was ok. */
  partial?: PartialSuccess;
  /** What a dead letter and the log keep: the answer's body, or the error. */
  text: string;
  /** Why a retry is needed, in a few words (a log line's reason). */
  reason: string;
  retryAfterMs?: number;
}

/** How requests reach one upstream: one attempt at a time, the retrying is the loop's. */
export interface Transport {
  attempt(body: Buffer, headers: Record<string, string>, stop: AbortSignal): Promise<Attempt>;
  /** Abandons what is on the wire and closes the connections. */
  close(): void;
}

const errorText = (error: Error) => `${(error as { code?: string }).code ?? error.name}: ${error.message}`;

function httpTransport(u: UpstreamConfig): Transport {
  const url = new URL(endpointUrl(u));
  const target: Target = { dispatcher: dispatcherFor(u, url), origin: url.origin, path: url.pathname + url.search, timeoutMs: u.timeoutMs };
  return {
    // Idle connections go too; a request sent after this fails (and is not retried).
    close: () => void target.dispatcher.destroy().catch(() => undefined),
    async attempt(body, headers, stop) {
      let answer: Answer;
      try {
        answer = await post(target, body, headers, stop);
      } catch (err) {
        const error = err as Error;
        // No answer at all: an error raised here (a header Node refuses) is never worth retrying.
        return { verdict: classify({ error }), status: 0, text: errorText(error), reason: errorText(error) };
      }
      const { status } = answer;
      const verdict = classify({ status });
      const partial = verdict === 'ok' ? partialSuccessOf(answer.contentType, answer.body) : undefined;
      return { verdict, status, text: answer.text, reason: `HTTP ${status}`, partial, retryAfterMs: parseRetryAfter(answer.retryAfter) };
    },
  };
}

/** Headers a request goes out with: its own, the configured ones, the credential, and the hops. */
function outgoing(u: UpstreamConfig, d: Delivery, req: OutRequest, configured: Record<string, string>): Record<string, string> {
  const headers = { ...req.headers, ...configured, [HOP_HEADER]: hopsOut(req.headers[HOP_HEADER]) };
  return d.credential ? { ...headers, ...authHeaders(u, resolveStored(u, d.credential)) } : headers;
}

/**
 * The retry policy around a transport: each request of a delivery is sent in turn, a retry
 * resends only what has not been accepted yet, within the upstream's retry budget.
 */
export function retryingSender(u: UpstreamConfig, transport: Transport): Sender {
  const configured = configuredHeaders(u);
  const stopper = new AbortController();
  const noRetry = new AbortController();
  // Every request in flight listens on these: many at once is normal, not a leak.
  setMaxListeners(0, stopper.signal, noRetry.signal);
  return {
    stopRetrying: () => noRetry.abort(),
    stop: () => {
      noRetry.abort();
      stopper.abort();
      transport.close();
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
        let headers: Record<string, string>;
        try {
          headers = outgoing(u, d, req, configured);
        } catch (err) {
          return { kind: 'rejected', status: 0, body: (err as Error).message, attempts };
        }
        const t0 = Date.now();
        const a = await transport.attempt(req.body, headers, stopper.signal);
        hooks?.onResponse?.(a.status || undefined, Date.now() - t0);
        if (a.verdict === 'ok') {
          partial = addPartial(partial, a.partial);
          if (++next === d.requests.length) return { kind: 'delivered', attempts, ...(partial ? { partial } : {}) };
          continue;
        }
        if (a.verdict === 'permanent') return { kind: 'rejected', status: a.status ?? 0, body: a.text, attempts };
        if (noRetry.signal.aborted) return { kind: 'stopped', attempts };
        const delay = backoff(u.retry, attempts - 1, a.retryAfterMs);
        const policy = hooks?.budgetMs !== undefined ? { ...u.retry, maxElapsedMs: Math.min(u.retry.maxElapsedMs, hooks.budgetMs) } : u.retry;
        if (!withinBudget(policy, started, delay)) return { kind: 'gave-up', reason: `${a.reason}; retried for ${Math.round((Date.now() - started) / 1000)} s`, attempts };
        hooks?.onRetry?.(a.reason, delay);
        await sleep(delay, noRetry.signal);
      }
    },
  };
}

export function httpSender(u: UpstreamConfig): Sender {
  return retryingSender(u, httpTransport(u));
}

/** An upstream's sender: OTLP/gRPC or HTTP, as its URL or protocol says. */
export function senderFor(u: UpstreamConfig): Sender {
  return isGrpc(u) ? grpcSender(u) : httpSender(u);
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
