// Upstream faults: retried when the OTLP rules say so, never otherwise, and one upstream's
// trouble never delays or duplicates delivery to the other.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { fakeLangtrace, fakeWeave } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY, drained } from '../helpers/proxy.js';
import { captureServer } from '../helpers/capture-server.js';
import { waitFor } from '../helpers/wait.js';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url));
let n = 0;
/** The cURL example with a fresh span id: a new batch each call (the same body twice is one batch). */
const fresh = () => curl.toString().replace('1a2b3c4d5e6f7g8h', (++n).toString(16).padStart(16, '0'));
const post = (url: string, body: string | Uint8Array = fresh(), headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'K', ...headers }, body });

async function dual(t: Test, extra: Record<string, unknown> = {}, langtraceOnly: Record<string, unknown> = {}) {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  const tb = await startProxy({
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY, timeoutMs: 1000, ...extra },
      { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' }, retry: FAST_RETRY, timeoutMs: 1000, ...extra, ...langtraceOnly },
    ],
  });
  t.teardown(async () => {
    weave.hang = false;
    langtrace.hang = false;
    await tb.close();
    await Promise.all([weave.close(), langtrace.close()]);
  });
  return { weave, langtrace, tb };
}

t.test('503 then 200: delivered once after a retry, with Retry-After honoured', async (t) => {
  const { weave, tb } = await dual(t);
  weave.failNext(2, 503, { 'retry-after': '1' });
  const started = Date.now();
  t.equal((await post(tb.url)).status, 200);
  await weave.waitForSpans(1);
  t.ok(Date.now() - started >= 1900, 'waited at least the two Retry-After seconds');
  await drained(tb);
  t.equal(weave.hits.length, 3, 'two failures, one success');
  t.equal(weave.spans().length, 1, 'the span arrived once');
  const metrics = await (await fetch(`${tb.url}/metrics`)).text();
  t.match(metrics, /tracebridge_retries_total\{upstream="weave"\} 2/);
  t.match(metrics, /tracebridge_spans_forwarded_total\{upstream="weave"\} 1/);
});

t.test('400, 401 and Langtrace 404 are final: one attempt, logged, counted', async (t) => {
  const { weave, langtrace, tb } = await dual(t);
  weave.failNext(1, 401);
  langtrace.failNext(1, 404);
  t.equal((await post(tb.url)).status, 200, 'accepted: delivery is asynchronous');
  await drained(tb);
  t.equal(weave.hits.length, 1, 'Weave 401: not retried');
  t.equal(langtrace.hits.length, 1, 'Langtrace 404: a permanent rejection, not retried');
  t.ok(
    tb.logs.some((l) => l.includes('upstream rejected a batch') && l.includes('"status":401')),
    'logged with the status',
  );
  const metrics = await (await fetch(`${tb.url}/metrics`)).text();
  t.match(metrics, /tracebridge_spans_rejected_total\{upstream="weave",reason="http_401"\} 1/);
  t.match(metrics, /tracebridge_spans_rejected_total\{upstream="langtrace",reason="http_404"\} 1/);
  weave.failNext(1, 400);
  await post(tb.url);
  await drained(tb);
  t.equal(weave.hits.length, 2, 'Weave 400: not retried either');
});

t.test('one upstream hanging: the other gets every span promptly, once', async (t) => {
  const { weave, langtrace, tb } = await dual(t, { retry: { ...FAST_RETRY, maxElapsedMs: 60_000 }, timeoutMs: 60_000 });
  langtrace.hang = true;
  for (let i = 0; i < 5; i++) t.equal((await post(tb.url)).status, 200);
  await weave.waitForSpans(5);
  // Langtrace's first attempt hangs for up to 60 s: Weave had everything while it still hung.
  t.equal(langtrace.spans().length, 0, 'Weave did not wait for Langtrace');
  // Langtrace still hangs: Weave's own queue is what must be empty.
  await waitFor(() => tb.proxy.upstreams.find((u) => u.name === 'weave')!.depth === 0, 30_000, "Weave's queue drained");
  t.equal(weave.spans().length, 5, 'no duplicates');
  t.equal(langtrace.spans().length, 0);
});

t.test('queue.whenFull: refuse — a full queue answers 429 with Retry-After; a client that retries later loses nothing', async (t) => {
  // Only Langtrace's queue is small: Weave's copies, written after each answer, must not fill it.
  const { weave, langtrace, tb } = await dual(
    t,
    { retry: { ...FAST_RETRY, maxElapsedMs: 60_000 }, timeoutMs: 300 },
    { queue: { maxBatches: 2, concurrency: 1, whenFull: 'refuse' } },
  );
  langtrace.hang = true;
  t.equal((await post(tb.url)).status, 200);
  let accepted = 1;
  // The first batch is in flight (hanging) before the queue fills behind it.
  await waitFor(() => langtrace.received === 1, 5000, 'first Langtrace attempt');
  let refused: Response | undefined;
  for (let i = 0; i < 10 && !refused; i++) {
    const res = await post(tb.url);
    if (res.status === 200) accepted++;
    else refused = res;
  }
  t.ok(refused, 'a request was refused');
  t.equal(refused!.status, 429);
  t.equal(refused!.headers.get('retry-after'), '5');
  t.match(((await refused!.json()) as { message: string }).message, /queue full for upstream langtrace/);
  t.equal(accepted, 2, 'one in flight and one queued: queue.maxBatches counts the batch being sent too');
  t.equal((await fetch(`${tb.url}/readyz`)).status, 503, 'not ready while full');
  langtrace.hang = false; // the hung attempt times out and is retried
  await langtrace.waitForSpans(accepted);
  const retried = await post(tb.url); // the client's own retry
  t.equal(retried.status, 200);
  await Promise.all([weave.waitForSpans(accepted + 1), langtrace.waitForSpans(accepted + 1)]);
  await drained(tb);
  t.equal(weave.spans().length, accepted + 1, 'Weave: everything accepted, once');
  t.equal(langtrace.spans().length, accepted + 1, 'Langtrace: everything accepted, once');
});

t.test('bad input: clear status, nothing forwarded', async (t) => {
  const { weave, langtrace, tb } = await dual(t);
  const cases: Array<[string, RequestInit, number, RegExp]> = [
    ['wrong content type', { headers: { 'content-type': 'text/csv' }, body: 'a,b' }, 415, /unsupported Content-Type .*text\/csv/],
    ['invalid JSON', { headers: { 'content-type': 'application/json' }, body: '{"resourceSpans": [' }, 400, /invalid JSON/],
    ['truncated protobuf', { headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff, 0x01]) }, 400, /invalid OTLP protobuf/],
    ['gzip that is not gzip', { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'plain' }, 400, /not valid gzip/],
    ['body over the limit', { headers: { 'content-type': 'application/json' }, body: 'x'.repeat(21 * 1024 * 1024) }, 413, /over the 20971520-byte limit/],
  ];
  for (const [name, init, status, message] of cases) {
    const res = await fetch(`${tb.url}/v1/traces`, { method: 'POST', ...init });
    t.equal(res.status, status, name);
    const ct = res.headers.get('content-type') ?? '';
    const text = ct.includes('protobuf') ? Buffer.from(await res.arrayBuffer()).toString('latin1') : await res.text();
    t.match(text, message, `${name}: says what is wrong`);
  }
  const lt = await fetch(`${tb.url}/api/trace`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{"startTime": "now"}]' });
  t.equal(lt.status, 400);
  t.match(await lt.json(), { error: /\[0\]\.startTime: expected an HrTime/ }, "Langtrace's error shape on /api/trace");
  t.equal((await fetch(`${tb.url}/healthz`)).status, 200, 'still up');
  await drained(tb);
  t.equal(weave.hits.length + langtrace.hits.length, 0, 'nothing forwarded');
});

t.test('partial success for spans without ids; empty requests succeed', async (t) => {
  const { weave, tb } = await dual(t);
  const doc = JSON.parse(fresh());
  doc.resourceSpans[0].scopeSpans[0].spans.push({ name: 'no ids', startTimeUnixNano: '1' });
  const res = await post(tb.url, JSON.stringify(doc));
  t.equal(res.status, 200);
  t.same(await res.json(), { partialSuccess: { rejectedSpans: '1', errorMessage: '1 spans had no trace or span id' } });
  await weave.waitForSpans(1);
  const empty = await post(tb.url, '{}');
  t.equal(empty.status, 200);
  t.same(await empty.json(), {});
});

t.test('other paths: passed through to a single upstream, 404 when ambiguous', async (t) => {
  const backend = await captureServer(() => ({ body: '{"projects":["x"]}' }));
  const single = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: backend.url + '/v1/traces', retry: FAST_RETRY }] });
  const { tb } = await dual(t);
  t.teardown(async () => {
    await single.close();
    await backend.close();
  });
  const res = await fetch(`${single.url}/api/projects?limit=1`, { headers: { authorization: 'Bearer own-key' } });
  t.equal(res.status, 200);
  t.same(await res.json(), { projects: ['x'] });
  t.equal(backend.requests[0].url, '/api/projects?limit=1');
  t.equal(backend.requests[0].headers.authorization, 'Bearer own-key', "the caller's own request, unchanged");
  const ambiguous = await fetch(`${tb.url}/api/projects`);
  t.equal(ambiguous.status, 404);
  t.match(await ambiguous.text(), /passed through only with a single upstream/);
  t.equal((await fetch(`${tb.url}/v1/traces`)).status, 405);
});

t.test("a client's retry of the same request is not queued twice", async (t) => {
  const { weave, langtrace, tb } = await dual(t);
  const body = fresh();
  t.equal((await post(tb.url, body)).status, 200);
  t.equal((await post(tb.url, body)).status, 200, 'the retry is answered as a success');
  t.equal((await post(tb.url, body, { 'x-api-key': 'other-tenant' })).status, 200);
  await Promise.all([weave.waitForSpans(2), langtrace.waitForSpans(2)]);
  await drained(tb);
  t.equal(weave.spans().length, 2, 'same body and key: once; another key: a different request');
  t.equal(langtrace.spans().length, 2);
});
