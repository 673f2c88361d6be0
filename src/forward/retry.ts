// The retry policy as one small pure unit: what to retry, and how long to wait.
import type { RetryConfig } from '../config/schema.js';

type Verdict = 'ok' | 'retry' | 'permanent';

interface Outcome {
  status?: number;
  /** A connection failure or timeout (no HTTP answer). */
  error?: Error;
}

const RETRYABLE = new Set([429, 502, 503, 504]);

/**
 * Errors raised here before anything reached the network (a header value Node refuses, a bad
 * URL): the same request would fail the same way every time.
 */
const LOCAL = new Set([
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_HTTP_INVALID_HEADER_VALUE',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_URL',
  'ERR_UNESCAPED_CHARACTERS',
  // undici's: a header name or value it refuses to send.
  'UND_ERR_INVALID_ARG',
]);

function isLocalError(err: Error | undefined): boolean {
  let e: (Error & { code?: string; cause?: unknown }) | undefined = err;
  for (let depth = 0; e && depth < 3; depth++, e = e.cause as typeof e) if (e.code && LOCAL.has(e.code)) return true;
  return false;
}

/** OTLP's rules: 2xx ok; 429/502/503/504 and connection failures retried; anything else (and a local error) final. */
export function classify(o: Outcome): Verdict {
  if (o.status === undefined) return isLocalError(o.error) ? 'permanent' : 'retry';
  if (o.status >= 200 && o.status < 300) return 'ok';
  return RETRYABLE.has(o.status) ? 'retry' : 'permanent';
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Exponential backoff with jitter; Retry-After wins when longer. `attempt` starts at 0. */
export function backoff(p: RetryConfig, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const base = Math.min(p.maxIntervalMs, p.initialMs * p.multiplier ** attempt);
  const jitter = base * p.randomization * (2 * random() - 1);
  const delay = Math.max(0, Math.round(base + jitter));
  return retryAfterMs !== undefined ? Math.max(delay, retryAfterMs) : delay;
}

/** Whether another wait still fits in the budget. */
export function withinBudget(p: RetryConfig, startedAt: number, delayMs: number, now = Date.now()): boolean {
  return now + delayMs - startedAt <= p.maxElapsedMs;
}
