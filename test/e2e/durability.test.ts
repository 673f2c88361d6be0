// Nothing accepted is lost: outages, flaky upstreams, dead letters, ack: upstream, bad disks.
import t, { type Test } from 'tap';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeLangtrace, fakeWeave, duplicates } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY, drained } from '../helpers/proxy.js';
import { runCli } from '../helpers/cli.js';
import { until, waitFor } from '../helpers/wait.js';
import { stringify } from 'yaml';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url), 'utf8');
let n = 0;
const fresh = () => curl.replace('1a2b3c4d5e6f7g8h', (++n).toString(16).padStart(16, '0'));
const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: fresh() });

async function pair(t: Test, config: Record<string, unknown> = {}, upstream: Record<string, unknown> = {}) {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  const tb = await startProxy({
    ...config,
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY, timeoutMs: 2000, ...upstream },
      { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' }, retry: FAST_RETRY, timeoutMs: 2000, ...upstream },
    ],
  });
  t.teardown(async () => {
    await tb.close();
    await Promise.all([weave.close(), langtrace.close()]);
  });
  return { weave, langtrace, tb };
}

t.test('upstream down for a while, then up: every accepted span arrives, exactly once', async (t) => {
  const { weave, langtrace, tb } = await pair(t, {}, { retry: { ...FAST_RETRY, maxElapsedMs: 60_000 } });
  weave.down = true;
  for (let i = 0; i < 20; i++) t.equal((await post(tb.url)).status, 200);
  await langtrace.waitForSpans(20);
  t.equal(weave.spans().length, 0, 'nothing reached Weave while it was down');
  weave.down = false;
  await weave.waitForSpans(20);
  await drained(tb);
  t.equal(weave.spans().length, 20);
  t.equal(duplicates(weave.spans()), 0, 'no duplicates at the recovering upstream');
  t.equal(duplicates(langtrace.spans()), 0, 'none at the healthy one either');
  t.same(readdirSync(join(tb.dataDir, 'queue', 'weave')), [], 'the queue is empty again');
  const metrics = await (await fetch(`${tb.url}/metrics`)).text();
  const writes = (u: string) => Number(metrics.match(new RegExp(`tracebridge_queue_writes_total\\{upstream="${u}"\\} (\\d+)`))?.[1] ?? 0);
  // One per worker failed a send and was written at once; the rest waited, journalled, under 1 s.
  t.ok(writes('weave') >= 4 && writes('weave') <= 20, `Weave's copies that failed a send were written to its queue (${writes('weave')})`);
  t.equal(writes('langtrace'), 0, "Langtrace's were sent from memory: written once, in the journal");
  t.equal(Number(metrics.match(/tracebridge_journal_write_seconds_count (\d+)/)?.[1]), 20, 'each answered request was timed once as it was journalled');
});

t.test('an upstream failing 70% of requests with 503: sent == received', async (t) => {
  // One batch a request (no coalescing), so the failures below are counted per batch.
  const { weave, langtrace, tb } = await pair(t, {}, { retry: { ...FAST_RETRY, initialMs: 5, maxIntervalMs: 20, maxElapsedMs: 60_000 }, batch: { maxSpans: 1 } });
  weave.failRate = 0.7;
  langtrace.failRate = 0.7;
  const sent = 50;
  for (let i = 0; i < sent; i++) t.equal((await post(tb.url)).status, 200);
  await Promise.all([weave.waitForSpans(sent, 30_000), langtrace.waitForSpans(sent, 30_000)]);
  await drained(tb);
  t.equal(weave.spans().length, sent, 'Weave received every span');
  t.equal(langtrace.spans().length, sent, 'Langtrace received every span');
  t.equal(duplicates(weave.spans()) + duplicates(langtrace.spans()), 0, 'each exactly once');
  t.ok(weave.hits.length > sent * 2, `the failures were real (${weave.hits.length} requests for ${sent} batches)`);
});

t.test('permanent rejections go to the dead-letter folder; list, replay after the fix, purge', async (t) => {
  const weave = await fakeWeave({ key: 'RIGHT' });
  const dir = mkdtempSync(join(tmpdir(), 'tb-dlq-'));
  const dataDir = join(dir, 'data');
  const wrong = {
    listen: '127.0.0.1:0',
    dataDir,
    logLevel: 'silent',
    upstreams: [{ name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'WRONG' }, retry: FAST_RETRY }],
  };
  const tb = await startProxy(wrong);
  t.teardown(() => weave.close());
  for (let i = 0; i < 3; i++) t.equal((await post(tb.url)).status, 200);
  const deadDir = join(dataDir, 'deadletter', 'weave');
  // Delivery (and so the dead letters) follows the answer: the folder appears with the first one.
  const dead = () => (existsSync(deadDir) ? readdirSync(deadDir).length : 0);
  await until(() => dead() >= 6, 3000);
  await tb.close();
  t.equal(weave.spans().length, 0);
  const files = readdirSync(deadDir);
  t.equal(files.filter((f) => f.endsWith('.batch')).length, 3, 'three batches kept');
  const reason = JSON.parse(
    readFileSync(
      join(
        deadDir,
        files.find((f) => f.endsWith('.json'))!,
      ),
      'utf8',
    ),
  );
  t.match(reason, { reason: 'HTTP 401', status: 401, spans: 1 });
  const cfgFile = join(dir, 'c.yaml');
  writeFileSync(cfgFile, stringify(wrong));
  const list = await runCli(['deadletter', 'list', '--config', cfgFile]);
  t.equal(list.code, 0, list.stderr);
  t.equal(list.stdout.toString().trim().split('\n').length, 4, 'a header and three rows');
  t.match(list.stdout.toString(), /weave\t\S+\t1\t\S+\tHTTP 401/);
  t.notMatch(list.stdout.toString(), /WRONG/, 'no key shown');
  // Fix the cause (the key) and replay: sent with the configured key, removed when delivered.
  writeFileSync(cfgFile, stringify({ ...wrong, upstreams: [{ ...wrong.upstreams[0], auth: { mode: 'static', key: 'RIGHT' } }] }));
  const replay = await runCli(['deadletter', 'replay', '--config', cfgFile]);
  t.equal(replay.code, 0, replay.stdout.toString());
  t.match(replay.stdout.toString(), /replayed 3 batches: 3 delivered, 0 kept/);
  t.equal(weave.spans().length, 3, 'all three delivered');
  t.equal(weave.accepted[0].headers['wandb-api-key'], 'RIGHT');
  t.same(readdirSync(deadDir), [], 'and removed');
  writeFileSync(join(deadDir, 'x.batch'), 'junk');
  const purge = await runCli(['deadletter', 'purge', '--yes', '--data-dir', dataDir]);
  t.match(purge.stdout.toString(), /purged 1 batches/);
});

t.test('ack: upstream — the client waits for the backends and sees their verdict', async (t) => {
  const { weave, langtrace, tb } = await pair(t, { ack: 'upstream', ackTimeoutMs: 1500 });
  t.equal((await post(tb.url)).status, 200);
  t.equal(weave.spans().length, 1, 'delivered before the answer');
  t.equal(langtrace.spans().length, 1);
  t.same(readdirSync(join(tb.dataDir, 'queue', 'weave')), [], 'nothing on disk');
  weave.failNext(1, 401);
  const denied = await post(tb.url);
  t.equal(denied.status, 401, "the upstream's refusal reaches the client");
  t.match(await denied.text(), /upstream weave rejected the batch with HTTP 401/);
  // Langtrace down: 503 for the client; its retry goes only to Langtrace (Weave already has it).
  langtrace.down = true;
  const body = fresh();
  const send = () => fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const first = await send();
  t.equal(first.status, 503);
  t.equal(first.headers.get('retry-after'), '5');
  langtrace.down = false;
  t.equal((await send()).status, 200);
  t.equal(duplicates(weave.spans()), 0, 'the retry did not duplicate at Weave');
  t.equal(langtrace.spans().length, 3);
});

t.test('a data dir that cannot hold the queue: refused at start, or per request, never lost', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-disk-'));
  writeFileSync(join(dir, 'file'), 'x');
  const r = await runCli(['serve', '--listen', '127.0.0.1:0', '--data-dir', join(dir, 'file', 'data')]);
  t.equal(r.code, 2);
  t.match(r.stderr, /data dir .*cannot hold the queue/);
  // memoryBytes 0: every upstream copy is written to its queue before the journal lets go.
  const { weave, langtrace, tb } = await pair(t, {}, { queue: { memoryBytes: 0 } });
  // The journal folder disappears under a running proxy (a disk unmounted, say): refused, not lost.
  const inbox = join(tb.dataDir, 'inbox');
  rmSync(inbox, { recursive: true });
  writeFileSync(inbox, 'not a folder');
  const res = await post(tb.url);
  t.equal(res.status, 503);
  t.equal(res.headers.get('retry-after'), '5');
  t.match(await res.text(), /cannot persist the batch \(ENOTDIR\)/);
  t.ok(
    tb.logs.some((l) => l.includes('cannot write to the journal')),
    'logged',
  );
  await drained(tb);
  t.equal(weave.spans().length + langtrace.spans().length, 0, 'nothing sent for a refused request');
  rmSync(inbox);
  mkdirSync(inbox);
  // One upstream's queue folder goes: the request is journalled and answered; its translation
  // waits in the journal, retried, until the folder can be written again.
  const q = join(tb.dataDir, 'queue', 'weave');
  rmSync(q, { recursive: true });
  writeFileSync(q, 'not a folder');
  t.equal((await post(tb.url)).status, 200);
  await waitFor(() => tb.logs.some((l) => l.includes('cannot write to the queue')), 3000);
  t.equal(readdirSync(inbox).length, 1, 'kept in the journal');
  t.same(readdirSync(join(tb.dataDir, 'queue', 'langtrace')), [], 'nothing half-queued at the other upstream');
  rmSync(q);
  mkdirSync(q);
  await Promise.all([weave.waitForSpans(1), langtrace.waitForSpans(1)]);
  await waitFor(() => readdirSync(inbox).length === 0, 3000);
  t.equal(weave.spans().length, 1, 'delivered once the disk recovered');
  t.equal(langtrace.spans().length, 1);
});

t.test('an upstream down with its queue folder broken: its copy waits in the journal, then arrives', async (t) => {
  const { weave, langtrace, tb } = await pair(t, {}, { retry: { ...FAST_RETRY, maxElapsedMs: 30_000 } });
  const inbox = join(tb.dataDir, 'inbox');
  const q = join(tb.dataDir, 'queue', 'weave');
  rmSync(q, { recursive: true });
  writeFileSync(q, 'not a folder');
  weave.down = true;
  t.equal((await post(tb.url)).status, 200);
  await langtrace.waitForSpans(1);
  // Weave's copy, held in memory, fails to send, and cannot be written to its queue either.
  await waitFor(() => tb.logs.some((l) => l.includes('cannot write to the queue')), 3000);
  t.equal(readdirSync(inbox).length, 1, 'the request stays in the journal');
  t.same(readdirSync(join(tb.dataDir, 'queue', 'langtrace')), [], 'Langtrace had it from memory: nothing written for it');
  rmSync(q);
  mkdirSync(q);
  // The next attempt writes it to Weave's queue, and the journal lets go of it.
  await waitFor(() => readdirSync(inbox).length === 0 && readdirSync(q).length === 1, 5000);
  weave.down = false;
  await weave.waitForSpans(1);
  await waitFor(() => readdirSync(q).length === 0, 3000);
  t.equal(weave.spans().length, 1, 'delivered once');
  t.equal(langtrace.spans().length, 1, 'nothing sent twice to Langtrace');
});

t.test('a dead-letter folder that cannot be written: logged, the request kept, the sender goes on', async (t) => {
  const { weave, langtrace, tb } = await pair(t, {}, { queue: { concurrency: 1 } });
  mkdirSync(join(tb.dataDir, 'deadletter'), { recursive: true });
  writeFileSync(join(tb.dataDir, 'deadletter', 'weave'), 'not a folder');
  weave.failNext(1, 400);
  t.equal((await post(tb.url)).status, 200);
  await waitFor(() => tb.logs.some((l) => l.includes('cannot finish a batch')), 3000);
  t.equal(readdirSync(join(tb.dataDir, 'inbox')).length, 1, 'kept in the journal for the next start');
  t.equal((await post(tb.url)).status, 200);
  await weave.waitForSpans(1);
  await langtrace.waitForSpans(2);
  t.equal(weave.spans().length, 1, "Weave's only worker sent the next request");
});

t.test('deliveries that cannot be recorded: delivered all the same, one warning', async (t) => {
  const { weave, langtrace, tb } = await pair(t);
  const dir = join(tb.dataDir, 'delivered', 'langtrace');
  rmSync(dir, { recursive: true, force: true });
  writeFileSync(dir, 'not a folder');
  for (let i = 0; i < 3; i++) t.equal((await post(tb.url)).status, 200);
  await Promise.all([weave.waitForSpans(3), langtrace.waitForSpans(3)]);
  await drained(tb); // the answers heard too: coalesced, the three may be one request
  t.equal(tb.logs.filter((l) => l.includes('cannot record deliveries')).length, 1, 'warned once, not per delivery');
  t.ok(readdirSync(join(tb.dataDir, 'delivered', 'weave')).length > 0, "Weave's deliveries are recorded");
});
