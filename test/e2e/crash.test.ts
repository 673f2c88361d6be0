// The proxy killed with SIGKILL mid-stream, then restarted: every acknowledged span reaches every
// upstream. SIGTERM: stops accepting, finishes what it was writing, leaves the queue consistent.
import t, { type Test } from 'tap';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnServe } from '../helpers/cli.js';
import { fakeLangtrace, fakeWeave, duplicates, type FakeUpstream } from '../helpers/upstreams.js';
import { until, waitFor } from '../helpers/wait.js';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url), 'utf8');

const serve = (config: string) => spawnServe(['--config', config]);

async function setup(t: Test) {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  const dir = mkdtempSync(join(tmpdir(), 'tb-crash-'));
  const config = join(dir, 'tracebridge.yaml');
  const retry = { initialMs: 20, multiplier: 1.5, randomization: 0, maxIntervalMs: 200, maxElapsedMs: 60_000 };
  // One copy a request: the duplicate bound below counts requests in flight (coalescing is tested apart).
  const batch = { maxSpans: 1 };
  writeFileSync(
    config,
    stringify({
      listen: '127.0.0.1:0',
      dataDir: join(dir, 'data'),
      logLevel: 'warn',
      upstreams: [
        { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry, batch },
        { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' }, retry, batch },
      ],
    }),
  );
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  return { weave, langtrace, config };
}

const ids = (u: FakeUpstream) => new Set(u.spans().map((s) => s.spanId));

t.test('SIGKILL mid-stream, restart: every acknowledged span arrives at every upstream', async (t) => {
  const { weave, langtrace, config } = await setup(t);
  weave.delayMs = 40; // deliveries are in flight when the kill lands
  langtrace.delayMs = 15;
  const first = serve(config);
  const url = await first.url;
  const acked = new Set<string>();
  let sent = 0;
  // A stream of requests, several at a time; the kill lands in the middle of it.
  const client = async (worker: number) => {
    for (let i = 0; i < 400 && first.child.exitCode === null && !first.child.killed; i++) {
      const spanId = (worker * 1000 + i + 1).toString(16).padStart(16, '0');
      sent++;
      try {
        const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: curl.replace('1a2b3c4d5e6f7g8h', spanId) });
        if (res.status === 200) acked.add(spanId);
      } catch {
        /* the proxy died under this request: not acknowledged */
      }
      // Weave stops answering shortly before the kill, so some acknowledged spans are surely
      // still on their way to it when the proxy dies, however fast this machine is.
      if (acked.size >= 100) weave.hang = true;
      if (acked.size >= 120 && !first.child.killed) first.child.kill('SIGKILL');
    }
  };
  await Promise.all([1, 2, 3, 4].map(client));
  await first.exited;
  t.ok(acked.size >= 120, `${acked.size} of ${sent} requests acknowledged before the kill`);
  const weaveBefore = ids(weave).size;
  t.ok(weaveBefore < acked.size, `Weave had only ${weaveBefore} when the proxy died`);
  weave.hang = false;

  const second = serve(config);
  await second.url;
  t.teardown(() => void second.child.kill('SIGKILL'));
  const all = await until(() => [...acked].every((id) => ids(weave).has(id) && ids(langtrace).has(id)), 30_000);
  t.ok(all, 'every acknowledged span reached Weave and Langtrace after the restart');
  const dupW = duplicates(weave.spans());
  const dupL = duplicates(langtrace.spans());
  // The bound: a batch can be resent only if the kill fell between the upstream's success and the
  // queue file's removal — at most one per worker (queue.concurrency, 4) per upstream.
  t.ok(dupW <= 4 && dupL <= 4, `duplicates within the bound of 4 per upstream (weave ${dupW}, langtrace ${dupL})`);
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0);
});

/**
 * Weave never answers while requests go through, then the proxy gets `signal`; after `check`, a
 * restart with Weave answering must bring Weave every span and Langtrace (which had them) none again.
 */
async function stopWhileWeaveHangs(t: Test, signal: 'SIGKILL' | 'SIGTERM', spanIds: string[], check: (dataDir: string, code: number | null) => void) {
  const { weave, langtrace, config } = await setup(t);
  weave.hang = true;
  const first = serve(config);
  const url = await first.url;
  for (const spanId of spanIds) {
    const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: curl.replace('1a2b3c4d5e6f7g8h', spanId) });
    t.equal(res.status, 200);
  }
  await langtrace.waitForSpans(spanIds.length);
  // Langtrace holding them is not enough: the kill must come after the proxy heard its 200s and
  // recorded the deliveries (counted just before), or the restart rightly sends them again.
  const forwarded = new RegExp(`tracebridge_spans_forwarded_total\\{upstream="langtrace"\\} ${spanIds.length}\\b`);
  await waitFor(async () => forwarded.test(await (await fetch(`${url}/metrics`)).text()), 30_000, 'Langtrace deliveries recorded');
  first.child.kill(signal);
  check(join(config, '..', 'data'), await first.exited);
  t.equal(ids(weave).size, 0, 'Weave had none of them');
  weave.hang = false;
  const second = serve(config);
  await second.url;
  t.teardown(() => void second.child.kill('SIGKILL'));
  t.ok(await until(() => spanIds.every((id) => ids(weave).has(id)), 10_000), 'Weave got every one after the restart');
  // Drained: nothing left in either queue, so nothing more can arrive.
  await waitFor(async () => /tracebridge_queue_depth\{upstream="langtrace"\} 0/.test(await (await fetch(`${await second.url}/metrics`)).text()), 30_000);
  t.equal(langtrace.spans().length, spanIds.length, 'Langtrace, which had them, got none again');
  t.equal(duplicates(weave.spans()), 0);
  second.child.kill('SIGTERM');
  await second.exited;
}

const spanIdsFrom = (base: number, n: number) => Array.from({ length: n }, (_, i) => (base + i).toString(16).padStart(16, '0'));

t.test('SIGKILL while one upstream is slow: the restart sends the journalled requests only where they had not arrived', (t) =>
  // Weave's copies are still held in memory, journalled, at the kill; Langtrace's delivery is recorded.
  stopWhileWeaveHangs(t, 'SIGKILL', spanIdsFrom(7000, 5), (dataDir) => {
    t.ok(readdirSync(join(dataDir, 'inbox')).length > 0, 'requests left in the journal by the kill');
  }),
);

t.test('SIGTERM while one upstream is slow: its copies are written to its queue, sent after the restart', (t) =>
  stopWhileWeaveHangs(t, 'SIGTERM', spanIdsFrom(8000, 3), (dataDir, code) => {
    t.equal(code, 0, 'exit 0 on SIGTERM');
    t.equal(readdirSync(join(dataDir, 'inbox')).length, 0, 'the journal let go of them');
    t.equal(readdirSync(join(dataDir, 'queue', 'weave')).filter((f) => f.endsWith('.batch')).length, 3, "Weave's copies are in its queue");
  }),
);

t.test('SIGTERM with an upstream down: stops cleanly, resumes everything at the next start', async (t) => {
  const { weave, langtrace, config } = await setup(t);
  weave.down = true;
  const first = serve(config);
  const url = await first.url;
  const acked: string[] = [];
  for (let i = 0; i < 20; i++) {
    const spanId = (5000 + i).toString(16).padStart(16, '0');
    const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: curl.replace('1a2b3c4d5e6f7g8h', spanId) });
    if (res.status === 200) acked.push(spanId);
  }
  t.equal(acked.length, 20);
  await until(() => ids(langtrace).size === 20, 5000);
  first.child.kill('SIGTERM');
  t.equal(await first.exited, 0, 'exit 0 on SIGTERM');
  t.equal(ids(weave).size, 0);
  weave.down = false;
  const second = serve(config);
  await second.url;
  t.teardown(() => void second.child.kill('SIGKILL'));
  t.ok(await until(() => acked.every((id) => ids(weave).has(id)), 10_000), 'Weave got all 20 after the restart');
  t.equal(duplicates(weave.spans()), 0);
  t.equal(langtrace.spans().length, 20, 'Langtrace got nothing twice');
  second.child.kill('SIGTERM');
  await second.exited;
});

t.test('SIGKILL while a slow upstream spills, restart, it recovers: every acknowledged span arrives at both without a replay', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  const dir = mkdtempSync(join(tmpdir(), 'tb-crash-spill-'));
  const config = join(dir, 'tracebridge.yaml');
  const retry = { initialMs: 20, multiplier: 1.5, randomization: 0, maxIntervalMs: 200, maxElapsedMs: 60_000 };
  writeFileSync(
    config,
    stringify({
      listen: '127.0.0.1:0',
      grpcListen: 'off',
      dataDir: join(dir, 'data'),
      logLevel: 'warn',
      upstreams: [
        { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry, batch: { maxSpans: 1 } },
        // A queue of 3: with Langtrace slow and failing, most copies spill to its dead letters.
        { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' }, retry, batch: { maxSpans: 1 }, queue: { maxBatches: 3 } },
      ],
    }),
  );
  langtrace.delayMs = 20;
  langtrace.down = true;
  const first = serve(config);
  const url = await first.url;
  const acked = new Set<string>();
  const client = async (worker: number) => {
    for (let i = 0; i < 200 && first.child.exitCode === null && !first.child.killed; i++) {
      const spanId = (0x9000 + worker * 1000 + i).toString(16).padStart(16, '0');
      try {
        const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: curl.replace('1a2b3c4d5e6f7g8h', spanId) });
        if (res.status === 200) acked.add(spanId);
      } catch {
        /* the proxy died under this request: not acknowledged */
      }
      if (acked.size >= 60 && !first.child.killed) first.child.kill('SIGKILL');
    }
  };
  await Promise.all([1, 2, 3, 4].map(client));
  await first.exited;
  const dead = join(dir, 'data', 'deadletter', 'langtrace');
  const spilled = () => readdirSync(dead).filter((f) => f.endsWith('.batch')).length;
  t.ok(acked.size >= 60, `${acked.size} requests acknowledged before the kill`);
  t.ok(spilled() > 0, `${spilled()} of Langtrace's copies spilled for lack of room`);
  langtrace.down = false;
  langtrace.delayMs = 0;
  const second = serve(config);
  await second.url;
  t.teardown(() => void second.child.kill('SIGKILL'));
  t.ok(await until(() => [...acked].every((id) => ids(weave).has(id) && ids(langtrace).has(id)), 60_000), 'every acknowledged span reached both, with no deadletter replay');
  const dupW = duplicates(weave.spans());
  const dupL = duplicates(langtrace.spans());
  t.ok(dupW <= 4 && dupL <= 4, `duplicates within the at-least-once bound (weave ${dupW}, langtrace ${dupL})`);
  second.child.kill('SIGTERM');
  await second.exited;
});
