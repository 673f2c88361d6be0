// What the parts of one proxy share: its configuration, logger, metrics, upstreams and admission.
import type { Config } from '../config/schema.js';
import type { Mappings } from '../conventions/mappings.js';
import type { Upstream } from '../forward/upstream.js';
import type { ProxyActivity } from '../observe/activity.js';
import type { Logger } from '../observe/log.js';
import type { Metrics } from '../observe/metrics.js';
import type { Admission } from './admission.js';
import type { WorkerPool } from './pool.js';
import { processRequest, type ProcessInput, type ProcessOutput } from './process.js';

export interface ProxyContext {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly upstreams: Upstream[];
  readonly byName: ReadonlyMap<string, Upstream>;
  readonly admission: Admission;
  /** What the status page shows of the traffic: conventions seen, the last spans. */
  readonly activity: ProxyActivity;
  readonly pool?: WorkerPool;
  /** The key tables in force (a reload replaces them). */
  mappings(): Mappings;
  /** True once shutdown has begun. */
  closing(): boolean;
}

/** Translates a request for its upstreams, on a worker thread when there are any. */
export function translate(ctx: ProxyContext, input: ProcessInput): ProcessOutput | Promise<ProcessOutput> {
  return ctx.pool ? ctx.pool.run(input) : processRequest(ctx.config, ctx.mappings(), input);
}

/** Counts and logs a request's spans once they are on their way (info when a local sink is in use). */
export function logReceived(ctx: ProxyContext, spans: number, conventions: Array<[string, number]>, format: string, path: string): void {
  ctx.activity.onConventions(conventions);
  for (const [c, n] of conventions) ctx.metrics.spansReceived.inc({ convention: c }, n);
  const found = Object.fromEntries(conventions);
  if (ctx.upstreams.some((u) => u.config.type === 'sink')) ctx.log.info({ spans, conventions: found, format, path }, 'batch received');
  else ctx.log.debug({ spans, conventions: found, format, path }, 'batch received');
}
