// How a refused trace request is told and counted.
import { CredentialError } from '../auth/strategies.js';
import { PrepareError } from '../forward/prepare.js';
import type { Logger } from '../observe/log.js';
import type { Metrics } from '../observe/metrics.js';
import { DecodeError } from '../wire/errors.js';
import { HttpError, RETRY_AFTER_S } from './admission.js';
import { TaskError } from './pool.js';

/** Where a refused request is counted in tracebridge_requests_refused_total: the reason it was given, else its status's. */
function refusalReason(status: number, reason: string | undefined): string {
  if (reason) return reason;
  if (status === 401 || status === 403) return 'auth';
  if (status === 413) return 'body_limit';
  if (status === 429) return 'queue_full';
  if (status === 507) return 'disk_budget';
  if (status === 503) return 'backlog';
  if (status >= 400 && status < 500) return 'bad_input';
  return 'error';
}

export const closing = () => new HttpError(503, 'tracebridge is shutting down', { 'retry-after': RETRY_AFTER_S }, 'shutting_down');

/** An error as the client hears it: its status (500 for the unexpected, logged), counted. */
export function refusal(err: unknown, path: string, log: Logger, metrics: Metrics): HttpError {
  const e = err as Error & { status?: number; headers?: Record<string, string> };
  const known = err instanceof HttpError || err instanceof DecodeError || err instanceof CredentialError || err instanceof PrepareError || (err instanceof TaskError && err.known);
  const status = known ? (e.status ?? 400) : 500;
  if (!known) log.error({ err: e.message, stack: e.stack, path }, 'unexpected error handling a trace request');
  else log.info({ status, reason: e.message, path }, 'trace request refused');
  metrics.requestsRefused.inc({ reason: refusalReason(status, (err as HttpError).reason) });
  return new HttpError(status, known ? e.message : 'internal error', e.headers ?? {});
}
