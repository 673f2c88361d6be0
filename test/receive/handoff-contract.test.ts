// One suite for both durable layers behind HandOff: the local journal and spools, and NATS
// JetStream (a real single-node nats-server on loopback). Each runs the proxy in-process, with
// loopback upstreams that decode what they receive.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { startProxy, FAST_RETRY } from '../helpers/proxy.js';
import { startNats, type NatsCluster } from '../helpers/nats.js';
import { fakeLangtrace, fakeWeave } from '../helpers/upstreams.js';
import { waitFor } from '../helpers/wait.js';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url), 'utf8');
const body = (spanId: string) => curl.replace('1a2b3c4d5e6f7g8h', spanId);
const post = (url: string, b: string) => fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b });

let nats: NatsCluster | undefined;
let streams = 0;

interface Layer {
  name: string;
  /** What the config adds for this layer. */
  config(): Record<string, unknown>;
}

const LAYERS: Layer[] = [
  { name: 'local', config: () => ({}) },
  { name: 'NATS JetStream', config: () => ({ nats: { servers: nats!.urls, stream: `contract${process.pid}x${streams++}` } }) },
];

async function setup(t: Test, layer: Layer, queue?: Record<string, unknown>) {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  const retry = { ...FAST_RETRY, maxElapsedMs: 30_000 };
  const tb = await startProxy({
    logLevel: 'warn',
    ...layer.config(),
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry, ...(queue ? { queue } : {}) },
      { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' }, retry, ...(queue ? { queue } : {}) },
    ],
  });
  t.teardown(() => tb.close());
  return { weave, langtrace, tb };
}

/** Nothing left to deliver: the proxy idle and the depth it reports 0 for every upstream. */
async function drained(url: string, idle: () => boolean): Promise<void> {
  const empty = (m: string) => ['weave', 'langtrace'].every((u) => m.includes(`tracebridge_queue_depth{upstream="${u}"} 0\n`));
  await waitFor(async () => idle() && empty(await (await fetch(`${url}/metrics`)).text()), 30_000, 'drained');
}

const statusOf = async (url: string) =>
  (await (await fetch(`${url}/status.json`)).json()) as { upstreams: Array<{ name: string; queueDepth: number; deadLetters: { count: number } }> };

t.before(async () => {
  nats = await startNats(1);
});
t.teardown(() => nats?.stop());

for (const layer of LAYERS) {
  t.test(`${layer.name}: a request taken reaches every upstream once; ready; nothing left`, async (t) => {
    const { weave, langtrace, tb } = await setup(t, layer);
    const ready = await fetch(`${tb.url}/readyz`);
    t.equal(ready.status, 200);
    t.match(await ready.json(), { status: 'ready' });
    t.equal((await post(tb.url, body('00000000000000a1'))).status, 200);
    await weave.waitForSpans(1);
    await langtrace.waitForSpans(1);
    await drained(tb.url, () => tb.proxy.idle);
    t.same([weave.spans().length, langtrace.spans().length], [1, 1]);
    t.same(
      (await statusOf(tb.url)).upstreams.map((u) => u.queueDepth),
      [0, 0],
      'the status page shows empty queues',
    );
  });

  t.test(`${layer.name}: the same request twice is stored once`, async (t) => {
    const { weave, langtrace, tb } = await setup(t, layer);
    const b = body('00000000000000b1');
    t.equal((await post(tb.url, b)).status, 200);
    t.equal((await post(tb.url, b)).status, 200);
    await weave.waitForSpans(1);
    await langtrace.waitForSpans(1);
    await drained(tb.url, () => tb.proxy.idle);
    t.same([weave.spans().length, langtrace.spans().length], [1, 1]);
  });

  t.test(`${layer.name}: bad input is refused before anything is stored`, async (t) => {
    const { weave, tb } = await setup(t, layer);
    t.equal((await post(tb.url, '{"resourceSpans": 7')).status, 400);
    t.equal((await post(tb.url, body('00000000000000c1'))).status, 200, 'then a good one');
    await weave.waitForSpans(1);
    await drained(tb.url, () => tb.proxy.idle);
    t.equal(weave.spans().length, 1, 'only the good one arrived');
  });

  t.test(`${layer.name}: a batch an upstream refuses for good is a dead letter, the other upstream has it`, async (t) => {
    const { weave, langtrace, tb } = await setup(t, layer);
    weave.failNext(1, 400);
    t.equal((await post(tb.url, body('00000000000000d1'))).status, 200);
    await langtrace.waitForSpans(1);
    await waitFor(async () => (await statusOf(tb.url)).upstreams.find((u) => u.name === 'weave')!.deadLetters.count === 1, 30_000, 'the dead letter counted');
    t.equal(weave.spans().length, 0);
    await drained(tb.url, () => tb.proxy.idle);
  });

  t.test(`${layer.name}: an upstream down, its copies wait and arrive once it is back`, async (t) => {
    const { weave, langtrace, tb } = await setup(t, layer);
    weave.down = true;
    for (let i = 0; i < 5; i++) t.equal((await post(tb.url, body(`00000000000000e${i}`))).status, 200);
    await langtrace.waitForSpans(5);
    await waitFor(async () => (await statusOf(tb.url)).upstreams.find((u) => u.name === 'weave')!.queueDepth > 0, 10_000, 'Weave has a queue');
    weave.down = false;
    await weave.waitForSpans(5);
    await drained(tb.url, () => tb.proxy.idle);
    t.equal(new Set(weave.spans().map((s) => s.spanId)).size, 5);
  });
}

t.test('NATS JetStream: past the stream limit, requests are refused (429), none dropped', async (t) => {
  // One upstream down holds every request in the stream; the limit is its queue.maxBytes.
  const { weave, tb } = await setup(t, LAYERS[1], { maxBytes: 8192 });
  weave.down = true;
  const statuses: number[] = [];
  for (let i = 0; i < 40 && !statuses.includes(429); i++) statuses.push((await post(tb.url, body(i.toString(16).padStart(16, 'f')))).status);
  t.ok(statuses.includes(429), `refused once full: ${statuses.join(' ')}`);
  t.ok(statuses.indexOf(429) > 0, 'after some were taken');
  t.notOk(
    statuses.some((s) => s !== 200 && s !== 429),
    'nothing but 200 and 429',
  );
  const taken = statuses.filter((s) => s === 200).length;
  weave.down = false;
  await weave.waitForSpans(taken);
  t.equal(new Set(weave.spans().map((s) => s.spanId)).size, taken, `the ${taken} taken all arrived once the upstream was back`);
});
