// The HTTP routes: trace endpoints (admit → read the body → ingest → answer), health, readiness,
// the status page and metrics, and any other path passed through to a single upstream.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import httpProxy from 'http-proxy';
import { extractInbound, isInboundKey, type InboundCredentials } from '../auth/inbound.js';
import { endpointUrl } from '../forward/prepare.js';
import { isGrpc } from '../config/schema.js';
import { STATUS_PAGE, statusOf } from '../observe/status.js';
import { authorize, ClientAborted, readBody } from './admission.js';
import { clientAddress } from './connections.js';
import type { ProxyContext } from './context.js';
import { continueIfAsked, refuseUnread } from './early.js';
import type { HandOff } from './handoff.js';
import type { Ingest } from './ingest.js';
import { closing, refusal } from './refusal.js';
import { errorAnswer, json, sendError, sendSuccess } from './respond.js';
import { dialectOf, mediaType, type Dialect } from './routes.js';

const STATUS_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
};

export class HttpRoutes {
  /** Trace requests being taken (shutdown waits for them). */
  pending = 0;
  private readonly passthrough?: httpProxy;
  private readonly senders: number;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly ingest: Ingest,
    private readonly handOff: HandOff,
  ) {
    const senders = ctx.upstreams.filter((u) => u.config.type !== 'sink');
    this.senders = senders.length;
    // Other paths pass through to a lone HTTP upstream (a gRPC one has none to offer).
    const target = senders.length === 1 && senders[0].config.url && !isGrpc(senders[0].config) ? new URL(endpointUrl(senders[0].config)).origin : undefined;
    this.passthrough = target ? httpProxy.createProxyServer({ target, changeOrigin: true, xfwd: true }) : undefined;
    this.passthrough?.on('error', (err, _req, res) => {
      ctx.log.warn({ err: err.message }, 'pass-through request failed');
      if ('writeHead' in res) json(res as ServerResponse, 502, { error: `upstream unreachable: ${err.message}` });
    });
  }

  close(): void {
    this.passthrough?.close();
  }

  /** Counts a trace request in flight and its outcome. */
  private track(path: string): (status: number) => void {
    const end = this.ctx.metrics.requestSeconds.startTimer({ path });
    this.pending++;
    return (status) => {
      this.pending--;
      end();
      this.ctx.metrics.requests.inc({ path, status: String(status) });
    };
  }

  /** OTLP/HTTP and /api/trace: admit (keys, room) → read the body within the shared budget → ingest → answer. */
  private async traces(req: IncomingMessage, res: ServerResponse, dialect: Dialect, path: string): Promise<void> {
    const { admission, config, log, metrics } = this.ctx;
    const proto = mediaType(req.headers['content-type']).includes('protobuf');
    const finish = this.track(path);
    let held = 0;
    let bodyRead = false;
    try {
      if (this.ctx.closing()) throw closing();
      const inbound = admission.beforeBody(req.headers, clientAddress(req.socket));
      const body = await readBody(req, config.maxBodyBytes, admission.bodies, () => continueIfAsked(req, res));
      bodyRead = true;
      held = body.held;
      const { rejected } = await this.ingest.ingest(req.headers, inbound, body.body, dialect, path);
      sendSuccess(res, dialect, proto, rejected, rejected ? `${rejected} spans had no trace or span id` : '');
      finish(200);
    } catch (err) {
      if (err instanceof ClientAborted) {
        // The client's doing: nothing to answer, nothing to alarm anyone about.
        log.debug({ path, reason: err.message }, 'client went away mid-request');
        metrics.requestsRefused.inc({ reason: 'client_aborted' });
        return finish(499);
      }
      const r = refusal(err, path, log, metrics);
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
  async grpc(headers: IncomingHttpHeaders, raw: Buffer, path: string, client: string): Promise<{ rejected: number }> {
    const finish = this.track(path);
    try {
      if (this.ctx.closing()) throw closing();
      const out = await this.ingest.ingest(headers, this.ctx.admission.beforeBody(headers, client), raw, 'otlp', path);
      finish(200);
      return out;
    } catch (err) {
      const r = refusal(err, path, this.ctx.log, this.ctx.metrics);
      finish(r.status);
      throw r;
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const dialect = dialectOf(path);
    if (dialect && req.method === 'POST') return this.traces(req, res, dialect, path);
    if (dialect) return sendError(res, dialect, false, 405, `use POST for ${path}`, { allow: 'POST' });
    if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      if (this.ctx.closing()) return json(res, 503, { status: 'shutting down' });
      const r = this.handOff.readiness();
      return json(res, r.ready ? 200 : 503, r.body);
    }
    // Every other path asks for the proxy's own key, when it has any.
    const inbound = this.ownKey(req, res, path);
    if (inbound === false) return;
    return this.other(req, res, path, inbound);
  }

  /** The proxy's own key, when it has any: false when refused (answered 401 here). */
  private ownKey(req: IncomingMessage, res: ServerResponse, path: string): InboundCredentials | undefined | false {
    const config = this.ctx.config;
    if (!config.inboundKeys.length || (path === '/metrics' && !config.metricsRequireKey)) return undefined;
    try {
      return authorize(config.inboundKeys, extractInbound(req.headers));
    } catch (err) {
      this.ctx.metrics.requestsRefused.inc({ reason: 'auth' });
      // A browser asks for the key (any user name, the key as password) and sends it with the page's own requests.
      json(res, 401, { error: (err as Error).message }, path.startsWith('/status') ? { 'www-authenticate': 'Basic realm="tracebridge"' } : {});
      return false;
    }
  }

  /** What the status page shows, with the hand-off's depths (with NATS: the shared queue, every replica's) beside this replica's traffic. */
  private async status() {
    const s = await statusOf(this.ctx.upstreams, this.ctx.activity);
    const depths = await this.handOff.depths();
    const dead = await this.handOff.deadLetters?.();
    for (const u of s.upstreams) {
      u.queueDepth = depths[u.name] ?? u.queueDepth;
      if (dead) u.deadLetters = { count: dead[u.name] ?? 0, recent: [] };
    }
    return s;
  }

  /** The status page, its JSON, metrics, else pass-through to the single upstream, else 404. */
  private async other(req: IncomingMessage, res: ServerResponse, path: string, inbound: InboundCredentials | undefined): Promise<void> {
    const { metrics, config } = this.ctx;
    // "/" too, unless it is passed through to the single upstream (a base-URL swap keeps working).
    if (req.method === 'GET' && (path === '/status' || (path === '/' && !this.passthrough))) {
      res.writeHead(200, STATUS_HEADERS);
      return void res.end(STATUS_PAGE);
    }
    if (req.method === 'GET' && path === '/status.json') return json(res, 200, await this.status(), { 'cache-control': 'no-store' });
    if (req.method === 'GET' && path === '/metrics') {
      for (const [name, depth] of Object.entries(await this.handOff.depths())) metrics.queueDepth.set({ upstream: name }, depth);
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      return void res.end(await metrics.registry.metrics());
    }
    if (this.passthrough) {
      // The key that opened tracebridge is not passed on: only a second key the caller sent is.
      if (inbound) stripProxyKey(req, config.inboundKeys);
      return void this.passthrough.web(req, res);
    }
    json(res, 404, {
      error:
        `no route for ${req.method} ${path}: trace endpoints are POST /v1/traces, /otel/v1/traces, /agents/otel/v1/traces, /traces/otel/v1/traces and /api/trace` +
        (this.senders > 1 ? '; other paths are passed through only with a single upstream' : ''),
    });
  }
}

/** Removes the headers that carry the proxy's own key from a request passed through. */
function stripProxyKey(req: IncomingMessage, inboundKeys: readonly string[]): void {
  for (const name of ['authorization', 'x-api-key', 'wandb-api-key']) {
    const one = extractInbound({ [name]: req.headers[name] });
    if (one.key !== undefined && isInboundKey(inboundKeys, one.key)) delete req.headers[name];
  }
}
