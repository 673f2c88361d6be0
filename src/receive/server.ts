// The proxy's HTTP server: trace endpoints in, one queue per upstream out, health and metrics
// beside them, and any other path passed through to a single upstream.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema.js';
import { extractInbound, isInboundKey, type InboundCredentials } from '../auth/inbound.js';
import { CredentialError } from '../auth/strategies.js';
import { loadMappings, type Mappings } from '../conventions/mappings.js';
import { createLogger, type Logger } from '../observe/log.js';
import { countRedactions, createMetrics, type Metrics } from '../observe/metrics.js';
import { endpointUrl, PrepareError, type Delivery } from '../forward/prepare.js';
import { Upstream } from '../forward/upstream.js';
import { bodyBytes, type SpoolEntry, type Staged } from '../forward/spool.js';
import type { Result } from '../forward/sender.js';
import { probeDataDir } from '../forward/disk.js';
import { releaseBodies } from '../forward/bodies.js';
import { DecodeError } from '../wire/errors.js';
import { dialectOf, mediaType, type Dialect } from './routes.js';
import { checkRequest, prepareAll, processRequest, type ProcessInput, type ProcessOutput } from './process.js';
import { Journal, type JournalEntry } from './journal.js';
import { Backlog } from './backlog.js';
import type { SpanBatch } from '../model/batch.js';
import { TaskError, WorkerPool } from './pool.js';
import { errorAnswer, json, sendError, sendSuccess } from './respond.js';
import { grpcReceiver } from './grpc.js';
import { ProxyActivity } from '../observe/activity.js';
import { STATUS_PAGE, statusOf } from '../observe/status.js';
import { Admission, authorize, ClientAborted, fingerprint, HttpError, readBody, RETRY_AFTER_S } from './admission.js';
import { clientAddress, guardConnections, serverOptions } from './connections.js';
import { continueIfAsked, expectContinue, refuseUnread } from './early.js';

export interface Proxy {
  server: Server;
  /** The OTLP/gRPC port, once listening (undefined when off). */
  grpcPort?: number;
  /** Nothing in hand: no request being taken or translated, no batch waiting or being sent. */
  readonly idle: boolean;
  upstreams: Upstream[];
  metrics: Metrics;
  log: Logger;
  /** New key tables (a configuration reload); worker threads keep theirs until a restart. */
  setMappings(overrides: Config['mappings']): void;
  listen(): Promise<{ host: string; port: number; url: string }>;
  close(graceMs?: number): Promise<void>;
}

export interface ProxyOptions {
  logger?: Logger;
}

const DISK_RETRY_MS = 1000;

/** A request answered and journalled, waiting to be translated (no input: found at start-up, on disk). */
interface Accepted {
  entry: JournalEntry;
  spans: number;
  input?: ProcessInput;
  /** Decoded when it was checked, so translating in the same thread does not decode it again. */
  batch?: SpanBatch;
  format?: string;
  path?: string;
  /** Upstreams whose queue already held its translation at start-up. */
  skip?: Set<string>;
  /** Places held in the upstreams' queues (Upstream.reserve), by upstream name. */
  places?: Map<string, () => void>;
  /** Upstreams with no room for it: their copies go to their dead-letter folders (queue.whenFull: spill). */
  overflow?: Set<string>;
}

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

const CLOSING = () => new HttpError(503, 'tracebridge is shutting down', { 'retry-after': RETRY_AFTER_S }, 'shutting_down');

const LOOPBACK = /^(127\.|::1$|localhost$|\[::1\]$)/;

export function createProxy(config: Config, opts: ProxyOptions = {}): Proxy {
  const log = opts.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  let mappings: Mappings = loadMappings(config.mappings);
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
  /** Journal entries being removed (their copies all delivered or queued): part of being idle. */
  let unjournalling = 0;
  const admission = new Admission(config, upstreams);
  /** What the status page shows of the traffic: conventions seen, the last spans. */
  const activity = new ProxyActivity();
  /**
   * ack: queue — a request is answered once it is decoded, checked and journalled (one fsync);
   * translating it and writing every upstream's queue happen after the answer, in the backlog.
   */
  const journal = config.ack === 'queue' ? new Journal(config.dataDir) : undefined;
  const concurrency = pool ? config.workers + 1 : 2;
  const backlog = new Backlog<Accepted>(concurrency * 2, concurrency, async (a) => {
    try {
      await translateAccepted(a);
    } finally {
      for (const release of a.places?.values() ?? []) release();
    }
  });

  function logReceived(spans: number, conventions: Array<[string, number]>, format: string, path: string): void {
    activity.onConventions(conventions);
    for (const [c, n] of conventions) metrics.spansReceived.inc({ convention: c }, n);
    const found = Object.fromEntries(conventions);
    if (upstreams.some((u) => u.config.type === 'sink')) log.info({ spans, conventions: found, format, path }, 'batch received');
    else log.debug({ spans, conventions: found, format, path }, 'batch received');
  }

  /**
   * Writes every upstream's copy of a journalled request under the journal entry's name, fsynced
   * and committed but not yet given to the senders. A disk error is retried, never dropped;
   * undefined means shutting down first (what was committed is found at the next start).
   */
  async function enqueue(deliveries: Array<[Upstream, Delivery]>, name: string, places?: Map<string, () => void>): Promise<Array<[Upstream, SpoolEntry]> | undefined> {
    const committed: Array<[Upstream, SpoolEntry]> = [];
    let todo = deliveries;
    for (;;) {
      const staged = await Promise.allSettled(todo.map(([u, d]) => (places?.get(u.name)?.(), u.stage(d, name))));
      let failure = staged.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) await Promise.all(staged.map((r) => (r.status === 'fulfilled' ? r.value.abort() : undefined)));
      else {
        const results = await Promise.allSettled(staged.map((r) => (r as PromiseFulfilledResult<Staged>).value.commit(false)));
        results.forEach((r, i) => r.status === 'fulfilled' && committed.push([todo[i][0], r.value]));
        todo = todo.filter((_, i) => results[i].status === 'rejected');
        if (!todo.length) return committed;
        failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      }
      const err = failure!.reason as NodeJS.ErrnoException;
      log.error({ code: err.code, err: err.message, dataDir: config.dataDir }, 'cannot write to the queue; the batch stays journalled and is retried');
      if (shuttingDown) return undefined;
      await new Promise((r) => setTimeout(r, DISK_RETRY_MS));
    }
  }

  /**
   * Translates an answered request for every upstream. Where an upstream's in-memory share has
   * room, its copy is only held in memory and the journal entry stays until every held copy is
   * delivered or written to its queue (one write per request when the upstreams keep up). The
   * other copies are written to their queues first. A restart translates what the journal still
   * has, skipping the upstreams whose queue holds it or that recorded its delivery.
   */
  async function translateAccepted(a: Accepted): Promise<void> {
    let out: Pick<ProcessOutput, 'conventions' | 'deliveries'>;
    let spans = a.spans;
    try {
      if (!a.input) ({ input: a.input, spans } = await journal!.load(a.entry));
      if (a.batch) out = prepareAll(config, mappings, a.input, a.batch);
      else out = pool ? await pool.run(a.input) : processRequest(config, mappings, a.input);
      countRedactions(metrics, out.deliveries);
    } catch (err) {
      if (shuttingDown) return; // the pool is going away: the request stays journalled for the next start
      const e = err as Error;
      metrics.spansRejectedInbound.inc({ reason: 'translate' }, spans);
      log.error({ err: e.message, stack: e.stack, file: a.entry.file }, 'an answered request could not be translated; kept in the failed folder');
      await journal!.fail(a.entry, e.message).catch((e2: Error) => log.error({ err: e2.message }, 'cannot move the request to the failed folder'));
      return;
    }
    a.batch = undefined;
    const name = journal!.nameOf(a.entry);
    // No closure here refers to `a` or the copies: the journal's release below outlives this
    // call, and would keep whatever the closures of this call refer to alive until it runs.
    const skip = a.skip;
    const deliveries = out.deliveries
      .map((d) => [byName.get(d.upstream), d] as [Upstream | undefined, Delivery])
      .filter((p): p is [Upstream, Delivery] => p[0] !== undefined && !skip?.has(p[0].name));
    const held: Array<[Upstream, Delivery]> = [];
    const written: Array<[Upstream, Delivery]> = [];
    for (const p of deliveries) {
      if (a.overflow?.has(p[0].name))
        await p[0].overflow(p[1], name).catch((e: Error) => log.error({ upstream: p[0].name, err: e.message }, 'cannot write a dead letter; batch dropped for this upstream'));
      else (p[0].canHold(bodyBytes(p[1])) ? held : written).push(p);
    }
    const queued = await enqueue(written, name, a.places);
    if (!queued) return;
    const entry = a.entry;
    const removeFromJournal = () => {
      unjournalling++;
      return journal!
        .done(entry)
        .catch((e: Error) => log.error({ err: e.message, file: entry.file }, 'cannot remove a request from the journal'))
        .finally(() => unjournalling--);
    };
    let refs = held.length;
    const backing = { release: () => void (--refs === 0 && removeFromJournal()) };
    for (const [u, d] of held) {
      a.places?.get(u.name)?.();
      u.hold(d, name, backing);
    }
    for (const [u, e] of queued) u.publish(e);
    for (const [u] of [...held, ...written]) u.notify();
    if (held.length === 0) await removeFromJournal();
    logReceived(spans, out.conventions, a.format ?? '', a.path ?? '');
  }

  /** ack: queue — decoded and checked, journalled, answered; translated later by the backlog. */
  async function accept(input: ProcessInput, todo: Upstream[], fp: string | undefined, path: string): Promise<{ rejected: number }> {
    const { places, overflow } = admission.reservePlaces(todo);
    let admitted = false;
    let pushed = false;
    try {
      // admitTimeoutMs (5 s) is under the 10 s an OpenTelemetry exporter waits, so the client hears the 503.
      admitted = await backlog.admit(config.admitTimeoutMs);
      if (!admitted) {
        // Counted in tracebridge_requests_total{status="503"}: the spans are not decoded yet.
        throw new HttpError(503, `the requests already answered have not been translated for ${config.admitTimeoutMs / 1000} s; retry later`, { 'retry-after': RETRY_AFTER_S });
      }
      // With workers this thread decodes only to check and a worker decodes again to translate:
      // that measured cheaper than a worker keeping the decoded batch until after the answer
      // (long-lived batches reach the old generation, and its collections cost more).
      const { batch, spans, rejected, format } = checkRequest(config, input);
      if (spans === 0) return { rejected };
      let entry: JournalEntry;
      try {
        const written = metrics.journalSeconds.startTimer();
        entry = await journal!.write({ ...input, inbound: admission.forDisk(input.inbound, todo) }, spans);
        written();
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        metrics.spansRejectedInbound.inc({ reason: 'disk' }, spans);
        log.error({ code: e.code, err: e.message, dataDir: config.dataDir }, 'cannot write to the journal; refusing requests until the disk recovers');
        throw new HttpError(503, `cannot persist the batch (${e.code ?? e.message}); retry later`, { 'retry-after': RETRY_AFTER_S }, 'disk');
      }
      if (fp) seen.set(fp, new Set(upstreams.map((u) => u.name)));
      backlog.push({ entry, spans, input, batch: pool ? undefined : batch, format, path, places, overflow: overflow.size ? overflow : undefined });
      activity.onBatch(batch);
      pushed = true;
      return { rejected };
    } finally {
      if (!pushed) {
        if (admitted) backlog.release();
        for (const release of places.values()) release();
      }
    }
  }

  /** Sends every copy now and waits; what succeeded is remembered for the client's retry. */
  async function deliverNow(deliveries: Array<[Upstream, Delivery]>, done: Set<string>, fp: string | undefined): Promise<Array<readonly [Upstream, Result]>> {
    const results = await Promise.all(deliveries.map(async ([u, d]) => [u, await u.send(d, config.ackTimeoutMs)] as const));
    // Stopped at shutdown, a request may still be on the wire: only the others are given back.
    deliveries.forEach(([, d], i) => results[i][1].kind !== 'stopped' && releaseBodies(d));
    for (const [u, r] of results) if (r.kind === 'delivered') done.add(u.name);
    // Keep what succeeded, so the client's retry goes only to the upstreams still missing it.
    if (fp) seen.set(fp, results.every(([, r]) => r.kind === 'delivered') ? new Set(upstreams.map((u) => u.name)) : done);
    return results;
  }

  /** An upstream's final refusal, as the client's answer (its 4xx, else 502). */
  function rejection(u: Upstream, r: Extract<Result, { kind: 'rejected' }>): HttpError {
    if (r.status === 0) return new HttpError(400, `the batch cannot be sent to upstream ${u.name}: ${r.body}`);
    return new HttpError(r.status >= 400 && r.status < 500 ? r.status : 502, `upstream ${u.name} rejected the batch with HTTP ${r.status}`);
  }

  /**
   * Decodes, translates and sends every copy now, before the answer. Undefined when the request
   * held no span; an upstream's final refusal is thrown as the client's answer.
   */
  async function deliverFirst(input: ProcessInput, done: Set<string>, fp: string | undefined, learn: boolean) {
    const out = pool ? await pool.run(input) : processRequest(config, mappings, input);
    countRedactions(metrics, out.deliveries);
    if (out.spans === 0) return { out, results: undefined };
    const results = await deliverNow(
      out.deliveries.map((d) => [byName.get(d.upstream)!, d] as [Upstream, Delivery]),
      done,
      fp,
    );
    if (learn) for (const [u, r] of results) admission.learn(u, input.inbound, r);
    const refused = results.find(([, r]) => r.kind === 'rejected');
    if (refused) throw rejection(refused[0], refused[1] as Extract<Result, { kind: 'rejected' }>);
    return { out, results };
  }

  /** ack: upstream — decoded, translated and sent before the answer. */
  async function forward(input: ProcessInput, done: Set<string>, fp: string | undefined, path: string): Promise<{ rejected: number }> {
    const { out, results } = await deliverFirst(input, done, fp, false);
    if (!results) return { rejected: out.rejected };
    const failed = results.filter(([, r]) => r.kind !== 'delivered');
    if (failed.length)
      throw new HttpError(
        503,
        `upstream ${failed.map(([u]) => u.name).join(', ')} did not accept the batch in time; retry later`,
        { 'retry-after': RETRY_AFTER_S },
        'upstream_timeout',
      );
    logReceived(out.spans, out.conventions, out.format, path);
    return { rejected: out.rejected };
  }

  /**
   * ack: queue with a caller's key no upstream has answered yet: the first request waits for the
   * upstreams, so a wrong key is told 401 at once rather than 200 and a dead letter later. What
   * each upstream said of the key is remembered. If an upstream cannot be reached in time, the
   * request is queued durably for the ones still missing it, as any other.
   */
  async function prove(input: ProcessInput, todo: Upstream[], done: Set<string>, fp: string | undefined, path: string): Promise<{ rejected: number }> {
    const { out, results } = await deliverFirst(input, done, fp, true);
    if (!results) return { rejected: out.rejected };
    const { spans, rejected, format, conventions } = out;
    const missing = todo.filter((u) => !done.has(u.name));
    if (missing.length === 0) {
      logReceived(spans, conventions, format, path);
      return { rejected };
    }
    return accept({ ...input, upstreams: missing.map((u) => u.name) }, missing, fp, path);
  }

  /**
   * A request whose body is in hand, from either receiver (HTTP or gRPC): skip a retry already
   * taken → hand off (journal and answer; or, for an unproven key or ack: upstream, deliver first).
   */
  async function ingest(headers: IncomingHttpHeaders, inbound: InboundCredentials, raw: Buffer, dialect: Dialect, path: string): Promise<{ rejected: number }> {
    // A client's retry of a request already taken is answered without doing it again; an
    // earlier partial outcome (ack: upstream) is remembered per upstream.
    const fp = config.dedupWindowMs ? fingerprint(path, headers, raw, inbound) : undefined;
    const done = (fp && seen.get(fp)) || new Set<string>();
    const todo = upstreams.filter((u) => !done.has(u.name));
    if (todo.length === 0) return (log.debug({ path }, 'repeated request already taken; not queued again'), { rejected: 0 });
    const input: ProcessInput = {
      raw,
      dialect,
      contentType: headers['content-type'],
      contentEncoding: headers['content-encoding'] as string | undefined,
      userAgent: headers['user-agent'],
      inbound,
      upstreams: todo.map((u) => u.name),
    };
    // Charged by what it will take once decoded, not its bytes on the wire; refused when over a limit.
    const release = admission.chargeDecoded(input);
    try {
      const { rejected } =
        config.ack === 'upstream'
          ? await forward(input, done, fp, path)
          : admission.keyStatus(inbound, todo) === 'unproven'
            ? await prove(input, todo, done, fp, path)
            : await accept(input, todo, fp, path);
      if (rejected) metrics.spansRejectedInbound.inc({ reason: 'no_id' }, rejected);
      return { rejected };
    } finally {
      release();
    }
  }

  /** An error as the client hears it: its status (500 for the unexpected, logged), counted. */
  function refusal(err: unknown, path: string): HttpError {
    const e = err as Error & { status?: number; headers?: Record<string, string> };
    const known =
      err instanceof HttpError || err instanceof DecodeError || err instanceof CredentialError || err instanceof PrepareError || (err instanceof TaskError && err.known);
    const status = known ? (e.status ?? 400) : 500;
    if (!known) log.error({ err: e.message, stack: e.stack, path }, 'unexpected error handling a trace request');
    else log.info({ status, reason: e.message, path }, 'trace request refused');
    metrics.requestsRefused.inc({ reason: refusalReason(status, (err as HttpError).reason) });
    return new HttpError(status, known ? e.message : 'internal error', e.headers ?? {});
  }

  /** Counts a trace request in flight (shutdown waits for them) and its outcome. */
  function track(path: string): (status: number) => void {
    const end = metrics.requestSeconds.startTimer({ path });
    pendingRequests++;
    return (status) => {
      pendingRequests--;
      end();
      metrics.requests.inc({ path, status: String(status) });
    };
  }

  /** OTLP/HTTP and /api/trace: admit (keys, room) → read the body within the shared budget → ingest → answer. */
  async function handleTraces(req: IncomingMessage, res: ServerResponse, dialect: Dialect, path: string): Promise<void> {
    const proto = mediaType(req.headers['content-type']).includes('protobuf');
    const finish = track(path);
    let held = 0;
    let bodyRead = false;
    try {
      if (shuttingDown) throw CLOSING();
      const inbound = admission.beforeBody(req.headers, clientAddress(req.socket));
      const body = await readBody(req, config.maxBodyBytes, admission.bodies, () => continueIfAsked(req, res));
      bodyRead = true;
      held = body.held;
      const { rejected } = await ingest(req.headers, inbound, body.body, dialect, path);
      sendSuccess(res, dialect, proto, rejected, rejected ? `${rejected} spans had no trace or span id` : '');
      finish(200);
    } catch (err) {
      if (err instanceof ClientAborted) {
        // The client's doing: nothing to answer, nothing to alarm anyone about.
        log.debug({ path, reason: err.message }, 'client went away mid-request');
        metrics.requestsRefused.inc({ reason: 'client_aborted' });
        return finish(499);
      }
      const r = refusal(err, path);
      // Refused before its body was read: answered with Connection: close and the upload drained a while (early.ts).
      if (bodyRead) sendError(res, dialect, proto, r.status, r.message, r.headers);
      else refuseUnread(req, res, errorAnswer(dialect, proto, r.status, r.message, r.headers));
      finish(r.status);
    } finally {
      admission.bodies.give(held);
    }
  }

  /**
   * OTLP/gRPC: the message is in hand (grpc-js read and inflated it), its room in the body budget
   * held by the receiver (grpc-budget.ts) until the answer; the same admission and ingest.
   */
  async function handleGrpc(headers: IncomingHttpHeaders, raw: Buffer, path: string, client: string): Promise<{ rejected: number }> {
    const finish = track(path);
    try {
      if (shuttingDown) throw CLOSING();
      const out = await ingest(headers, admission.beforeBody(headers, client), raw, 'otlp', path);
      finish(200);
      return out;
    } catch (err) {
      const r = refusal(err, path);
      finish(r.status);
      throw r;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const dialect = dialectOf(path);
    if (dialect && req.method === 'POST') return handleTraces(req, res, dialect, path);
    if (dialect) return sendError(res, dialect, false, 405, `use POST for ${path}`, { allow: 'POST' });
    if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      if (shuttingDown) return json(res, 503, { status: 'shutting down' });
      const full = Object.fromEntries(upstreams.filter((u) => u.full).map((u) => [u.name, u.full]));
      const n = Object.keys(full).length;
      // Not ready when a full upstream would refuse requests (a spilling one still takes them for the others).
      const refusing = upstreams.some((u) => u.full && (admission.whenFull(u) === 'refuse' || n === upstreams.length));
      return json(
        res,
        refusing ? 503 : 200,
        n ? { status: refusing ? 'queues full' : 'ready, some queues full (their copies go to dead letters)', upstreams: full } : { status: 'ready' },
      );
    }
    // Every other path asks for the proxy's own key, when it has any.
    let inbound: InboundCredentials | undefined;
    if (config.inboundKeys.length && !(path === '/metrics' && !config.metricsRequireKey)) {
      try {
        inbound = authorize(config.inboundKeys, extractInbound(req.headers));
      } catch (err) {
        metrics.requestsRefused.inc({ reason: 'auth' });
        // A browser asks for the key (any user name, the key as password) and sends it with the page's own requests.
        return json(res, 401, { error: (err as Error).message }, path.startsWith('/status') ? { 'www-authenticate': 'Basic realm="tracebridge"' } : {});
      }
    }
    // "/" too, unless it is passed through to the single upstream (a base-URL swap keeps working).
    if (req.method === 'GET' && (path === '/status' || (path === '/' && !proxy))) {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
      });
      return void res.end(STATUS_PAGE);
    }
    if (req.method === 'GET' && path === '/status.json') return json(res, 200, await statusOf(upstreams, activity), { 'cache-control': 'no-store' });
    if (req.method === 'GET' && path === '/metrics') {
      for (const u of upstreams) metrics.queueDepth.set({ upstream: u.name }, u.depth);
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      return void res.end(await metrics.registry.metrics());
    }
    if (proxy) {
      // The key that opened tracebridge is not passed on: only a second key the caller sent is.
      if (inbound) stripProxyKey(req, config.inboundKeys);
      return void proxy.web(req, res);
    }
    json(res, 404, {
      error:
        `no route for ${req.method} ${path}: trace endpoints are POST /v1/traces, /otel/v1/traces, /agents/otel/v1/traces, /traces/otel/v1/traces and /api/trace` +
        (senders.length > 1 ? '; other paths are passed through only with a single upstream' : ''),
    });
  }

  const server = createServer(serverOptions(config), (req, res) => {
    handle(req, res).catch((err) => {
      log.error({ err: (err as Error).message }, 'request failed');
      json(res, 500, { error: 'internal error' });
    });
  });
  guardConnections(server, config, log, metrics);
  expectContinue(server, (req) => req.method === 'POST' && dialectOf((req.url ?? '/').split('?')[0]) !== undefined);
  const grpc =
    config.grpcListen === 'off'
      ? undefined
      : grpcReceiver(handleGrpc, { maxMessageBytes: Math.min(config.grpcMaxMessageBytes, config.maxBodyBytes), budget: admission.bodies }, (err) =>
          log.error({ err: err.message }, 'OTLP/gRPC request failed'),
        );

  const proxyObject: Proxy = {
    server,
    upstreams,
    get idle() {
      return pendingRequests === 0 && backlog.size === 0 && unjournalling === 0 && upstreams.every((u) => u.depth === 0);
    },
    metrics,
    log,
    setMappings: (overrides) => void (mappings = loadMappings(overrides)),
    listen: async () => {
      await probeDataDir(config.dataDir);
      await Promise.all(upstreams.map((u) => u.open()));
      // Which queues already hold a leftover's translation is read before any sender takes one.
      const left = (await journal?.open()) ?? [];
      if (left.length) log.info({ requests: left.length }, 'translating requests answered before the last stop');
      for (const entry of left) backlog.add({ entry, spans: 0, skip: new Set(upstreams.filter((u) => u.holds(journal!.nameOf(entry))).map((u) => u.name)) });
      for (const u of upstreams) u.start();
      const open = [config.listen, config.grpcListen].filter((a) => a !== 'off' && !LOOPBACK.test(a.host)) as Array<Config['listen']>;
      if (!config.inboundKeys.length && open.length)
        log.warn(
          { listen: open.map((a) => `${a.host}:${a.port}`) },
          'no inbound keys: anyone who can reach this port can send traces' +
            (admission.passesCallerKeys ? ', and have them sent on with the key they bring' : '') +
            ' (set TRACEBRIDGE_INBOUND_KEYS)',
        );
      if (grpc && config.grpcListen !== 'off') proxyObject.grpcPort = await grpc.listen(config.grpcListen.host, config.grpcListen.port);
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
      // Answered requests still to translate: what is not done by the deadline stays journalled.
      await backlog.drain(deadline);
      await Promise.all(upstreams.map((u) => u.stop(Math.max(0, deadline - Date.now()))));
      server.closeAllConnections();
      await closed;
      await grpc?.close();
      proxy?.close();
      await pool?.close();
    },
  };
  return proxyObject;
}

/** Removes the headers that carry the proxy's own key from a request passed through. */
function stripProxyKey(req: IncomingMessage, inboundKeys: readonly string[]): void {
  for (const name of ['authorization', 'x-api-key', 'wandb-api-key']) {
    const one = extractInbound({ [name]: req.headers[name] });
    if (one.key !== undefined && isInboundKey(inboundKeys, one.key)) delete req.headers[name];
  }
}
