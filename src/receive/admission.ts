// Admission: what a trace request must pass before its body is decoded — the proxy's own key,
// credentials that can be sent on, room for its body, and not being a retry already taken.
import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { InboundCredentials } from '../auth/inbound.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
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
  const opener = keys.find((k) => inboundKeys.includes(k));
  if (!opener) throw new HttpError(401, keys.length ? 'API key not accepted by this proxy' : 'this proxy requires an API key');
  const rest = keys.filter((k) => k !== opener);
  return { project: inbound.project, key: rest[0], keys: rest };
}

/** Characters Node refuses in a header value: a key holding one could never be sent on. */
const UNSENDABLE = /[^\t\x20-\x7e\x80-\xff]/;

/** A credential that cannot travel in an HTTP header is refused here, not retried later. */
export function checkSendable(inbound: InboundCredentials): void {
  if (inbound.key !== undefined && UNSENDABLE.test(inbound.key)) throw new HttpError(400, 'the API key holds characters that cannot be sent in an HTTP header (a line break or control character)');
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
export class BodyBudget {
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
}

/** The client went away mid-upload: its doing, not a server error. */
export class ClientAborted extends Error {}

/**
 * Reads a body up to `max` bytes within the shared budget; a declared length over either is
 * refused before a byte is read. Resolves with the body and the bytes to give back once done.
 */
export function readBody(req: IncomingMessage, max: number, budget: BodyBudget): Promise<{ body: Buffer; held: number }> {
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
    const busy = () => new HttpError(503, `too many request bodies in flight (${budget.max} bytes); retry later`, { 'retry-after': RETRY_AFTER_S });
    if (declared > 0 && !grow(declared)) return fail(busy());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) return fail(new HttpError(413, `request body is over the ${max}-byte limit`));
      if (size > held && !grow(size - held)) return fail(busy());
      chunks.push(c);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), held }));
    req.on('aborted', () => fail(new ClientAborted('the client closed the connection before sending the whole body')));
    req.on('error', (err) => fail(req.destroyed && !req.complete ? new ClientAborted(err.message) : err));
  });
}

export type KeyVerdict = 'accepted' | 'refused';

/**
 * What each upstream said of the callers' keys it was given (drop-in and passthrough): while a
 * key is unproven its client waits for the upstream's answer, so a wrong key hears 401 at once;
 * a proven key goes at queue speed. Keys are held only as hashes.
 */
export class KeyVerdicts {
  private readonly cache = new LRUCache<string, KeyVerdict>({ max: 10_000, ttl: 60 * 60 * 1000 });

  private id(upstream: string, key: string): string {
    return createHash('sha256').update(`${upstream}\0${key}`).digest('base64');
  }

  get(upstream: string, key: string): KeyVerdict | undefined {
    return this.cache.get(this.id(upstream, key));
  }

  set(upstream: string, key: string, verdict: KeyVerdict): void {
    // A refusal is remembered for less long: the key may be granted access soon after.
    this.cache.set(this.id(upstream, key), verdict, { ttl: verdict === 'refused' ? 5 * 60 * 1000 : undefined });
  }
}
