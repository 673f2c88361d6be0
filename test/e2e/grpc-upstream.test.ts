// OTLP/gRPC out: a loopback grpc-js backend as the otlp upstream, reached by a grpc:// URL or
// OTEL_EXPORTER_OTLP_PROTOCOL=grpc, with the configured headers as metadata, TLS from the
// upstream's tls settings, and its status codes retried or dead-lettered as the OTLP spec says.
import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { grpcUpstream } from '../helpers/grpc-upstream.js';
import { startProxy, drained, FAST_RETRY } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';
import { runCli } from '../helpers/cli.js';
import { makePki } from '../forward/certs.js';
import { openInferenceSpans } from '../helpers/clients.js';
import { loadConfig } from '../../src/config/load.js';
import { selfLoops } from '../../src/config/loops.js';
import { endpointUrl } from '../../src/forward/prepare.js';
import { toPlain } from '../../src/model/values.js';
import { deadNotes } from '../helpers/deadletters.js';

let next = 0;
const spanJson = () => {
  const id = (++next).toString(16).padStart(16, '0');
  return JSON.stringify({
    resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id.repeat(2), spanId: id, name: `op-${next}`, startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }],
  });
};
const post = (base: string) => fetch(`${base}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: spanJson() });

t.test('the OTel SDK exporter through tracebridge to a gRPC upstream, headers as metadata', async (t) => {
  const up = await grpcUpstream();
  const env = { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20GRPC-TOKEN,x-team=blue' };
  const tb = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: `grpc://127.0.0.1:${up.port}`, retry: FAST_RETRY }] }, {}, env);
  t.teardown(async () => {
    await tb.close();
    await up.close();
  });
  const exporter = new OTLPTraceExporter({ url: `${tb.url}/v1/traces` });
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  const tracer = provider.getTracer('app');
  for (const name of ['chat gpt-4o', 'retrieve', 'tool weather']) tracer.startSpan(name, { attributes: { 'gen_ai.request.model': 'gpt-4o' } }).end();
  await provider.forceFlush();
  await provider.shutdown();
  await up.waitForSpans(3);
  const got = up.received.flatMap((r) => r.batch.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans.map((x) => x.name))));
  t.same(got.sort(), ['chat gpt-4o', 'retrieve', 'tool weather'], 'every span decoded at the gRPC upstream');
  const md = up.received[0].metadata;
  t.equal(md.authorization, 'Bearer GRPC-TOKEN', 'the key from OTEL_EXPORTER_OTLP_HEADERS as metadata');
  t.equal(md['x-team'], 'blue', 'and the other header');
  t.match(md['user-agent'], /^tracebridge\//, "tracebridge's user agent");
  t.match(md['x-tracebridge-hop'], /^[\w-]+$/, 'its hop id');
  t.notOk(md['content-encoding'], 'no HTTP body header in the metadata');
});

t.test("an instrumented OpenAI client's spans (OpenInference) reach the gRPC upstream translated, originals kept", async (t) => {
  const up = await grpcUpstream();
  const tb = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: `grpc://127.0.0.1:${up.port}`, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await up.close();
  });
  const spans = await openInferenceSpans();
  const exporter = new OTLPTraceExporter({ url: `${tb.url}/v1/traces` });
  const code = await new Promise<number>((resolve) => exporter.export(spans, (r) => resolve(r.code)));
  await exporter.shutdown();
  t.equal(code, 0, 'the exporter was answered with success');
  await up.waitForSpans(spans.length);
  const got = up.received.flatMap((r) => r.batch.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)));
  t.equal(got.length, spans.length, 'every span arrived once');
  const sent = new Map(spans.map((x) => [x.spanContext().spanId, x.attributes]));
  for (const span of got) {
    const model = toPlain(span.attributes.get('llm.model_name') ?? { type: 'empty' });
    t.ok(typeof model === 'string' && model === sent.get(span.spanId)?.['llm.model_name'], `${span.name}: OpenInference's key kept (${String(model)})`);
    t.equal(toPlain(span.attributes.get('gen_ai.request.model') ?? { type: 'empty' }), 'gpt-4o-mini', `${span.name}: OTel GenAI's added`);
  }
});

t.test('UNAVAILABLE is retried, then delivered once', async (t) => {
  const up = await grpcUpstream((_r, n) => (n <= 2 ? { code: grpc.status.UNAVAILABLE, details: 'warming up' } : undefined));
  const tb = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: `grpc://127.0.0.1:${up.port}`, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await up.close();
  });
  t.equal((await post(tb.url)).status, 200);
  await up.waitForSpans(1);
  await drained(tb);
  t.equal(up.calls(), 3, 'two refusals, then the one delivery');
  t.equal(up.spans(), 1, 'delivered once');
  t.ok(
    tb.logs.some((l) => /gRPC UNAVAILABLE/.test(l)),
    'the retry logged with its code',
  );
  t.same(deadNotes(tb.dataDir, 'otlp'), [], 'nothing dead-lettered');
});

t.test('an upstream that does not answer: DEADLINE_EXCEEDED at timeoutMs, retried', async (t) => {
  const up = await grpcUpstream((_r, n) => (n === 1 ? 'hang' : undefined));
  const tb = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: `grpc://127.0.0.1:${up.port}`, timeoutMs: 300, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await up.close();
  });
  t.equal((await post(tb.url)).status, 200);
  await up.waitForSpans(1);
  await drained(tb);
  t.equal(up.calls(), 2, 'the call left hanging, then the one delivered');
  t.ok(
    tb.logs.some((l) => /gRPC DEADLINE_EXCEEDED/.test(l)),
    'the deadline logged as the retry reason',
  );
});

t.test('INVALID_ARGUMENT is final: dead-lettered with the code, not retried; deadletter replay sends it over gRPC', async (t) => {
  let refuse = true;
  const up = await grpcUpstream(() => (refuse ? { code: grpc.status.INVALID_ARGUMENT, details: 'span name too long' } : undefined));
  const tb = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: `grpc://127.0.0.1:${up.port}`, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await up.close();
  });
  t.equal((await post(tb.url)).status, 200);
  await waitFor(() => deadNotes(tb.dataDir, 'otlp').length === 1, 20_000, 'one dead letter');
  await drained(tb);
  t.equal(up.calls(), 1, 'asked once');
  const [note] = deadNotes(tb.dataDir, 'otlp');
  t.equal(note.status, 400, "INVALID_ARGUMENT's HTTP equivalent");
  t.match(String(note.response), /gRPC INVALID_ARGUMENT: span name too long/, 'the code and details kept');
  const metrics = await (await fetch(`${tb.url}/metrics`)).text();
  t.match(metrics, /tracebridge_spans_rejected_total\{upstream="otlp",reason="http_400"\} 1/);
  await tb.close();
  refuse = false;
  const replay = await runCli(['deadletter', 'replay', '--config', join(dirname(tb.dataDir), 'tracebridge.yaml')]);
  t.equal(replay.code, 0, replay.stderr);
  t.match(replay.stdout.toString(), /otlp: 1 batch .*: delivered/);
  t.equal(up.spans(), 1, 'the replayed batch arrived over gRPC');
});

t.test('RESOURCE_EXHAUSTED: retried after RetryInfo’s delay, final without it; partial success counted', async (t) => {
  const seen = new Set<string>();
  const exhaustedAt: number[] = [];
  const up = await grpcUpstream((r) => {
    const name = r.batch.resourceSpans[0].scopeSpans[0].spans[0].name;
    const first = !seen.has(name);
    seen.add(name);
    if (name === 'op-exhausted') exhaustedAt.push(Date.now());
    if (name === 'op-exhausted' && first) return { code: grpc.status.RESOURCE_EXHAUSTED, details: 'slow down', retryDelayS: 1 };
    if (name === 'op-full') return { code: grpc.status.RESOURCE_EXHAUSTED, details: 'over quota' };
    if (name === 'op-partial') return { rejected: 1, message: 'one span too old' };
    return undefined;
  });
  const tb = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: `grpc://127.0.0.1:${up.port}`, retry: FAST_RETRY, batch: { maxSpans: 1 } }] });
  t.teardown(async () => {
    await tb.close();
    await up.close();
  });
  const named = (name: string) =>
    fetch(`${tb.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          { scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: name.length.toString(16).padStart(16, '0'), name, startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] },
        ],
      }),
    });
  for (const name of ['op-exhausted', 'op-full', 'op-partial']) t.equal((await named(name)).status, 200);
  await waitFor(() => up.received.length === 2 && deadNotes(tb.dataDir, 'otlp').length === 1, 20_000, 'two delivered, one dead-lettered');
  await drained(tb);
  t.same(up.received.map((r) => r.batch.resourceSpans[0].scopeSpans[0].spans[0].name).sort(), ['op-exhausted', 'op-partial'], 'with RetryInfo: retried and delivered');
  t.ok(exhaustedAt[1] - exhaustedAt[0] >= 950, `after RetryInfo's 1 s, not the 30 ms backoff (${exhaustedAt[1] - exhaustedAt[0]} ms)`);
  t.match(String(deadNotes(tb.dataDir, 'otlp')[0].response), /RESOURCE_EXHAUSTED: over quota/, 'without: final');
  const metrics = await (await fetch(`${tb.url}/metrics`)).text();
  t.match(metrics, /tracebridge_spans_rejected_total\{upstream="otlp",reason="partial_success"\} 1/, 'the partial success read from the answer');
});

t.test('OTEL_EXPORTER_OTLP_PROTOCOL=grpc with OTEL_EXPORTER_OTLP_ENDPOINT picks OTLP/gRPC', async (t) => {
  const up = await grpcUpstream();
  const endpoint = `http://127.0.0.1:${up.port}`;
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=t1' };
  const config = loadConfig({}, env);
  t.match(config.upstreams[0], { type: 'otlp', protocol: 'grpc', url: endpoint }, 'the endpoint as given: no /v1/traces');
  t.equal(
    loadConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).upstreams[0].protocol,
    'grpc',
    'the traces variable wins',
  );
  t.equal(
    loadConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).upstreams[0].url,
    `${endpoint}/v1/traces`,
    'http/protobuf stays OTLP/HTTP',
  );
  t.throws(() => loadConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc-web' }), /OTEL_EXPORTER_OTLP_PROTOCOL: expected grpc/);
  const tb = await startProxy({}, {}, env);
  t.teardown(async () => {
    await tb.close();
    await up.close();
  });
  t.equal((await post(tb.url)).status, 200);
  await up.waitForSpans(1);
  t.equal(up.received[0].metadata['x-tenant'], 't1', 'delivered over gRPC with its headers');
});

t.test('grpcs with a test CA (and mTLS); an untrusted certificate is never sent to, unless insecureSkipVerify', async (t) => {
  const pki = makePki();
  const tls = { cert: pki.read(pki.serverCert), key: pki.read(pki.serverKey), clientCa: pki.read(pki.ca) };
  const up = await grpcUpstream(() => undefined, tls);
  const tb = await startProxy({
    upstreams: [
      { name: 'trusted', type: 'otlp', url: `grpcs://localhost:${up.port}`, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }, retry: FAST_RETRY },
      {
        name: 'renamed',
        type: 'otlp',
        url: `grpcs://127.0.0.1:${up.port}`,
        tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, serverName: 'upstream.internal' },
        retry: FAST_RETRY,
      },
      { name: 'untrusted', type: 'otlp', url: `grpcs://localhost:${up.port}`, tls: { cert: pki.clientCert, key: pki.clientKey }, retry: { ...FAST_RETRY, maxElapsedMs: 300 } },
      {
        name: 'unchecked',
        type: 'otlp',
        url: `grpcs://127.0.0.1:${up.port}`,
        tls: { cert: pki.clientCert, key: pki.clientKey, serverName: 'elsewhere.example', insecureSkipVerify: true },
        retry: FAST_RETRY,
      },
    ],
  });
  t.teardown(async () => {
    await tb.close();
    await up.close();
  });
  t.equal((await post(tb.url)).status, 200);
  await up.waitForSpans(3);
  await drained(tb);
  t.equal(up.spans(), 3, 'the two upstreams that trust the test CA delivered (serverName checked against the certificate), and the one that checks nothing');
  const notes = deadNotes(tb.dataDir, 'untrusted');
  t.equal(notes.length, 1, 'the one without the CA gave up');
  t.match(String(notes[0].reason), /gRPC UNAVAILABLE/, 'a TLS failure is a connection failure');
});

t.test('config: grpc URLs only for otlp, shown as host and port, a self-loop refused', async (t) => {
  const cfg = (upstream: Record<string, unknown>) => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-grpc-config-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, stringify({ grpcListen: '127.0.0.1:4317', upstreams: [{ name: 'up', ...upstream }] }));
    return loadConfig({ config: file }, {});
  };
  const up = cfg({ type: 'otlp', url: 'grpcs://collector.example' }).upstreams[0];
  t.equal(endpointUrl(up), 'grpcs://collector.example', 'no /v1/traces on a gRPC target');
  t.equal(
    endpointUrl(cfg({ type: 'otlp', protocol: 'grpc', url: 'https://collector.example:4317' }).upstreams[0]),
    'grpcs://collector.example:4317',
    'protocol: grpc over https is shown as grpcs',
  );
  t.throws(() => cfg({ type: 'weave', url: 'grpc://x:4317' }), /only an otlp upstream speaks OTLP\/gRPC/);
  t.throws(() => cfg({ type: 'otlp', url: 'grpc://x:4317', protocol: 'http/protobuf' }), /a grpc\(s\):\/\/ URL is OTLP\/gRPC/);
  t.throws(() => cfg({ type: 'otlp', url: 'grpc://x:4317', proxyUrl: 'http://proxy:3128' }), /takes no proxyUrl/);
  t.throws(() => cfg({ type: 'otlp', url: 'ftp://x' }), /expected an http\(s\) URL.*grpc\(s\):\/\/HOST:PORT/);
  const loops = await selfLoops(cfg({ type: 'otlp', url: 'grpc://127.0.0.1:4317' }));
  t.match(loops[0], /upstream "up" \(grpc:\/\/127\.0\.0\.1:4317\) is tracebridge's own OTLP\/gRPC receiver/, 'its own gRPC port is refused at start-up');
  t.same(await selfLoops(cfg({ type: 'otlp', url: 'grpc://127.0.0.1:4399' })), [], 'another port is not');
});
