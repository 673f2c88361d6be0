// Replicas sharing one durable queue on NATS JetStream: real nats-server nodes on loopback (a
// 3-node cluster), real tracebridge processes (`serve --nats`), loopback upstreams that decode
// what they receive. Counted by unique span ids; duplicates reported.
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { runCli, spawnServe } from '../helpers/cli.js';
import { startNats, type NatsCluster } from '../helpers/nats.js';
import { duplicates, fakeLangtrace, fakeWeave, type FakeUpstream } from '../helpers/upstreams.js';
import { until, waitFor } from '../helpers/wait.js';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url), 'utf8');
const body = (spanId: string) => curl.replace('1a2b3c4d5e6f7g8h', spanId);
const spanId = (n: number) => n.toString(16).padStart(16, '0');
const ids = (u: FakeUpstream) => new Set(u.spans().map((s) => s.spanId));

interface Setup {
  nats: NatsCluster;
  weave: FakeUpstream;
  langtrace: FakeUpstream;
  /** A config file for one replica (each its own data dir, none of them used for the queue). */
  config(name: string): string;
}

let streams = 0;

async function setup(t: Test, opts: { weaveAuth?: Record<string, unknown>; nodes?: number } = {}): Promise<Setup> {
  const nats = await startNats(opts.nodes ?? 3);
  t.teardown(() => nats.stop());
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  const dir = mkdtempSync(join(tmpdir(), 'tb-nats-e2e-'));
  const retry = { initialMs: 20, multiplier: 1.5, randomization: 0, maxIntervalMs: 200, maxElapsedMs: 120_000 };
  const stream = `tb${process.pid}x${streams++}`;
  const config = (name: string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      stringify({
        listen: '127.0.0.1:0',
        grpcListen: 'off',
        // A publish JetStream cannot take is answered 503 after this long.
        admitTimeoutMs: 1000,
        dataDir: join(dir, name),
        logLevel: 'warn',
        nats: { servers: nats.urls, stream },
        upstreams: [
          { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: opts.weaveAuth ?? { mode: 'static', key: 'W' }, retry, timeoutMs: 2000 },
          { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' }, retry, timeoutMs: 2000 },
        ],
      }),
    );
    return file;
  };
  return { nats, weave, langtrace, config };
}

/** A replica, started as a user would, SIGKILLed at the end of the test if still running. */
async function replica(t: Test, s: Setup, name: string) {
  const p = spawnServe(['--config', s.config(name)]);
  t.teardown(() => {
    if (!t.passing()) t.comment(`replica ${name}:\n${p.output().slice(-4000)}`);
    p.child.kill('SIGKILL');
  });
  return { ...p, at: await p.url };
}

const post = (url: string, id: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body(id) });

/** The shared queue's depth for an upstream, as a replica's /metrics shows it. */
async function depth(url: string, upstream: string): Promise<number> {
  const m = new RegExp(`tracebridge_queue_depth\\{upstream="${upstream}"\\} (\\d+)`).exec(await (await fetch(`${url}/metrics`)).text());
  return m ? Number(m[1]) : -1;
}

t.test('200 batches over two replicas while Weave answers 503, one replica SIGKILLed: every batch reaches both from the survivor', async (t) => {
  const s = await setup(t);
  s.weave.down = true;
  const a = await replica(t, s, 'a');
  const b = await replica(t, s, 'b');
  const acked = new Set<string>();
  const client = async (worker: number) => {
    for (let i = 0; i < 50; i++) {
      const id = spanId(0x1000 + worker * 100 + i);
      const res = await post(i % 2 ? a.at : b.at, id);
      if (res.status === 200) acked.add(id);
    }
  };
  await Promise.all([0, 1, 2, 3].map(client));
  t.equal(acked.size, 200, 'all 200 acknowledged (stored on a quorum)');
  await s.langtrace.waitForSpans(200, 60_000);
  t.equal(ids(s.weave).size, 0, 'Weave had none while it answered 503');
  a.child.kill('SIGKILL');
  await a.exited;
  s.weave.down = false;
  // A's batches in progress come back to B once their ack wait (timeoutMs + 5 s) runs out.
  const all = await until(() => [...acked].every((id) => ids(s.weave).has(id) && ids(s.langtrace).has(id)), 90_000);
  t.ok(all, `every batch reached both upstreams (weave ${ids(s.weave).size}, langtrace ${ids(s.langtrace).size} of 200)`);
  await waitFor(async () => (await depth(b.at, 'weave')) === 0 && (await depth(b.at, 'langtrace')) === 0, 30_000, 'shared queue drained');
  const dupW = duplicates(s.weave.spans());
  const dupL = duplicates(s.langtrace.spans());
  t.comment(`duplicates: weave ${dupW}, langtrace ${dupL}`);
  // At-least-once: only what A had in hand (at most queue.concurrency, 4, per upstream) can be sent twice.
  t.ok(dupW <= 4 && dupL <= 4, `duplicates within the bound of 4 per upstream (weave ${dupW}, langtrace ${dupL})`);
  await b.stop();
});

t.test('the same request to both replicas: one copy per upstream', async (t) => {
  const s = await setup(t);
  const a = await replica(t, s, 'a');
  const b = await replica(t, s, 'b');
  const id = spanId(0x2000);
  t.equal((await post(a.at, id)).status, 200);
  t.equal((await post(b.at, id)).status, 200, 'the retry on the other replica is answered 200');
  await s.weave.waitForSpans(1);
  await s.langtrace.waitForSpans(1);
  await waitFor(async () => (await depth(a.at, 'weave')) === 0 && (await depth(a.at, 'langtrace')) === 0, 30_000, 'shared queue drained');
  t.equal(s.weave.spans().length, 1, 'Weave got it once');
  t.equal(s.langtrace.spans().length, 1, 'Langtrace got it once');
  await Promise.all([a.stop(), b.stop()]);
  t.same([await a.exited, await b.exited], [0, 0], 'SIGTERM: both stop cleanly');
});

t.test('a NATS node SIGKILLed during traffic: nothing acknowledged is lost', async (t) => {
  const s = await setup(t);
  const a = await replica(t, s, 'a');
  const b = await replica(t, s, 'b');
  const acked = new Set<string>();
  let refused = 0;
  let killed: Promise<void> | undefined;
  // As an exporter does: a refused request is sent again after a pause, until it is taken.
  const send = async (url: string, id: string) => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const res = await post(url, id).catch(() => undefined);
      if (res?.status === 200) return void acked.add(id);
      refused++;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const client = async (worker: number) => {
    for (let i = 0; i < 75; i++) {
      await send(i % 2 ? a.at : b.at, spanId(0x3000 + worker * 100 + i));
      if (acked.size >= 100) killed ??= s.nats.kill(0);
    }
  };
  await Promise.all([0, 1, 2, 3].map(client));
  await killed;
  t.equal(acked.size, 300, `all 300 acknowledged in the end; ${refused} answers were refusals (503 while JetStream moved its leaders), retried`);
  const all = await until(() => [...acked].every((id) => ids(s.weave).has(id) && ids(s.langtrace).has(id)), 90_000);
  t.ok(all, `every acknowledged batch reached both (weave ${ids(s.weave).size}, langtrace ${ids(s.langtrace).size} of ${acked.size})`);
  t.comment(`duplicates: weave ${duplicates(s.weave.spans())}, langtrace ${duplicates(s.langtrace.spans())}`);
  await Promise.all([a.stop(), b.stop()]);
});

t.test('every NATS node down: 503 with Retry-After, never 200; /readyz says why; back once NATS is', async (t) => {
  const s = await setup(t);
  const a = await replica(t, s, 'a');
  t.equal((await post(a.at, spanId(0x4000))).status, 200);
  await Promise.all([0, 1, 2].map((i) => s.nats.kill(i)));
  const statuses: number[] = [];
  for (let i = 1; i <= 10; i++) {
    const res = await post(a.at, spanId(0x4000 + i));
    statuses.push(res.status);
    if (res.status === 503) t.ok(res.headers.get('retry-after'), 'Retry-After');
  }
  t.same([...new Set(statuses)], [503], `every request refused with 503 (${statuses.join(' ')})`);
  const ready = await fetch(`${a.at}/readyz`);
  t.equal(ready.status, 503);
  t.match(await ready.text(), /NATS|JetStream/);
  await Promise.all([0, 1, 2].map((i) => s.nats.restart(i)));
  await waitFor(async () => (await fetch(`${a.at}/readyz`)).status === 200, 60_000, 'ready again');
  await waitFor(async () => (await post(a.at, spanId(0x4100))).status === 200, 30_000, 'requests taken again');
  t.ok(await until(() => ids(s.weave).has(spanId(0x4000)) && ids(s.weave).has(spanId(0x4100)), 30_000), 'what was acknowledged arrived');
  t.notOk(
    [1, 2, 3].some((i) => ids(s.weave).has(spanId(0x4000 + i))),
    'nothing refused was delivered behind the client',
  );
  await a.stop();
});

t.test('a wrong key refused through replica A is answered 401 by replica B without asking the upstream', async (t) => {
  const s = await setup(t, { weaveAuth: { mode: 'passthrough' } });
  const a = await replica(t, s, 'a');
  const b = await replica(t, s, 'b');
  const key = { authorization: 'Bearer wrong' };
  t.equal((await post(a.at, spanId(0x5000), key)).status, 401, 'A asks Weave, which refuses the key');
  // The verdict reaches B through the bucket: seen by a watcher of our own, B's is as quick.
  const nc = await connect({ servers: s.nats.urls });
  t.teardown(() => nc.close());
  const kv = await new Kvm(nc).open(`${streamOf(s.config('a'))}-keys`);
  const shared = async () => {
    for await (const k of await kv.keys()) if (k) return true;
    return false;
  };
  await waitFor(shared, 10_000, 'the verdict shared');
  const hits = s.weave.hits.length;
  const res = await post(b.at, spanId(0x5001), key);
  t.equal(res.status, 401, 'B refuses it too');
  t.equal(s.weave.hits.length, hits, 'without sending it to Weave');
  await Promise.all([a.stop(), b.stop()]);
});

const streamOf = (file: string) => /stream: (\S+)/.exec(readFileSync(file, 'utf8'))![1];

t.test('a dead letter made by A is listed and replayed through B', async (t) => {
  const s = await setup(t);
  const a = await replica(t, s, 'a');
  s.weave.failNext(1, 400);
  const id = spanId(0x6000);
  t.equal((await post(a.at, id)).status, 200);
  await s.langtrace.waitForSpans(1);
  const bConfig = s.config('b');
  let listed = '';
  await waitFor(
    async () => {
      listed = (await runCli(['deadletter', 'list', '--config', bConfig])).stdout.toString();
      return /^weave\t\d+\t1\t/m.test(listed);
    },
    30_000,
    'the dead letter listed',
  );
  t.match(listed, /HTTP 400/, 'with its reason');
  await a.stop();
  const b = await replica(t, s, 'b');
  const replayed = await runCli(['deadletter', 'replay', '--config', bConfig, '--upstream', 'weave']);
  t.equal(replayed.code, 0, replayed.stdout.toString() + replayed.stderr);
  t.ok(ids(s.weave).has(id), 'Weave got it');
  t.match((await runCli(['deadletter', 'list', '--nats', s.nats.flag, '--config', bConfig])).stdout.toString(), /no dead letters/);
  await b.stop();
});

t.test('NATS not reachable at start: the replica listens, refuses with 503 and says why, and takes requests once NATS is up', async (t) => {
  const s = await setup(t, { nodes: 1 });
  await s.nats.kill(0);
  const a = await replica(t, s, 'a');
  const ready = await fetch(`${a.at}/readyz`);
  t.equal(ready.status, 503);
  t.match(await ready.json(), { status: /connecting to NATS/ });
  const res = await post(a.at, spanId(0x7000));
  t.equal(res.status, 503, 'refused, not taken');
  t.ok(res.headers.get('retry-after'), 'with Retry-After');
  await s.nats.restart(0);
  await waitFor(async () => (await fetch(`${a.at}/readyz`)).status === 200, 60_000, 'ready once NATS is up');
  t.equal((await post(a.at, spanId(0x7001))).status, 200);
  await s.weave.waitForSpans(1);
  t.notOk(ids(s.weave).has(spanId(0x7000)), 'the refused one was not delivered behind the client');
  await a.stop();
});
