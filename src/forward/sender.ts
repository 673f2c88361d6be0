// Sends one delivery to one upstream with the retry policy. Each request of a delivery is sent
// in turn; a retry resends only what has not been accepted yet.
import { setMaxListeners } from 'node:events';
import { setTimeout } from 'node:timers/promises';
import { Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import got from 'got';
import type { UpstreamConfig } from '../config/schema.js';
import { backoff, classify, parseRetryAfter, withinBudget } from './retry.js';
import { configuredHeaders, endpointUrl, type Delivery } from './prepare.js';
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

type Client = ReturnType<typeof got.extend>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Posts one request and reads at most ANSWER_BYTES of the answer; then the stream is abandoned
 * (its connection closed). Once the status is in, a body that breaks off is only a shorter
 * body: a 2xx is delivered whatever follows. Rejects only when no answer came.
 */
function post(client: Client, url: string, body: Buffer, headers: Record<string, string>, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = client.stream.post(url, { body, headers, signal });
    let head: IncomingMessage | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (!head) return reject(err ?? new Error('the connection closed before an answer'));
      const raw = Buffer.concat(chunks);
      const inflated = inflateAnswer(raw, first(head.headers['content-encoding']), ANSWER_BYTES);
      const text = inflated ? inflated.toString('utf8', 0, 2000) : `(an answer of ${size} bytes or more that does not inflate within ${ANSWER_BYTES} bytes)`;
      resolve({
        status: head.statusCode!,
        contentType: first(head.headers['content-type']),
        retryAfter: first(head.headers['retry-after']),
        body: inflated ?? Buffer.alloc(0),
        text,
      });
    };
    stream.once('response', (res: IncomingMessage) => (head = res));
    stream.on('data', (c: Buffer) => {
      const room = ANSWER_BYTES - size;
      chunks.push(c.length > room ? c.subarray(0, room) : c);
      size += Math.min(c.length, room);
      if (size >= ANSWER_BYTES) {
        finish();
        stream.destroy();
      }
    });
    stream.once('end', () => finish());
    stream.on('error', (err: Error) => finish(err));
    stream.once('close', () => finish());
  });
}

/** Waits, or stops waiting when the signal aborts (its listener goes with the timer). */
const sleep = (ms: number, signal: AbortSignal) => setTimeout(ms, undefined, { signal }).catch(() => undefined);

export function httpSender(u: UpstreamConfig): Sender {
  const url = endpointUrl(u);
  const configured = configuredHeaders(u);
  const agent = { http: new HttpAgent({ keepAlive: true, maxSockets: 64 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };
  const stopper = new AbortController();
  const noRetry = new AbortController();
  // Every request in flight listens on these: many at once is normal, not a leak.
  setMaxListeners(0, stopper.signal, noRetry.signal);
  // Answers are read raw and inflated here, within ANSWER_BYTES (see post).
  const client = got.extend({ retry: { limit: 0 }, throwHttpErrors: false, decompress: false, agent, timeout: { request: u.timeoutMs }, followRedirect: false });
  return {
    stopRetrying: () => noRetry.abort(),
    stop: () => {
      noRetry.abort();
      stopper.abort();
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
          answer = await post(client, url, req.body, headers, stopper.signal);
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
