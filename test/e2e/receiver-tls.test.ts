// TLS on the receivers, with the real OTel exporters and a test CA (made with openssl): OTLP/HTTP
// (protobuf and JSON) over HTTPS and OTLP/gRPC over TLS; under mTLS a client without a certificate
// the CA signed is refused in the handshake; new files taken in place, a bad one refused.
import t, { type Test } from 'tap';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { makePki, renewServerCert } from '../forward/certs.js';
import { captureServer } from '../helpers/capture-server.js';
import { drained, startProxy, FAST_RETRY } from '../helpers/proxy.js';
import { spawnServe } from '../helpers/cli.js';
import { ReceiverTls } from '../../src/receive/tls.js';
import { waitFor } from '../helpers/wait.js';

/** The exporters' result codes (@opentelemetry/core's ExportResultCode). */
const ExportResultCode = { SUCCESS: 0, FAILED: 1 } as const;
type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];

const pki = makePki();
const ca = pki.read(pki.ca);
const clientCert = pki.read(pki.clientCert);
const clientKey = pki.read(pki.clientKey);

let n = 0;
/** One finished span of a name of its own, as the SDK makes it. */
function spans(): { name: string; spans: ReadableSpan[] } {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const name = `tls-span-${++n}`;
  provider.getTracer('tls-test').startSpan(name).end();
  return { name, spans: memory.getFinishedSpans() };
}

/** Exports one span; the exporter's result, and the span's name to look for upstream. */
async function exportOne(exporter: SpanExporter): Promise<{ name: string; result: ExportResult }> {
  const { name, spans: batch } = spans();
  const result = await new Promise<ExportResult>((resolve) => exporter.export(batch, resolve));
  await exporter.shutdown();
  return { name, result };
}

/** A proxy with receiver TLS on both receivers, forwarding to a capturing OTLP upstream. */
async function tlsProxy(t: Test, tls: Record<string, string | number>) {
  const up = await captureServer();
  const tb = await startProxy({
    grpcListen: '127.0.0.1:0',
    tls,
    upstreams: [{ name: 'otlp', type: 'otlp', url: up.url, gzip: false, auth: { mode: 'none' }, retry: FAST_RETRY }],
  });
  t.teardown(async () => {
    await tb.close();
    await up.close();
  });
  const reached = (name: string) => waitForBody(up.requests, name);
  return { tb, up, reached, grpcUrl: `https://127.0.0.1:${tb.proxy.grpcPort}` };
}

/** Resolves once a request upstream carries this span's name. */
async function waitForBody(requests: Array<{ body: Buffer }>, name: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!requests.some((r) => r.body.includes(name))) {
    if (Date.now() > deadline) throw new Error(`${name} never reached the upstream`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Both OTLP/HTTP exporters with these TLS options; one expected to be refused gives up sooner than its 10 s default. */
const httpExporters = (url: string, agent: Record<string, unknown>, timeoutMillis?: number) =>
  [
    ['protobuf', new ProtoExporter({ url: `${url}/v1/traces`, httpAgentOptions: agent, timeoutMillis })],
    ['JSON', new JsonExporter({ url: `${url}/v1/traces`, httpAgentOptions: agent, timeoutMillis })],
  ] as const;

/** The certificate a new TLS connection to this port is shown. */
function servedCert(port: number, alpn?: string[]): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, cert: clientCert, key: clientKey, ALPNProtocols: alpn, servername: 'localhost' }, () => {
      resolve(s.getPeerX509Certificate()!);
      s.end();
    });
    s.once('error', reject);
  });
}

t.test('TLS: the OTel exporters over HTTPS and gRPC over TLS, their batches reach the upstream', async (t) => {
  const { tb, reached, grpcUrl } = await tlsProxy(t, { cert: pki.serverCert, key: pki.serverKey });
  t.match(tb.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'the receiver URL says https');
  for (const [kind, exporter] of httpExporters(tb.url, { ca })) {
    const { name, result } = await exportOne(exporter);
    t.equal(result.code, ExportResultCode.SUCCESS, `OTLP/HTTP ${kind}: accepted`);
    await reached(name);
  }
  const grpcOne = await exportOne(new GrpcExporter({ url: grpcUrl, credentials: grpc.credentials.createSsl(ca) }));
  t.equal(grpcOne.result.code, ExportResultCode.SUCCESS, 'OTLP/gRPC: accepted');
  await reached(grpcOne.name);
  const plain = await exportOne(new ProtoExporter({ url: `${tb.url.replace('https', 'http')}/v1/traces`, timeoutMillis: 3000 }));
  t.equal(plain.result.code, ExportResultCode.FAILED, 'plain HTTP to the TLS port: no answer');
  const untrusted = await exportOne(new ProtoExporter({ url: `${tb.url}/v1/traces` }));
  t.match(untrusted.result.error?.message, /self-signed|unable to verify|issuer/i, 'a client that does not trust the CA refuses the certificate');
});

t.test('mTLS: a client certificate the CA signed gets through; none, or another CA, refused in the handshake', async (t) => {
  const { tb, up, reached, grpcUrl } = await tlsProxy(t, { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.ca });
  for (const [kind, exporter] of httpExporters(tb.url, { ca, cert: clientCert, key: clientKey })) {
    const { name, result } = await exportOne(exporter);
    t.equal(result.code, ExportResultCode.SUCCESS, `OTLP/HTTP ${kind} with a client certificate: accepted`);
    await reached(name);
  }
  const grpcOne = await exportOne(new GrpcExporter({ url: grpcUrl, credentials: grpc.credentials.createSsl(ca, clientKey, clientCert) }));
  t.equal(grpcOne.result.code, ExportResultCode.SUCCESS, 'OTLP/gRPC with a client certificate: accepted');
  await reached(grpcOne.name);

  const before = up.requests.length;
  const refusedNames: string[] = [];
  const other = { cert: pki.read(pki.selfSignedCert), key: pki.read(pki.selfSignedKey) };
  for (const [who, agent] of [
    ['no certificate', { ca }],
    ['a self-signed certificate', { ca, ...other }],
  ] as const) {
    for (const [kind, exporter] of httpExporters(tb.url, agent, 3000)) {
      const { name, result } = await exportOne(exporter);
      refusedNames.push(name);
      t.equal(result.code, ExportResultCode.FAILED, `OTLP/HTTP ${kind}, ${who}: refused (${result.error?.message})`);
    }
  }
  const grpcNone = await exportOne(new GrpcExporter({ url: grpcUrl, credentials: grpc.credentials.createSsl(ca), timeoutMillis: 5000 }));
  t.equal(grpcNone.result.code, ExportResultCode.FAILED, `OTLP/gRPC with no certificate: refused (${grpcNone.result.error?.message})`);
  refusedNames.push(grpcNone.name);
  const raw = await new Promise<string>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: Number(new URL(tb.url).port), ca, servername: 'localhost' }, () => s.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n'));
    s.once('data', (d) => resolve(`answered: ${d.toString().split('\r\n')[0]}`));
    s.once('error', (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
  });
  t.match(raw, /CERTIFICATE_REQUIRED|ECONNRESET|EPIPE/, `a raw TLS client with no certificate is cut off before any answer: ${raw}`);
  await drained(tb);
  const refusedCount = (await tb.proxy.metrics.registry.metrics()).match(/tracebridge_requests_refused_total\{reason="tls_handshake"\} (\d+)/)?.[1];
  t.ok(Number(refusedCount) >= 4, `refused handshakes counted: ${refusedCount}`);
  t.notOk(
    up.requests.slice(before).some((r) => refusedNames.some((name) => r.body.includes(name))),
    'nothing from a refused client reached the upstream',
  );
});

t.test('new files taken in place: new connections see the new certificate; a bad file keeps the one in use', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-tls-'));
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), clientCa: pki.ca };
  copyFileSync(pki.serverCert, files.cert);
  copyFileSync(pki.serverKey, files.key);
  const { tb, reached, grpcUrl } = await tlsProxy(t, files);
  const port = Number(new URL(tb.url).port);
  const first = new X509Certificate(pki.read(pki.serverCert)).fingerprint256;
  t.equal((await servedCert(port)).fingerprint256, first, 'HTTPS: the first certificate');

  const renewed = renewServerCert(pki, 'renewed');
  copyFileSync(renewed.cert, files.cert);
  copyFileSync(renewed.key, files.key);
  t.same(tb.proxy.reloadTls(), [], 'reloaded');
  const next = new X509Certificate(pki.read(renewed.cert)).fingerprint256;
  t.equal((await servedCert(port)).fingerprint256, next, 'HTTPS: the renewed certificate on a new connection');
  t.equal((await servedCert(tb.proxy.grpcPort!, ['h2'])).fingerprint256, next, 'gRPC: the renewed certificate on a new connection');

  writeFileSync(files.cert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
  const problems = tb.proxy.reloadTls();
  t.match(problems, [/tls\.cert: .*cert\.pem holds a certificate that does not parse/], 'a bad file: its problem');
  t.ok(
    tb.logs.some((l) => l.includes('receiver TLS not reloaded')),
    'logged',
  );
  t.equal((await servedCert(port)).fingerprint256, next, 'HTTPS: still the renewed certificate');
  const after = await exportOne(new GrpcExporter({ url: grpcUrl, credentials: grpc.credentials.createSsl(ca, clientKey, clientCert) }));
  t.equal(after.result.code, ExportResultCode.SUCCESS, 'gRPC still accepts');
  await reached(after.name);
});

t.test('tls.reloadIntervalMs: changed files taken without a signal; a bad set refused, and not tried again until it changes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-tls-watch-'));
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), reloadIntervalMs: 50 };
  copyFileSync(pki.serverCert, files.cert);
  copyFileSync(pki.serverKey, files.key);
  const { tb } = await tlsProxy(t, files);
  const port = Number(new URL(tb.url).port);
  const served = async () => (await servedCert(port)).fingerprint256;
  const fingerprint = (path: string) => new X509Certificate(pki.read(path)).fingerprint256;
  t.equal(await served(), fingerprint(pki.serverCert));
  writeFileSync(files.cert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  await waitFor(() => tb.logs.some((l) => l.includes('receiver TLS not reloaded')), 10_000, 'the bad set logged');
  t.equal(await served(), fingerprint(pki.serverCert), 'the certificate in use kept');
  const renewed = renewServerCert(pki, 'watched');
  copyFileSync(renewed.key, files.key);
  copyFileSync(renewed.cert, files.cert);
  await waitFor(async () => (await served()) === fingerprint(renewed.cert), 10_000, 'the renewed certificate served');
  t.ok(
    tb.logs.some((l) => l.includes('"msg":"receiver TLS reloaded"')),
    'logged',
  );

  // What is tried: bytes other than those in use and than the last set refused.
  const watch = ReceiverTls.open(files);
  t.notOk(watch.changed(files), 'the files in use: nothing to do');
  writeFileSync(files.key, 'not a key\n');
  t.ok(watch.changed(files), 'changed: tried');
  t.match(watch.reload(files), [/tls\.key: .* is not a PEM private key/]);
  t.notOk(watch.changed(files), 'the set just refused: not tried again at the next look');
  copyFileSync(renewed.key, files.key);
  t.notOk(watch.changed(files), 'back to the bytes in use');
});

t.test('the open-address warning knows TLS: none under mTLS, plain text named without TLS', async (t) => {
  const warnings = async (config: Record<string, unknown>) => {
    const tb = await startProxy({ listen: '0.0.0.0:0', upstreams: [{ name: 'sink', type: 'sink' }], ...config });
    await tb.close();
    return tb.logs.filter((l) => l.includes('"level":"warn"')).join('\n');
  };
  const tls = { cert: pki.serverCert, key: pki.serverKey };
  t.notMatch(await warnings({ tls: { ...tls, clientCa: pki.ca } }), /anyone who can reach|plain text/, 'mTLS, no inbound keys: a client needs a certificate, nothing to warn of');
  t.match(await warnings({ tls }), /no inbound keys: anyone who can reach this port can send traces .*--tls-client-ca/, 'TLS alone: open to anyone, client certificates suggested');
  t.match(await warnings({ inboundKeys: ['door'] }), /no TLS: inbound keys and traces cross the network in plain text/, 'keys without TLS: in plain text');
  t.match(
    await warnings({}),
    /no inbound keys: anyone who can reach this port can send traces, in plain text with no TLS \(set TRACEBRIDGE_INBOUND_KEYS, and --tls-cert and --tls-key\)/,
    'neither: both said',
  );
  t.equal(await warnings({ inboundKeys: ['door'], tls }), '', 'keys and TLS: no warning');
});

/** Exports one span after another until stopped, each on a connection of its own; every result code. */
function traffic(makeExporter: () => SpanExporter) {
  const codes: number[] = [];
  const errors: string[] = [];
  let flowing = true;
  const done = (async () => {
    while (flowing) {
      const { result } = await exportOne(makeExporter());
      codes.push(result.code);
      if (result.error) errors.push(result.error.message);
    }
  })();
  const ok = () => codes.filter((c) => c === ExportResultCode.SUCCESS).length;
  return { codes, errors, ok, stop: () => ((flowing = false), done) };
}

t.test('SIGHUP with a renewed certificate while both receivers take mTLS traffic: none refused, the new one served', async (t) => {
  const up = await captureServer();
  t.teardown(() => up.close());
  const dir = mkdtempSync(join(tmpdir(), 'tb-tls-hup-'));
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  copyFileSync(pki.serverCert, files.cert);
  copyFileSync(pki.serverKey, files.key);
  const args = ['--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--data-dir', join(dir, 'data'), '--otlp', up.url];
  const p = spawnServe([...args, '--tls-cert', files.cert, '--tls-key', files.key, '--tls-client-ca', pki.ca]);
  t.teardown(p.stop);
  const url = await p.url;
  t.match(url, /^https:/);
  await waitFor(() => /listening for OTLP\/gRPC on 127\.0\.0\.1:\d+/.test(p.output()), 10_000, 'the gRPC line');
  const grpcPort = Number(p.output().match(/listening for OTLP\/gRPC on 127\.0\.0\.1:(\d+)/)![1]);
  const httpPort = Number(new URL(url).port);

  const agent = { ca, cert: clientCert, key: clientKey, keepAlive: false };
  const http = traffic(() => new ProtoExporter({ url: `${url}/v1/traces`, httpAgentOptions: agent }));
  const grpcTraffic = traffic(() => new GrpcExporter({ url: `https://127.0.0.1:${grpcPort}`, credentials: grpc.credentials.createSsl(ca, clientKey, clientCert) }));
  const both = (n: number) => waitFor(() => http.ok() >= n && grpcTraffic.ok() >= n, 60_000, `${n} exports on each receiver`);
  await both(3);

  const renewed = renewServerCert(pki, 'hup');
  const next = new X509Certificate(pki.read(renewed.cert)).fingerprint256;
  copyFileSync(renewed.key, files.key);
  copyFileSync(renewed.cert, files.cert);
  p.child.kill('SIGHUP');
  await waitFor(() => p.output().includes('receiver TLS reloaded'), 30_000, 'the TLS reload logged');
  t.equal((await servedCert(httpPort)).fingerprint256, next, 'HTTPS: the renewed certificate');
  t.equal((await servedCert(grpcPort, ['h2'])).fingerprint256, next, 'gRPC: the renewed certificate');
  const [h, g] = [http.ok(), grpcTraffic.ok()];
  await waitFor(() => http.ok() > h + 3 && grpcTraffic.ok() > g + 3, 60_000, 'traffic after the reload');

  writeFileSync(files.cert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  p.child.kill('SIGHUP');
  await waitFor(() => p.output().includes('not reloaded'), 30_000, 'the refused reload logged');
  t.match(p.output(), /tls\.cert: .*cert\.pem holds a certificate that does not parse/, 'the problem named');
  t.equal((await servedCert(httpPort)).fingerprint256, next, 'HTTPS: the certificate in use kept');
  const [h2, g2] = [http.ok(), grpcTraffic.ok()];
  await waitFor(() => http.ok() > h2 + 3 && grpcTraffic.ok() > g2 + 3, 60_000, 'traffic after the refused reload');

  await Promise.all([http.stop(), grpcTraffic.stop()]);
  t.equal(p.child.exitCode, null, 'still running');
  t.same([...new Set(http.codes)], [ExportResultCode.SUCCESS], `OTLP/HTTP: all ${http.codes.length} exports accepted ${http.errors.slice(0, 3).join('; ')}`);
  t.same([...new Set(grpcTraffic.codes)], [ExportResultCode.SUCCESS], `OTLP/gRPC: all ${grpcTraffic.codes.length} exports accepted ${grpcTraffic.errors.slice(0, 3).join('; ')}`);
  await waitFor(() => up.requests.length > 0, 30_000, 'batches upstream');
});
