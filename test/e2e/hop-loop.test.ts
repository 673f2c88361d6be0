// A loop through a second tracebridge: two `serve` processes pointed at each other (A → B → A),
// over OTLP/HTTP and over OTLP/gRPC. Each sends the hops a request came with and its own id, so
// A refuses the copy that comes back (508, counted), B keeps it as a dead letter, and it stops there.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServe } from '../helpers/cli.js';
import { captureServer } from '../helpers/capture-server.js';
import { startNats } from '../helpers/nats.js';
import { waitFor } from '../helpers/wait.js';
import { deadNotes } from '../helpers/deadletters.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

let next = 0;
const body = () => {
  const id = (++next).toString(16).padStart(16, '0');
  return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id.repeat(2), spanId: id, name: 'op', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] });
};
const post = async (base: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body() });
  return { status: res.status, text: await res.text() };
};

const metric = async (base: string, pattern: RegExp) => Number((await (await fetch(`${base}/metrics`)).text()).match(pattern)?.[1] ?? 0);

/** Two instances, each the other's otlp upstream: `scheme` picks OTLP/HTTP or OTLP/gRPC between them. */
async function pair(teardown: (fn: () => Promise<void>) => void, scheme: 'http' | 'grpc') {
  const [a, b, ag, bg] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const to = (http: number, grpc: number) => (scheme === 'http' ? `http://127.0.0.1:${http}` : `grpc://127.0.0.1:${grpc}`);
  const start = (id: string, port: number, grpc: number, upstream: string) => {
    const dataDir = mkdtempSync(join(tmpdir(), `tb-hop-${id}-`));
    const p = spawnServe(['--listen', `127.0.0.1:${port}`, '--grpc-listen', `127.0.0.1:${grpc}`, '--otlp', upstream, '--data-dir', dataDir], { TRACEBRIDGE_INSTANCE_ID: id });
    teardown(p.stop);
    return { ...p, dataDir };
  };
  const A = start('tb-a', a, ag, to(b, bg));
  const B = start('tb-b', b, bg, to(a, ag));
  return { A: { ...A, base: await A.url }, B: { ...B, base: await B.url } };
}

for (const scheme of ['http', 'grpc'] as const) {
  t.test(`A → B → A over OTLP/${scheme === 'http' ? 'HTTP' : 'gRPC'}: refused when it comes back to A, once`, async (t) => {
    const { A, B } = await pair((fn) => t.teardown(fn), scheme);
    t.equal((await post(A.base)).status, 200, 'the client is answered');
    await waitFor(() => deadNotes(B.dataDir, 'otlp').length === 1, 30_000, "B's dead letter");
    const [note] = deadNotes(B.dataDir, 'otlp');
    t.equal(note.status, scheme === 'http' ? 508 : 400, scheme === 'http' ? '508 Loop Detected' : "FAILED_PRECONDITION's HTTP equivalent");
    t.match(String(note.response), /sent by this tracebridge \(tb-a\) and came back to it through tb-a → tb-b/, 'the reason names the path');
    t.equal(await metric(A.base, /tracebridge_requests_refused_total\{reason="loop"\} (\d+)/), 1, 'counted at A');
    await waitFor(() => B.output().includes('upstream rejected a batch; not retried'), 30_000, 'B logs the refusal');
    // Nothing goes round again: A got one request from the client and one back from B.
    const pathOf = scheme === 'http' ? '/v1/traces' : '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
    const received = async (base: string) =>
      (await (await fetch(`${base}/metrics`)).text())
        .split('\n')
        .filter((l) => l.startsWith('tracebridge_requests_total') && l.includes(`path="${pathOf}"`))
        .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    t.equal(await received(B.base), 1, 'B received the copy once');
    t.equal(deadNotes(A.dataDir, 'otlp').length, 0, 'A kept nothing: the loop is B’s upstream to fix');
  });
}

t.test('hop lists: another chain passes, past 8 hops refused', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-hop-'));
  const p = spawnServe(['--listen', '127.0.0.1:0', '--data-dir', dataDir], { TRACEBRIDGE_INSTANCE_ID: 'tb-solo' });
  t.teardown(p.stop);
  const base = await p.url;
  const chain = (n: number) => Array.from({ length: n }, (_, i) => `hop${i}`).join(',');
  t.equal((await post(base, { 'x-tracebridge-hop': chain(8) })).status, 200, '8 other instances pass');
  const long = await post(base, { 'x-tracebridge-hop': chain(9) });
  t.equal(long.status, 508, '9 are refused');
  t.match(long.text, /passed 9 tracebridge instances/, 'with the reason');
  const own = await post(base, { 'x-tracebridge-hop': 'x, tb-solo' });
  t.equal(own.status, 508, 'its own id anywhere in the list');
  t.equal(await metric(base, /tracebridge_requests_refused_total\{reason="too_many_hops"\} (\d+)/), 1, 'counted by reason');
});

t.test('with NATS as the durable layer, the hop list goes through JetStream too', async (t) => {
  const nats = await startNats(1);
  t.teardown(() => nats.stop());
  const backend = await captureServer();
  t.teardown(backend.close);
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-hop-nats-'));
  const p = spawnServe(['--listen', '127.0.0.1:0', '--nats', nats.flag, '--otlp', backend.url, '--data-dir', dataDir], { TRACEBRIDGE_INSTANCE_ID: 'tb-n' });
  t.teardown(p.stop);
  const base = await p.url;
  t.equal((await post(base, { 'x-tracebridge-hop': 'tb-x' })).status, 200);
  const [got] = await backend.waitFor(1, 30_000);
  t.equal(got.headers['x-tracebridge-hop'], 'tb-x,tb-n', 'the ids it came with, then its own');
});
