// Copies spilled to an upstream's dead letters for lack of room ("queue full") are sent
// automatically once the upstream keeps up again, oldest first: every acknowledged span arrives
// without `deadletter replay`. A batch the upstream itself refused stays a dead letter.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeLangtrace, fakeWeave, duplicates } from '../helpers/upstreams.js';
import { startProxy, drained, FAST_RETRY } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url)).toString();
let n = 0;
const fresh = () => curl.replace('1a2b3c4d5e6f7g8h', (++n).toString(16).padStart(16, '0'));
const post = (url: string) => fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: fresh() });
const REQUESTS = 20;

t.test('Langtrace down until its queue fills and spills, then back: every span arrives, once, oldest first', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  const slow = { ...FAST_RETRY, maxElapsedMs: 120_000 };
  const tb = await startProxy({
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY },
      { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' }, retry: slow, queue: { maxBatches: 3, concurrency: 1 } },
    ],
  });
  t.teardown(async () => {
    await tb.close();
    await Promise.all([weave.close(), langtrace.close()]);
  });
  const dead = join(tb.dataDir, 'deadletter', 'langtrace');
  const notes = () => readdirSync(dead).filter((f) => f.endsWith('.json'));
  const note = (f: string) => JSON.parse(readFileSync(join(dead, f), 'utf8')) as { reason: string; spill?: boolean };

  // One batch Langtrace refuses for good: a real dead letter, never sent again by itself.
  langtrace.failNext(1, 400);
  t.equal((await post(tb.url)).status, 200);
  await drained(tb);
  const refused = notes();
  t.equal(refused.length, 1, 'the refused batch is a dead letter');
  t.notOk(note(refused[0]).spill, 'not marked as a spill');

  langtrace.down = true;
  for (let i = 0; i < REQUESTS; i++) t.equal((await post(tb.url)).status, 200, `request ${i + 1} acknowledged`);
  await weave.waitForSpans(REQUESTS + 1);
  await waitFor(() => notes().length > 3, 10_000, 'copies spilled');
  const spills = notes().filter((f) => f !== refused[0]);
  t.ok(
    spills.every((f) => note(f).reason === 'queue full' && note(f).spill === true),
    `${spills.length} spills, each marked as one`,
  );

  langtrace.down = false;
  const got = await langtrace.waitForSpans(REQUESTS, 30_000);
  await drained(tb);
  t.equal(langtrace.spans().length, REQUESTS, 'every acknowledged span arrived');
  t.equal(duplicates(got), 0, 'each once');
  const order = got.map((s) => parseInt(s.spanId, 16));
  t.same(
    order,
    [...order].sort((a, b) => a - b),
    'oldest first',
  );
  t.same(notes(), refused, 'only the refused batch is left in the dead letters');
  t.equal(readdirSync(dead).filter((f) => f.endsWith('.batch')).length, 1);
  t.equal(
    tb.proxy.upstreams[1].deadLetterBytes,
    readdirSync(dead).reduce((s, f) => s + readFileSync(join(dead, f)).length, 0),
    'the disk budget counts what is left',
  );
});

t.test('spills left by an earlier run are sent after a restart', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  const config = {
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY },
      {
        name: 'langtrace',
        type: 'langtrace',
        url: langtrace.url,
        auth: { mode: 'static', key: 'L' },
        retry: { ...FAST_RETRY, maxElapsedMs: 120_000 },
        queue: { maxBatches: 2, concurrency: 1 },
      },
    ],
  };
  const first = await startProxy(config);
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  langtrace.down = true;
  for (let i = 0; i < 8; i++) t.equal((await post(first.url)).status, 200);
  await weave.waitForSpans(8);
  const dead = join(first.dataDir, 'deadletter', 'langtrace');
  await waitFor(() => readdirSync(dead).filter((f) => f.endsWith('.batch')).length >= 5, 10_000, 'copies spilled');
  await first.close();
  langtrace.down = false;
  const second = await startProxy({ ...config, dataDir: first.dataDir });
  t.teardown(() => second.close());
  const got = await langtrace.waitForSpans(8, 30_000);
  await drained(second);
  t.equal(duplicates(got), 0, 'every span once');
  t.same(readdirSync(dead), [], 'no dead letters left');
});
