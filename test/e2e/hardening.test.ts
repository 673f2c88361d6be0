// The ingest path attacked as a careless or hostile client would: never a 200 for data that will
// not arrive, never one client's input or key holding up another, memory and disk bounded.
import t, { type Test } from 'tap';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { fakeLangtrace, fakeWeave } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY } from '../helpers/proxy.js';
import { captureServer } from '../helpers/capture-server.js';
import { waitFor } from '../helpers/wait.js';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url));
let n = 0;
/** The cURL example with a fresh span id: a new batch each call. */
const fresh = () => curl.toString().replace('1a2b3c4d5e6f7g8h', (++n).toString(16).padStart(16, '0'));
const basic = (key: string) => 'Basic ' + Buffer.from('api:' + key).toString('base64');
const post = (url: string, headers: Record<string, string> = {}, body: string = fresh(), path = '/v1/traces') =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const metric = async (url: string, re: RegExp, headers: Record<string, string> = {}) =>
  Number(((await (await fetch(`${url}/metrics`, { headers })).text()).match(re) ?? [])[1] ?? 0);

/** Bytes of every file under a folder. */
function du(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

async function weaveOnly(t: Test, config: Record<string, unknown> = {}, upstream: Record<string, unknown> = {}) {
  const weave = await fakeWeave({ key: 'good' });
  const tb = await startProxy({ upstreams: [{ name: 'weave', type: 'weave', url: weave.url, project: 'team/p0', retry: FAST_RETRY, timeoutMs: 1000, ...upstream }], ...config });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  return { weave, tb };
}

t.test('1. dedup covers the project: the same body for three projects reaches all three', async (t) => {
  const { weave, tb } = await weaveOnly(t);
  const body = fresh();
  for (const p of ['team/p1', 'team/p2', 'team/p3']) t.equal((await post(tb.url, { authorization: basic('good'), project_id: p }, body)).status, 200);
  t.equal((await post(tb.url, { authorization: basic('good'), project_id: 'team/p1' }, body)).status, 200, 'a true retry is still answered');
  await weave.waitForSpans(3);
  await waitFor(() => tb.proxy.upstreams[0].depth === 0, 5000, 'queue drained');
  const projects = weave.accepted.map((r) => r.headers['project_id']).sort();
  t.same(projects, ['team/p1', 'team/p2', 'team/p3'], 'each project got its copy, the retry none');
});

t.test('2. a key that cannot be sent is refused at the door; a local error is never retried', async (t) => {
  const { weave, tb } = await weaveOnly(t);
  const res = await post(tb.url, { authorization: basic('bad\nkey') });
  t.equal(res.status, 400, 'a line break in the key: 400');
  t.match(((await res.json()) as { message: string }).message, /cannot be sent in an HTTP header/);
  t.equal((await post(tb.url, { authorization: basic('good') })).status, 200, 'a good client is not held up');
  await weave.waitForSpans(1);
  t.equal(weave.hits.length, 1, 'and nothing of the bad key ever reached the upstream');
  const { classify } = await import('../../src/forward/retry.js');
  const local = Object.assign(new Error('Invalid character in header content ["x-api-key"]'), { code: 'ERR_INVALID_CHAR' });
  t.equal(classify({ error: local }), 'permanent', 'ERR_INVALID_CHAR: final');
  t.equal(classify({ error: Object.assign(new Error('wrapped'), { code: 'ERR_GOT_REQUEST_ERROR', cause: local }) }), 'permanent', 'also when got wraps it');
  t.equal(classify({ error: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }), 'retry', 'a connection failure is still retried');
});

t.test('3. a wrong key hears 401 from its first request; a proven key goes at queue speed', async (t) => {
  const { weave, tb } = await weaveOnly(t);
  const wrong = await post(tb.url, { authorization: basic('wrong') });
  t.equal(wrong.status, 401, 'the upstream refused it: the client is told');
  const again = await post(tb.url, { authorization: basic('wrong') });
  t.equal(again.status, 401, 'and told again at the door');
  t.match(((await again.json()) as { message: string }).message, /refused this API key/);
  t.equal(weave.hits.length, 1, 'the second was refused without asking the upstream');
  t.equal((await post(tb.url, { authorization: basic('good') })).status, 200, 'a good key: 200');
  t.equal(weave.spans().length, 1, 'its first request was delivered before the answer');
  t.equal((await post(tb.url, { authorization: basic('good') })).status, 200);
  await weave.waitForSpans(2);
  const dead = join(tb.dataDir, 'deadletter', 'weave');
  t.equal(existsSync(dead) ? readdirSync(dead).length : 0, 0, 'no dead letters from the wrong key');
});

t.test('4. dead letters stay within the disk budget; past it the client is refused and /readyz says why', async (t) => {
  const { weave, tb } = await weaveOnly(t, {}, { auth: { mode: 'static', key: 'good' }, queue: { maxBytes: 6000 } });
  weave.failNext(1000, 400);
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await post(tb.url, { authorization: basic('good') });
    statuses.push(res.status);
    if (res.status === 507) {
      t.ok(res.headers.get('retry-after'), 'with Retry-After');
      t.match(((await res.json()) as { message: string }).message, /disk budget spent by dead letters for upstream weave/);
      break;
    }
    await waitFor(() => tb.proxy.upstreams[0].depth === 0, 5000, 'batch dead-lettered');
  }
  t.equal(statuses.at(-1), 507, `refused once the budget was spent (after ${statuses.length - 1} accepted)`);
  t.ok(du(join(tb.dataDir, 'deadletter')) <= 6000, `dead letters: ${du(join(tb.dataDir, 'deadletter'))} bytes of a 6000-byte budget`);
  t.equal(tb.proxy.upstreams[0].deadLetterBytes, du(join(tb.dataDir, 'deadletter')), 'counted exactly');
  const ready = await fetch(`${tb.url}/readyz`);
  t.equal(ready.status, 503);
  t.same(((await ready.json()) as { upstreams: Record<string, string> }).upstreams, { weave: 'dead letters use the disk budget' });
  t.ok((await metric(tb.url, /tracebridge_requests_refused_total\{reason="disk_budget"\} (\d+)/)) >= 1, 'counted');
});

t.test('5. bodies: checked before they are read, bounded in flight, timed out when they trickle', async (t) => {
  const { tb } = await weaveOnly(t, { maxBodyBytes: 1_000_000, maxBodyBytesInFlight: 2_000_000, requestTimeoutMs: 1500, inboundKeys: ['open'] });
  const { hostname: host, port } = new URL(tb.url);
  // Opens a request declaring `length` bytes and sends only the first `sent`; resolves with its status.
  const partial = (length: number, sent: number, key = 'open') =>
    new Promise<{ status: number; req: ReturnType<typeof request> }>((resolve, reject) => {
      const req = request(
        { host, port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json', 'content-length': String(length), 'x-api-key': key } },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode!, req });
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(sent, 0x20));
    });
  t.equal((await partial(5_000_000, 10)).status, 413, 'Content-Length over the limit: 413 before reading');
  t.equal((await partial(100, 10, 'nope')).status, 401, 'no inbound key: 401 before reading');
  // Two large bodies in flight take the budget; a third is refused until they finish.
  const held: Array<ReturnType<typeof request>> = [];
  for (let i = 0; i < 2; i++) {
    const req = request({ host, port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json', 'content-length': '900000', 'x-api-key': 'open' } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(1000, 0x20));
    held.push(req);
  }
  let busy = 0;
  for (let i = 0; i < 20 && busy === 0; i++) {
    const r = await partial(900_000, 10);
    if (r.status === 503) busy++;
    r.req.destroy();
  }
  t.equal(busy, 1, 'past the in-flight budget: 503');
  // The trickling bodies are cut off by requestTimeoutMs.
  await Promise.all(held.map((r) => new Promise<void>((resolve) => (r.destroyed ? resolve() : r.on('close', () => resolve())))));
  t.pass('trickling uploads were closed by the server');
  t.equal((await post(tb.url, { 'x-api-key': 'open', authorization: basic('good') })).status, 200, 'and the budget came back');
});

t.test('6 and 7. inbound keys guard every path, and never travel upstream', async (t) => {
  const backend = await captureServer();
  const tb = await startProxy({ inboundKeys: ['secret1'], upstreams: [{ name: 'otlp', type: 'otlp', url: backend.url, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await backend.close();
  });
  t.equal((await fetch(`${tb.url}/api/anything`)).status, 401, 'GET on a pass-through path without a key: 401');
  t.equal((await fetch(`${tb.url}/v1/logs`, { method: 'POST', body: '{}' })).status, 401, 'POST /v1/logs without a key: 401');
  t.equal((await fetch(`${tb.url}/metrics`)).status, 401, '/metrics too (metricsRequireKey)');
  t.equal((await fetch(`${tb.url}/healthz`)).status, 200, '/healthz stays open');
  t.equal((await fetch(`${tb.url}/readyz`)).status, 200, '/readyz stays open');
  t.equal(backend.requests.length, 0, 'nothing was passed through');
  t.equal((await fetch(`${tb.url}/v1/logs`, { method: 'POST', body: '{}', headers: { authorization: 'Bearer secret1' } })).status, 200, 'with the key: passed through');
  t.equal(backend.requests.at(-1)?.headers.authorization, undefined, "the proxy's key is not passed through");
  t.equal((await post(tb.url, { authorization: 'Bearer secret1' })).status, 200);
  await waitFor(() => backend.requests.some((r) => r.url === '/v1/traces'), 5000, 'trace delivered');
  t.equal(backend.requests.find((r) => r.url === '/v1/traces')?.headers.authorization, undefined, 'nor sent with the traces (auto, one upstream)');
});

t.test('8. open on a non-loopback address with no inbound keys: a warning at start', async (t) => {
  const tb = await startProxy({ listen: '0.0.0.0:0', upstreams: [{ name: 'sink', type: 'sink' }] });
  t.teardown(() => tb.close());
  t.ok(
    tb.logs.some((l) => l.includes('anyone who can reach this port can send traces')),
    'warned',
  );
  const quiet = await startProxy({ upstreams: [{ name: 'sink', type: 'sink' }] });
  t.teardown(() => quiet.close());
  t.notOk(
    quiet.logs.some((l) => l.includes('anyone who can reach')),
    'not on loopback',
  );
});

t.test("9. one upstream's full queue does not stop the other: its copies go to dead letters", async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  const tb = await startProxy({
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY },
      {
        name: 'langtrace',
        type: 'langtrace',
        url: langtrace.url,
        auth: { mode: 'static', key: 'L' },
        retry: { ...FAST_RETRY, maxElapsedMs: 60_000 },
        timeoutMs: 60_000,
        queue: { maxBatches: 2, concurrency: 1 },
      },
    ],
  });
  t.teardown(async () => {
    langtrace.hang = false;
    await tb.close();
    await Promise.all([weave.close(), langtrace.close()]);
  });
  langtrace.hang = true;
  for (let i = 0; i < 8; i++) t.equal((await post(tb.url, { 'x-api-key': 'any' })).status, 200, `request ${i + 1}: answered`);
  await weave.waitForSpans(8);
  t.equal(weave.spans().length, 8, 'Weave got every span while Langtrace was down');
  await waitFor(() => readdirSync(join(tb.dataDir, 'deadletter', 'langtrace')).some((f) => f.endsWith('.batch')), 5000, 'dead letters written');
  const notes = readdirSync(join(tb.dataDir, 'deadletter', 'langtrace')).filter((f) => f.endsWith('.json'));
  t.ok(notes.length >= 1, `${notes.length} Langtrace copies kept as dead letters`);
  t.match(readFileSync(join(tb.dataDir, 'deadletter', 'langtrace', notes[0]), 'utf8'), /"reason": "queue full"/);
  const ready = await fetch(`${tb.url}/readyz`);
  t.equal(ready.status, 200, 'still ready: requests are taken for Weave');
  t.match(((await ready.json()) as { status: string }).status, /some queues full/);
});

t.test('11. a client that aborts its upload is not an error', async (t) => {
  const { tb } = await weaveOnly(t);
  const { hostname: host, port } = new URL(tb.url);
  const req = request({ host, port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json', 'content-length': '10000' } });
  req.on('error', () => undefined);
  req.write('{"resourceSpans":');
  // Gone once the proxy is reading its body, not at some time after sending it.
  await waitFor(() => !tb.proxy.idle, 5000, 'the upload under way');
  req.destroy();
  await waitFor(() => tb.logs.some((l) => l.includes('client went away')), 5000, 'abort noticed');
  t.notOk(
    tb.logs.some((l) => l.includes('"level":50')),
    'nothing logged at error level',
  );
  t.equal(await metric(tb.url, /tracebridge_requests_total\{path="\/v1\/traces",status="500"\} (\d+)/), 0, 'not counted as a 500');
});

t.test('10. configured keys never reach the disk; files 0600 in 0700 folders', async (t) => {
  const { mkdirSync, chmodSync } = await import('node:fs');
  const weave = await fakeWeave({ key: 'CONFIGURED-SECRET' });
  const langtrace = await fakeLangtrace({ key: 'MAPPED-SECRET' });
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  // An existing data dir, made open by someone else: tracebridge closes it.
  const dataDir = join(mkdtempSync(join(tmpdir(), 'tb-modes-')), 'data');
  mkdirSync(dataDir, { recursive: true });
  chmodSync(dataDir, 0o755);
  const tb = await startProxy({
    dataDir,
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'CONFIGURED-SECRET' }, retry: { ...FAST_RETRY, maxElapsedMs: 60_000 } },
      {
        name: 'langtrace',
        type: 'langtrace',
        url: langtrace.url,
        auth: { mode: 'map', keys: { 'tenant-key': { key: 'MAPPED-SECRET' } } },
        retry: { ...FAST_RETRY, maxElapsedMs: 60_000 },
      },
      { name: 'sink', type: 'sink' },
    ],
  });
  t.teardown(async () => {
    weave.down = false;
    langtrace.down = false;
    await tb.close();
    await Promise.all([weave.close(), langtrace.close()]);
  });
  weave.down = true;
  langtrace.down = true;
  for (let i = 0; i < 3; i++) t.equal((await post(tb.url, { 'x-api-key': 'tenant-key' })).status, 200);
  await waitFor(
    () => readdirSync(join(dataDir, 'queue', 'weave')).some((f) => f.endsWith('.batch')) && readdirSync(join(dataDir, 'queue', 'langtrace')).some((f) => f.endsWith('.batch')),
    10_000,
    'copies written to the queues',
  );
  const files: string[] = [];
  const dirs: string[] = [dataDir];
  for (const e of readdirSync(dataDir, { withFileTypes: true, recursive: true })) (e.isFile() ? files : dirs).push(join(e.parentPath, e.name));
  const everything = files.map((f) => readFileSync(f).toString('latin1')).join('\n');
  t.notOk(everything.includes('CONFIGURED-SECRET'), 'the static key is not on disk');
  t.notOk(everything.includes('MAPPED-SECRET'), 'nor the mapped key');
  t.notOk(everything.includes('tenant-key'), 'nor the tenant key that chose it (only its hash)');
  t.same(
    dirs.filter((d) => (statSync(d).mode & 0o777) !== 0o700),
    [],
    'every folder 0700, the existing data dir and sink/ too',
  );
  t.same(
    files.filter((f) => (statSync(f).mode & 0o777) !== 0o600),
    [],
    'every file 0600',
  );
  weave.down = false;
  langtrace.down = false;
  await Promise.all([weave.waitForSpans(3), langtrace.waitForSpans(3)]);
  t.equal(weave.accepted[0].headers['wandb-api-key'], 'CONFIGURED-SECRET', 'resolved at send time from the config');
  t.equal(langtrace.accepted[0].headers['x-api-key'], 'MAPPED-SECRET', 'and the mapped key from the map');
});

t.test('11. queue.maxBatches holds under concurrency', async (t) => {
  const { weave, tb } = await weaveOnly(
    t,
    {},
    { auth: { mode: 'static', key: 'good' }, retry: { ...FAST_RETRY, maxElapsedMs: 60_000 }, queue: { maxBatches: 2, concurrency: 1, memoryBytes: 0 } },
  );
  weave.down = true;
  const statuses = await Promise.all(Array.from({ length: 30 }, () => post(tb.url, { authorization: basic('good') }).then((r) => r.status)));
  const ok = statuses.filter((s) => s === 200).length;
  t.ok(
    statuses.every((s) => s === 200 || s === 429),
    `200 or 429 only (${ok} taken)`,
  );
  t.ok(ok <= 2, `at most maxBatches taken: ${ok}`);
  await waitFor(() => tb.proxy.upstreams[0].depth === ok, 30_000, 'taken batches queued');
  const queued = readdirSync(join(tb.dataDir, 'queue', 'weave')).filter((f) => f.endsWith('.batch')).length;
  t.ok(queued <= 2, `${queued} batch files for a limit of 2`);
  weave.down = false;
  await weave.waitForSpans(ok);
});
