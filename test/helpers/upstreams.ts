// Loopback stand-ins for the two backends. They check credentials the way the real ones do,
// decode what arrives, and keep the spans as each backend's UI would read them.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { Span, SpanBatch } from '../../src/model/batch.js';
import { toPlain } from '../../src/model/values.js';
import { decodeOtlpProto, encodeExportResponseProto } from '../../src/wire/otlp-proto.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { decodeLangtraceNative } from '../../src/wire/langtrace.js';
import { langtraceView, weaveView } from '../../src/inspect/views.js';

/** Spans in the order they started: delivery order varies with concurrent queue workers. */
export function byStart(spans: Span[]): Span[] {
  return [...spans].sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0));
}

/** Span ids received more than once (a duplicate delivery). */
export function duplicates(spans: Span[]): number {
  const ids = spans.map((s) => s.spanId);
  return ids.length - new Set(ids).size;
}

export interface Received {
  headers: IncomingMessage['headers'];
  batch: SpanBatch;
  spans: Span[];
}

export interface FakeUpstream {
  url: string;
  /** Every request, accepted or not. */
  hits: Array<{ status: number; headers: IncomingMessage['headers'] }>;
  /** Requests read in full, answered or not (a hanging one counts). */
  received: number;
  accepted: Received[];
  spans(): Span[];
  /** Answers the next `n` requests with `status` (before checking anything). */
  failNext(n: number, status: number, headers?: Record<string, string>): void;
  /** Never answers while set. */
  hang: boolean;
  /** Answers 503 while set (down for maintenance). */
  down: boolean;
  /** Answers this share of requests with 503 (before reading them). */
  failRate: number;
  /** Waits this long before answering. */
  delayMs: number;
  waitForSpans(n: number, ms?: number): Promise<Span[]>;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, body: Buffer) => { status: number; body: string | Uint8Array; type?: string; batch?: SpanBatch };

async function start(handler: Handler): Promise<FakeUpstream> {
  const fake: FakeUpstream = {
    url: '',
    hits: [],
    received: 0,
    accepted: [],
    hang: false,
    down: false,
    failRate: 0,
    delayMs: 0,
    spans: () => fake.accepted.flatMap((r) => r.spans),
    failNext(n, status, headers = {}) {
      failures.push(...Array.from({ length: n }, () => ({ status, headers })));
    },
    async waitForSpans(n, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (fake.spans().length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} spans, got ${fake.spans().length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return fake.spans();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const failures: Array<{ status: number; headers: Record<string, string> }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => (fake.received++, fake.delayMs ? setTimeout(answer, fake.delayMs) : answer()));
    const answer = () => {
      if (fake.hang) return; // the socket stays open, unanswered
      const f = failures.shift() ?? (fake.down || Math.random() < fake.failRate ? { status: 503, headers: {} } : undefined);
      if (f) {
        fake.hits.push({ status: f.status, headers: req.headers });
        res.writeHead(f.status, { 'content-type': 'application/json', ...f.headers });
        return void res.end('{"error":"scripted failure"}');
      }
      const r = handler(req, Buffer.concat(chunks));
      fake.hits.push({ status: r.status, headers: req.headers });
      if (r.batch) fake.accepted.push({ headers: req.headers, batch: r.batch, spans: r.batch.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)) });
      res.writeHead(r.status, { 'content-type': r.type ?? 'application/json' });
      res.end(r.body);
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

const WEAVE_PATHS = new Set(['/otel/v1/traces', '/agents/otel/v1/traces', '/traces/otel/v1/traces']);

/** W&B Weave: protobuf only, Basic api:KEY or wandb-api-key, project from resource or project_id. */
export function fakeWeave(opts: { key: string }): Promise<FakeUpstream> {
  return start((req, body) => {
    const path = (req.url ?? '').split('?')[0];
    if (!WEAVE_PATHS.has(path)) return { status: 404, body: '{"detail":"Not Found"}' };
    if (req.headers['content-type'] !== 'application/x-protobuf') return { status: 400, body: '{"detail":"protobuf only"}' };
    const auth = req.headers.authorization;
    const basic = auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':') : undefined;
    const key = (req.headers['wandb-api-key'] as string | undefined) ?? (basic?.[0] === 'api' ? basic[1] : undefined);
    if (!key || key !== opts.key) return { status: 401, body: '{"detail":"Unauthorized"}' };
    const enc = req.headers['content-encoding'];
    let raw: Buffer;
    try {
      raw = enc === 'gzip' ? gunzipSync(body) : enc === 'deflate' ? inflateSync(body) : body;
    } catch {
      return { status: 400, body: '{"detail":"bad encoding"}' };
    }
    let batch: SpanBatch;
    try {
      batch = decodeOtlpProto(raw);
    } catch {
      return { status: 400, body: '{"detail":"bad protobuf"}' };
    }
    for (const rs of batch.resourceSpans) {
      const a = rs.resource.attributes;
      const project = a.has('wandb.entity') && a.has('wandb.project') ? 'resource' : req.headers['project_id'];
      if (!project) return { status: 400, body: '{"detail":"missing project_id"}' };
    }
    return { status: 200, body: encodeExportResponseProto(), type: 'application/x-protobuf', batch };
  });
}

/** Langtrace: x-api-key; body shape by User-Agent; no Content-Encoding; thrown errors are 404. */
export function fakeLangtrace(opts: { key: string }): Promise<FakeUpstream> {
  return start((req, body) => {
    if ((req.url ?? '').split('?')[0] !== '/api/trace') return { status: 404, body: 'Not Found' };
    const key = req.headers['x-api-key'];
    if (!key) return { status: 400, body: '{"error":"api key is required"}' };
    if (key !== opts.key) return { status: 401, body: '{"error":"Unauthorized. Invalid API key"}' };
    const thrown = (message: string) => ({ status: 404, body: JSON.stringify({ name: 'Error', message, stack: '', fullError: message }) });
    if (req.headers['content-encoding']) return thrown('Unexpected token in JSON'); // it never inflates
    const ua = String(req.headers['user-agent'] ?? '').toLowerCase();
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString());
    } catch {
      return thrown('Unexpected token in JSON');
    }
    try {
      if (ua.includes('opentelemetry') || ua.includes('otel-otlp')) {
        const rs = (doc as { resourceSpans?: unknown[] }).resourceSpans;
        if (!Array.isArray(rs)) throw new Error('resourceSpans is not iterable');
        for (const s of (rs[0] as { scopeSpans: { spans: { events?: { attributes?: unknown }[] }[] }[] }).scopeSpans.flatMap((x) => x.spans))
          for (const e of s.events ?? []) if (!e.attributes) throw new Error("Cannot read properties of undefined (reading 'map')");
        // Only the first resource is read.
        const batch = decodeOtlpJson(JSON.stringify({ resourceSpans: [rs[0]] }));
        return { status: 200, body: '{"message":"Traces added successfully"}', batch };
      }
      if (!Array.isArray(doc)) throw new Error('data.map is not a function');
      return { status: 200, body: '{"message":"Traces added successfully"}', batch: decodeLangtraceNative(body) };
    } catch (err) {
      return thrown((err as Error).message);
    }
  });
}

const attrsOf = (s: Span) => Object.fromEntries([...s.attributes].map(([k, v]) => [k, toPlain(v)]));

export const weaveSees = (s: Span) => weaveView(attrsOf(s));
export const langtraceSees = (s: Span) =>
  langtraceView(
    attrsOf(s),
    s.events.map((e) => ({ name: e.name, attributes: Object.fromEntries([...e.attributes].map(([k, v]) => [k, toPlain(v)])) })),
  );
