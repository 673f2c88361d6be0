// A request whose body is in hand, from either receiver: skip a retry already taken, then hand
// it off durably (answered at once), or, for an unproven key or ack: upstream, deliver it first.
import type { IncomingHttpHeaders } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { InboundCredentials } from '../auth/inbound.js';
import { releaseBodies } from '../forward/bodies.js';
import type { Delivery } from '../forward/prepare.js';
import type { Result } from '../forward/sender.js';
import type { Upstream } from '../forward/upstream.js';
import { countRedactions } from '../observe/metrics.js';
import { fingerprint, HttpError, RETRY_AFTER_S } from './admission.js';
import { logReceived, translate, type ProxyContext } from './context.js';
import type { HandOff } from './handoff.js';
import { checkRequest, type ProcessInput } from './process.js';
import type { Dialect } from './routes.js';
import { carriedHops } from './hops.js';

type Rejection = Extract<Result, { kind: 'rejected' }>;

/** An upstream's final refusal, as the client's answer (its 4xx, else 502). */
function rejection(u: Upstream, r: Rejection): HttpError {
  if (r.status === 0) return new HttpError(400, `the batch cannot be sent to upstream ${u.name}: ${r.body}`);
  return new HttpError(r.status >= 400 && r.status < 500 ? r.status : 502, `upstream ${u.name} rejected the batch with HTTP ${r.status}`);
}

export class Ingest {
  /** Requests taken lately, by fingerprint: the upstreams that have them (all, once handed off). */
  private readonly seen: LRUCache<string, Set<string>>;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly handOff: HandOff,
  ) {
    this.seen = new LRUCache<string, Set<string>>({ max: 10_000, ttl: Math.max(1, ctx.config.dedupWindowMs) });
  }

  /** A retry of a request already taken is answered without doing it again; a partial outcome (ack: upstream) is remembered per upstream. */
  async ingest(headers: IncomingHttpHeaders, inbound: InboundCredentials, raw: Buffer, dialect: Dialect, path: string): Promise<{ rejected: number }> {
    const { config, upstreams, admission, metrics } = this.ctx;
    const fp = config.dedupWindowMs ? fingerprint(path, headers, raw, inbound) : undefined;
    const done = (fp && this.seen.get(fp)) || new Set<string>();
    const todo = upstreams.filter((u) => !done.has(u.name));
    if (todo.length === 0) return (this.ctx.log.debug({ path }, 'repeated request already taken; not queued again'), { rejected: 0 });
    const input: ProcessInput = {
      raw,
      dialect,
      contentType: headers['content-type'],
      contentEncoding: headers['content-encoding'] as string | undefined,
      userAgent: headers['user-agent'],
      inbound,
      upstreams: todo.map((u) => u.name),
      ...carriedHops(headers),
    };
    // Charged by what it will take once decoded, not its bytes on the wire; refused when over a limit.
    const release = admission.chargeDecoded(input);
    try {
      const { rejected } =
        config.ack === 'upstream'
          ? await this.forward(input, done, fp, path)
          : admission.keyStatus(inbound, todo) === 'unproven'
            ? await this.prove(input, todo, done, fp, path)
            : await this.accept(input, fp, path);
      if (rejected) metrics.spansRejectedInbound.inc({ reason: 'no_id' }, rejected);
      return { rejected };
    } finally {
      release();
    }
  }

  /** ack: queue — decoded and checked, stored durably, answered; delivered later. */
  private async accept(input: ProcessInput, fp: string | undefined, path: string): Promise<{ rejected: number }> {
    const out = await this.handOff.take(input, { fingerprint: fp, path }, () => checkRequest(this.ctx.config, input));
    if (fp) this.seen.set(fp, new Set(this.ctx.upstreams.map((u) => u.name)));
    return out;
  }

  /** Sends every copy now and waits; what succeeded is remembered for the client's retry. */
  private async deliverNow(deliveries: Array<[Upstream, Delivery]>, done: Set<string>, fp: string | undefined): Promise<Array<readonly [Upstream, Result]>> {
    const timeout = this.ctx.config.ackTimeoutMs;
    const results = await Promise.all(deliveries.map(async ([u, d]) => [u, await u.send(d, timeout)] as const));
    // Stopped at shutdown, a request may still be on the wire: only the others are given back.
    deliveries.forEach(([, d], i) => results[i][1].kind !== 'stopped' && releaseBodies(d));
    for (const [u, r] of results) if (r.kind === 'delivered') done.add(u.name);
    // Keep what succeeded, so the client's retry goes only to the upstreams still missing it.
    if (fp) this.seen.set(fp, results.every(([, r]) => r.kind === 'delivered') ? new Set(this.ctx.upstreams.map((u) => u.name)) : done);
    return results;
  }

  /**
   * Decodes, translates and sends every copy now, before the answer. No results when the request
   * held no span; an upstream's final refusal is thrown as the client's answer.
   */
  private async deliverFirst(input: ProcessInput, done: Set<string>, fp: string | undefined, learn: boolean) {
    const out = await translate(this.ctx, input);
    countRedactions(this.ctx.metrics, out.deliveries);
    if (out.spans === 0) return { out, results: undefined };
    const pairs = out.deliveries.map((d) => [this.ctx.byName.get(d.upstream)!, d] as [Upstream, Delivery]);
    const results = await this.deliverNow(pairs, done, fp);
    if (learn) for (const [u, r] of results) this.ctx.admission.learn(u, input.inbound, r);
    const refused = results.find(([, r]) => r.kind === 'rejected');
    if (refused) throw rejection(refused[0], refused[1] as Rejection);
    return { out, results };
  }

  /** ack: upstream — decoded, translated and sent before the answer. */
  private async forward(input: ProcessInput, done: Set<string>, fp: string | undefined, path: string): Promise<{ rejected: number }> {
    const { out, results } = await this.deliverFirst(input, done, fp, false);
    if (!results) return { rejected: out.rejected };
    const failed = results.filter(([, r]) => r.kind !== 'delivered');
    if (failed.length) {
      const names = failed.map(([u]) => u.name).join(', ');
      throw new HttpError(503, `upstream ${names} did not accept the batch in time; retry later`, { 'retry-after': RETRY_AFTER_S }, 'upstream_timeout');
    }
    logReceived(this.ctx, out.spans, out.conventions, out.format, path);
    return { rejected: out.rejected };
  }

  /**
   * ack: queue with a caller's key no upstream has answered yet: the first request waits for the
   * upstreams, so a wrong key is told 401 at once rather than 200 and a dead letter later. What
   * each upstream said of the key is remembered. If an upstream cannot be reached in time, the
   * request is stored durably for the ones still missing it, as any other.
   */
  private async prove(input: ProcessInput, todo: Upstream[], done: Set<string>, fp: string | undefined, path: string): Promise<{ rejected: number }> {
    const { out, results } = await this.deliverFirst(input, done, fp, true);
    if (!results) return { rejected: out.rejected };
    const missing = todo.filter((u) => !done.has(u.name));
    if (missing.length === 0) {
      logReceived(this.ctx, out.spans, out.conventions, out.format, path);
      return { rejected: out.rejected };
    }
    return this.accept({ ...input, upstreams: missing.map((u) => u.name) }, fp, path);
  }
}
