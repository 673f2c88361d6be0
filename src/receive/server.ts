// The proxy's HTTP server: trace endpoints in, one queue per upstream out, health and metrics
// beside them, and any other path passed through to a single upstream.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import httpProxy from 'http-proxy';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema.js';
import { extractInbound } from '../auth/inbound.js';
import { CredentialError } from '../auth/strategies.js';
import { loadMappings, type Mappings } from '../conventions/mappings.js';
import { createLogger, type Logger } from '../observe/log.js';
import { createMetrics, type Metrics } from '../observe/metrics.js';
import { endpointUrl, PrepareError, type Delivery } from '../forward/prepare.js';
import { Upstream } from '../forward/upstream.js';
import type { Result } from '../forward/sender.js';
import { probeDataDir } from '../forward/disk.js';
import { DecodeError } from '../wire/errors.js';
import { dialectOf, mediaType, type Dialect } from './routes.js';
import { processRequest, type ProcessInput } from './process.js';
import { TaskError, WorkerPool } from './pool.js';
import { json, sendError, sendSuccess } from './respond.js';

export interface Proxy {
  server: Server;
  upstreams: Upstream[];
  metrics: Metrics;
  log: Logger;
  listen(): Promise<{ host: string; port: number; url: string }>;
  close(graceMs?: number): Promise<void>;
}

export interface ProxyOptions {
  logger?: Logger;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Reads a body up to `max` bytes; past that, 413 without reading the rest. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > max) return reject(new HttpError(413, `request body of ${declared} bytes is over the ${max}-byte limit`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `request body is over the ${max}-byte limit`));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const RETRY_AFTER_S = '5';

/** Same path, same body, same encoding and same key: the same request. */
function fingerprint(path: string, h: IncomingMessage['headers'], body: Buffer, key: string | undefined): string {
  return createHash('sha1')
    .update(`${path}\0${h['content-type'] ?? ''}\0${h['content-encoding'] ?? ''}\0${key ?? ''}\0`)
    .update(body)
    .digest('base64');
}

export function createProxy(config: Config, opts: ProxyOptions = {}): Proxy {
  const log = opts.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const mappings: Mappings = loadMappings(config.mappings);
  const upstreams = config.upstreams.map((u) => new Upstream(u, config.dataDir, log, metrics));
  const byName = new Map(upstreams.map((u) => [u.name, u]));
  const pool = config.workers > 0 ? new WorkerPool(config, config.workers) : undefined;
  const senders = upstreams.filter((u) => u.config.type !== 'sink');
  const passthroughTarget = senders.length === 1 && senders[0].config.url ? new URL(endpointUrl(senders[0].config)).origin : undefined;
  const proxy = passthroughTarget ? httpProxy.createProxyServer({ target: passthroughTarget, changeOrigin: true, xfwd: true }) : undefined;
  proxy?.on('error', (err, _req, res) => {
    log.warn({ err: err.message }, 'pass-through request failed');
    if ('writeHead' in res) json(res as ServerResponse, 502, { error: `upstream unreachable: ${err.message}` });
  });
  let shuttingDown = false;

  const seen = new LRUCache<string, Set<string>>({ max: 10_000, ttl: Math.max(1, config.dedupWindowMs) });
  let pendingRequests = 0;

  /** ack: queue — fsync every upstream's copy, then commit them all; any failure queues none. */
  async function enqueue(deliveries: Array<[Upstream, Delivery]>, spans: number): Promise<void> {
    const full = deliveries.filter(([u, d]) => !u.hasRoom(d.requests.reduce((n, r) => n + r.body.length, 0)));
    if (full.length) {
      metrics.spansRejectedInbound.inc({ reason: 'queue_full' }, spans);
      throw new HttpError(429, `queue full for upstream ${full.map(([u]) => u.name).join(', ')}; retry later`, { 'retry-after': RETRY_AFTER_S });
    }
    const staged = await Promise.allSettled(deliveries.map(([u, d]) => u.stage(d)));
    const failed = staged.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(staged.map((r) => (r.status === 'fulfilled' ? r.value.abort() : undefined)));
      const err = failed.reason as NodeJS.ErrnoException;
      metrics.spansRejectedInbound.inc({ reason: 'disk' }, spans);
      log.error({ code: err.code, err: err.message, dataDir: config.dataDir }, 'cannot write to the queue; refusing requests until the disk recovers');
      throw new HttpError(503, `cannot persist the batch (${err.code ?? err.message}); retry later`, { 'retry-after': RETRY_AFTER_S });
    }
    await Promise.all(staged.map((r) => (r as PromiseFulfilledResult<{ commit(): Promise<void> }>).value.commit()));
    for (const [u] of deliveries) u.notify();
  }

  /** ack: upstream — the client waits for every upstream; what succeeded is remembered for its retry. */
  async function deliverNow(deliveries: Array<[Upstream, Delivery]>, done: Set<string>, fp: string | undefined): Promise<void> {
    const results = await Promise.all(deliveries.map(async ([u, d]) => [u, await u.send(d, config.ackTimeoutMs)] as const));
    for (const [u, r] of results) if (r.kind === 'delivered') done.add(u.name);
    const rejected = results.find(([, r]) => r.kind === 'rejected');
    const failed = results.filter(([, r]) => r.kind !== 'delivered');
    if (!failed.length) return;
    // Keep what succeeded, so the client's retry goes only to the upstreams still missing it.
    if (done.size && fp) seen.set(fp, done);
    if (rejected) {
      const [u, r] = rejected as [Upstream, Extract<Result, { kind: 'rejected' }>];
      throw new HttpError(r.status >= 400 && r.status < 500 ? r.status : 502, `upstream ${u.name} rejected the batch with HTTP ${r.status}`);
    }
    throw new HttpError(503, `upstream ${failed.map(([u]) => u.name).join(', ')} did not accept the batch in time; retry later`, { 'retry-after': RETRY_AFTER_S });
  }

  async function handleTraces(req: IncomingMessage, res: ServerResponse, dialect: Dialect, path: string): Promise<void> {
    const proto = mediaType(req.headers['content-type']).includes('protobuf');
    const end = metrics.requestSeconds.startTimer({ path });
    pendingRequests++;
    const finish = (status: number) => {
      pendingRequests--;
      end();
      metrics.requests.inc({ path, status: String(status) });
    };
    try {
      if (shuttingDown) throw new HttpError(503, 'tracebridge is shutting down', { 'retry-after': RETRY_AFTER_S });
      const raw = await readBody(req, config.maxBodyBytes);
      const inbound = extractInbound(req.headers);
      if (config.inboundKeys.length && (!inbound.key || !config.inboundKeys.includes(inbound.key)))
        throw new HttpError(401, inbound.key ? 'API key not accepted by this proxy' : 'this proxy requires an API key');
      // A client's retry of a request already taken is answered without doing it again; an
      // earlier partial outcome (ack: upstream) is remembered per upstream.
      const fp = config.dedupWindowMs ? fingerprint(path, req.headers, raw, inbound.key) : undefined;
      const done = (fp && seen.get(fp)) || new Set<string>();
      const todo = upstreams.filter((u) => !done.has(u.name));
      if (todo.length === 0) {
        log.debug({ path }, 'repeated request already taken; not queued again');
        sendSuccess(res, dialect, proto);
        return finish(200);
      }
      // A full queue refuses before any decoding work is spent on the request.
      const full = config.ack === 'queue' ? todo.filter((u) => !u.hasRoom(0)) : [];
      if (full.length) {
        // Counted in tracebridge_requests_total{status="429"}: the spans are not decoded yet.
        throw new HttpError(429, `queue full for upstream ${full.map((u) => u.name).join(', ')}; retry later`, { 'retry-after': RETRY_AFTER_S });
      }
      const input: ProcessInput = {
        raw,
        dialect,
        contentType: req.headers['content-type'],
        contentEncoding: req.headers['content-encoding'] as string | undefined,
        userAgent: req.headers['user-agent'],
        inbound,
        upstreams: todo.map((u) => u.name),
      };
      const { spans, rejected, format, conventions, deliveries: prepared } = pool ? await pool.run(input) : processRequest(config, mappings, input);
      const partial = rejected ? `${rejected} spans had no trace or span id` : '';
      if (rejected) metrics.spansRejectedInbound.inc({ reason: 'no_id' }, rejected);
      if (spans === 0) {
        sendSuccess(res, dialect, proto, rejected, partial);
        return finish(200);
      }
      const deliveries = prepared.map((d) => [byName.get(d.upstream)!, d] as [Upstream, Delivery]);
      if (config.ack === 'upstream') await deliverNow(deliveries, done, fp);
      else await enqueue(deliveries, spans);
      if (fp) seen.set(fp, new Set(upstreams.map((u) => u.name)));
      for (const [c, n] of conventions) metrics.spansReceived.inc({ convention: c }, n);
      const found = Object.fromEntries(conventions);
      if (upstreams.some((u) => u.config.type === 'sink')) log.info({ spans, conventions: found, format, path }, 'batch received');
      else log.debug({ spans, conventions: found, format, path }, 'batch received');
      sendSuccess(res, dialect, proto, rejected, partial);
      finish(200);
    } catch (err) {
      const e = err as Error & { status?: number; headers?: Record<string, string> };
      const known =
        err instanceof HttpError || err instanceof DecodeError || err instanceof CredentialError || err instanceof PrepareError || (err instanceof TaskError && err.known);
      const status = known ? (e.status ?? 400) : 500;
      if (!known) log.error({ err: e.message, stack: e.stack, path }, 'unexpected error handling a trace request');
      else log.info({ status, reason: e.message, path }, 'trace request refused');
      sendError(res, dialect, proto, status, known ? e.message : 'internal error', (e as HttpError).headers ?? {});
      finish(status);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const dialect = dialectOf(path);
    if (dialect && req.method === 'POST') return handleTraces(req, res, dialect, path);
    if (dialect) return sendError(res, dialect, false, 405, `use POST for ${path}`, { allow: 'POST' });
    if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      const full = upstreams.filter((u) => !u.hasRoom(0)).map((u) => u.name);
      if (shuttingDown) return json(res, 503, { status: 'shutting down' });
      return json(res, full.length ? 503 : 200, full.length ? { status: 'queues full', upstreams: full } : { status: 'ready' });
    }
    if (req.method === 'GET' && path === '/metrics') {
      for (const u of upstreams) metrics.queueDepth.set({ upstream: u.name }, u.depth);
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      return void res.end(await metrics.registry.metrics());
    }
    if (proxy) return void proxy.web(req, res);
    json(res, 404, {
      error: `no route for ${req.method} ${path}: trace endpoints are POST /v1/traces, /otel/v1/traces, /agents/otel/v1/traces, /traces/otel/v1/traces and /api/trace` +
        (senders.length > 1 ? '; other paths are passed through only with a single upstream' : ''),
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      log.error({ err: (err as Error).message }, 'request failed');
      json(res, 500, { error: 'internal error' });
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    upstreams,
    metrics,
    log,
    listen: async () => {
      await probeDataDir(config.dataDir);
      await Promise.all(upstreams.map((u) => u.start()));
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.listen.port, config.listen.host, () => {
          const a = server.address() as AddressInfo;
          const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
          resolve({ host: a.address, port: a.port, url: `http://${host}:${a.port}` });
        });
      });
    },
    async close(graceMs = 10_000) {
      // Stop accepting, let requests already being written finish, then stop the workers;
      // whatever is still queued stays on disk for the next start.
      shuttingDown = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (pendingRequests > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await Promise.all(upstreams.map((u) => u.stop(Math.max(0, deadline - Date.now()))));
      server.closeAllConnections();
      await closed;
      proxy?.close();
      await pool?.close();
    },
  };
}
