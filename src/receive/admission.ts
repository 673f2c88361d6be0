// Admission: what a trace request must pass before its body is decoded — the proxy's own key,
// credentials that can be sent on, room for its body, and not being a retry already taken.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { extractInbound, isInboundKey, type InboundCredentials } from '../auth/inbound.js';
import { keyId } from '../auth/strategies.js';
import type { Config, UpstreamConfig } from '../config/schema.js';
import { checkHops } from './hops.js';
import type { Upstream } from '../forward/upstream.js';
import type { Result } from '../forward/sender.js';
import { decodedBytes } from './measure.js';
import type { ProcessInput } from './process.js';
import { UnprovenKeys } from './key-rate.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Where a refusal is counted (tracebridge_requests_refused_total), when its status alone does not say. */
    readonly reason?: string,
  ) {
    super(message);
  }
}

export const RETRY_AFTER_S = '5';

/**
 * The proxy's own key. When keys are configured, the one that opened tracebridge is taken out of
 * the credentials: it is never a credential for an upstream. A second key the caller sent (in
 * another header) stays the caller's key.
 */
export function authorize(inboundKeys: readonly string[], inbound: InboundCredentials): InboundCredentials {
  if (!inboundKeys.length) return inbound;
  const keys = inbound.keys ?? (inbound.key ? [inbound.key] : []);
  const opener = keys.find((k) => isInboundKey(inboundKeys, k));
  if (!opener) throw new HttpError(401, keys.length ? 'API key not accepted by this proxy' : 'this proxy requires an API key');
  const rest = keys.filter((k) => k !== opener);
  return { project: inbound.project, key: rest[0], keys: rest };
}

/** Characters Node refuses in a header value: a key holding one could never be sent on. */
const UNSENDABLE = /[^\t\x20-\x7e\x80-\xff]/;

/** A credential that cannot travel in an HTTP header is refused here, not retried later. */
function checkSendable(inbound: InboundCredentials): void {
  if (inbound.key !== undefined && UNSENDABLE.test(inbound.key))
    throw new HttpError(400, 'the API key holds characters that cannot be sent in an HTTP header (a line break or control character)');
  if (inbound.project !== undefined && UNSENDABLE.test(inbound.project)) throw new HttpError(400, 'the project_id header holds characters that cannot be sent in an HTTP header');
}

/**
 * Everything that decides where and how a request's copies go: the path, the body and how it is
 * encoded, the User-Agent (it picks Langtrace's body shape), the caller's key and project. Two
 * requests with the same fingerprint are the same request.
 */
export function fingerprint(path: string, h: IncomingMessage['headers'], body: Buffer, inbound: InboundCredentials): string {
  return createHash('sha256')
    .update(`${path}\0${h['content-type'] ?? ''}\0${h['content-encoding'] ?? ''}\0${h['user-agent'] ?? ''}\0${inbound.key ?? ''}\0${inbound.project ?? ''}\0`)
    .update(body)
    .digest('base64');
}

/**
 * Bytes of request bodies being read or held, across all requests: past the budget a new request
 * is refused before its body is read, so many large bodies at once cannot exhaust memory.
 */
class BodyBudget {
  private used = 0;
  constructor(readonly max: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `n` bytes if they fit; false otherwise. */
  take(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used -= n;
  }

  /** The answer to a request that does not fit. */
  busy(): HttpError {
    return new HttpError(503, `too many request bodies in flight (${this.max} bytes); retry later`, { 'retry-after': RETRY_AFTER_S }, 'busy');
  }
}

/** The client went away mid-upload: its doing, not a server error. */
export class ClientAborted extends Error {}

/**
 * Reads a body up to `max` bytes within the shared budget; a declared length over either is
 * refused before a byte is read; `ready` is called once it is not (a client waiting for 100 Continue
 * is sent it then). Resolves with the body and the bytes to give back once done.
 */
export function readBody(req: IncomingMessage, max: number, budget: BodyBudget, ready?: () => void): Promise<{ body: Buffer; held: number }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > max) return reject(new HttpError(413, `request body of ${declared} bytes is over the ${max}-byte limit`));
    let held = 0;
    const grow = (n: number) => {
      if (!budget.take(n)) return false;
      held += n;
      return true;
    };
    const fail = (err: Error) => {
      budget.give(held);
      held = 0;
      req.removeAllListeners('data');
      req.resume();
      reject(err);
    };
    if (declared > 0 && !grow(declared)) return fail(budget.busy());
    ready?.();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) return fail(new HttpError(413, `request body is over the ${max}-byte limit`));
      if (size > held && !grow(size - held)) return fail(budget.busy());
      chunks.push(c);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), held }));
    req.on('aborted', () => fail(new ClientAborted('the client closed the connection before sending the whole body')));
    req.on('error', (err) => fail(req.destroyed && !req.complete ? new ClientAborted(err.message) : err));
  });
}

export type KeyVerdict = 'accepted' | 'refused';

/** How long each verdict is trusted. */
export const VERDICT_TTL_MS = { accepted: 60 * 60 * 1000, refused: 5 * 60 * 1000 } as const;

/**
 * What each upstream said of the callers' keys it was given (drop-in and passthrough): while a
 * key is unproven its client waits for the upstream's answer, so a wrong key hears 401 at once;
 * a proven key goes at queue speed. Keys are held only as hashes. Accepted and refused keys are
 * kept apart, so a spray of wrong keys never evicts a proven one.
 */
export class KeyVerdicts {
  private readonly accepted = new LRUCache<string, true>({ max: 10_000, ttl: VERDICT_TTL_MS.accepted });
  // A refusal is remembered for less long: the key may be granted access soon after.
  private readonly refused = new LRUCache<string, true>({ max: 50_000, ttl: VERDICT_TTL_MS.refused });

  protected id(upstream: string, key: string): string {
    return createHash('sha256').update(`${upstream}\0${key}`).digest('base64');
  }

  get(upstream: string, key: string): KeyVerdict | undefined {
    const id = this.id(upstream, key);
    if (this.refused.has(id)) return 'refused';
    return this.accepted.has(id) ? 'accepted' : undefined;
  }

  set(upstream: string, key: string, verdict: KeyVerdict): void {
    this.remember(this.id(upstream, key), verdict);
  }

  /** A verdict by its hash, trusted for `ttlMs` (less than the whole when it was learned a while ago, elsewhere). */
  protected remember(id: string, verdict: KeyVerdict, ttlMs: number = VERDICT_TTL_MS[verdict]): void {
    (verdict === 'accepted' ? this.refused : this.accepted).delete(id);
    (verdict === 'accepted' ? this.accepted : this.refused).set(id, true, { ttl: ttlMs });
  }
}

/**
 * The admission decisions of one proxy, in the order a request meets them: the proxy's key and
 * the caller's, then room in each upstream, then what the journal may keep of the credentials.
 */
export class Admission {
  readonly bodies: BodyBudget;
  private readonly unproven: UnprovenKeys;
  private readonly senders: number;

  constructor(
    private readonly config: Config,
    private readonly upstreams: Upstream[],
    /** Shared by every replica with NATS (auth/shared-verdicts.ts); this process's own otherwise. */
    readonly verdicts: KeyVerdicts = new KeyVerdicts(),
  ) {
    this.bodies = new BodyBudget(config.maxBodyBytesInFlight);
    this.senders = upstreams.filter((u) => u.config.type !== 'sink').length;
    this.unproven = new UnprovenKeys(config.unprovenKeysPerMinute);
  }

  /**
   * Takes from the budget what decoding the request will hold (see decodedBytes); a request that
   * does not fit now gets 503 with Retry-After. Returns the release.
   */
  chargeDecoded(input: ProcessInput): () => void {
    const cost = decodedBytes(this.config, input);
    if (!this.bodies.take(cost)) throw this.bodies.busy();
    return () => this.bodies.give(cost);
  }

  /** Whether this upstream is given the caller's own key (the drop-in swap, or passthrough). */
  takesCallerKey(u: UpstreamConfig, inbound: InboundCredentials): boolean {
    return inbound.key !== undefined && u.type !== 'sink' && (u.auth.mode === 'passthrough' || (u.auth.mode === 'auto' && this.senders === 1));
  }

  /** Whether any upstream would be given a caller's key (what an open port risks). */
  get passesCallerKeys(): boolean {
    return this.upstreams.some((u) => this.takesCallerKey(u.config, { key: 'any' }));
  }

  /** What a full upstream does with a copy it has no room for. */
  whenFull(u: Upstream): 'spill' | 'refuse' {
    return u.config.queue.whenFull ?? (this.senders > 1 ? 'spill' : 'refuse');
  }

  /**
   * What can be refused before the body is read: the proxy's key, credentials that cannot be sent,
   * a key refused lately, no room anywhere, too many new keys from the client's address (ack: queue,
   * where a proven key skips the upstream; with ack: upstream every request goes to it anyway).
   */
  beforeBody(headers: IncomingHttpHeaders, client?: string): InboundCredentials {
    checkHops(headers);
    const inbound = authorize(this.config.inboundKeys, extractInbound(headers));
    checkSendable(inbound);
    const status = this.keyStatus(inbound, this.upstreams);
    if (this.config.ack === 'queue') this.refuseIfFull(this.upstreams);
    if (status === 'unproven' && client !== undefined && this.config.ack === 'queue') this.unproven.admit(client, inbound.key!);
    return inbound;
  }

  /** A caller's key that an upstream refused lately is refused here; one no upstream has answered yet is unproven. */
  keyStatus(inbound: InboundCredentials, todo: Upstream[]): 'proven' | 'unproven' {
    let unproven = false;
    for (const u of todo) {
      if (!this.takesCallerKey(u.config, inbound)) continue;
      const v = this.verdicts.get(u.name, inbound.key!);
      if (v === 'refused') throw new HttpError(401, `upstream ${u.name} refused this API key within the last few minutes`);
      if (v === undefined) unproven = true;
    }
    return unproven ? 'unproven' : 'proven';
  }

  /** Remembers what an upstream said of the caller's key it was given. */
  learn(u: Upstream, inbound: InboundCredentials, r: Result): void {
    if (!this.takesCallerKey(u.config, inbound)) return;
    if (r.kind === 'delivered') this.verdicts.set(u.name, inbound.key!, 'accepted');
    else if (r.kind === 'rejected' && (r.status === 401 || r.status === 403)) this.verdicts.set(u.name, inbound.key!, 'refused');
  }

  /** Refuses when an upstream that refuses when full is full, or all are; returns the full ones. */
  refuseIfFull(todo: Upstream[]): Upstream[] {
    const full = todo.filter((u) => !u.hasRoom(0));
    const refusing = full.filter((u) => this.whenFull(u) === 'refuse');
    if (refusing.length || (full.length && full.length === todo.length)) {
      const blocked = refusing.length ? refusing : full;
      const disk = blocked.every((u) => u.full === 'dead letters use the disk budget');
      throw new HttpError(disk ? 507 : 429, `${disk ? 'disk budget spent by dead letters' : 'queue full'} for upstream ${blocked.map((u) => u.name).join(', ')}; retry later`, {
        'retry-after': RETRY_AFTER_S,
      });
    }
    return full;
  }

  /**
   * Room in each upstream's queue: a place reserved in the same tick as the check, held until the
   * translation is staged there, so the limits count answered requests exactly. A full upstream
   * refuses the request (429, or 507 when dead letters use its disk budget) or, with
   * queue.whenFull: spill, takes its copy into its dead-letter folder while the others queue theirs.
   */
  reservePlaces(todo: Upstream[]): { places: Map<string, () => void>; overflow: Set<string> } {
    const full = this.refuseIfFull(todo);
    const places = new Map(todo.filter((u) => !full.includes(u)).map((u) => [u.name, u.reserve()]));
    return { places, overflow: new Set(full.map((u) => u.name)) };
  }

  /**
   * What the journal keeps of the caller's credentials: the key only where an upstream is given
   * it, the hash where a map looks it up, the project.
   */
  forDisk(inbound: InboundCredentials, todo: Upstream[]): InboundCredentials {
    return {
      ...(inbound.project !== undefined ? { project: inbound.project } : {}),
      ...(todo.some((u) => this.takesCallerKey(u.config, inbound)) ? { key: inbound.key } : {}),
      ...(inbound.key !== undefined && todo.some((u) => u.config.auth.mode === 'map') ? { keyId: keyId(inbound.key) } : {}),
    };
  }
}
