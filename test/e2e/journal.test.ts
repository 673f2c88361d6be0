// ack: queue answers once a request is journalled; translation follows. A request answered but
// not translated when the proxy stopped is translated at the next start, and a queue that already
// held its translation (a stop between the queue's commit and the journal's removal) is skipped.
import t, { type Test } from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fakeLangtrace, fakeWeave, duplicates } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY, drained } from '../helpers/proxy.js';
import { loadConfig } from '../../src/config/load.js';
import { loadMappings } from '../../src/conventions/mappings.js';
import { Journal } from '../../src/receive/journal.js';
import { processRequest, type ProcessInput } from '../../src/receive/process.js';
import { Spool } from '../../src/forward/spool.js';
import { queueDir } from '../../src/forward/upstream.js';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url), 'utf8');
const body = (spanId: string) => curl.replace('1a2b3c4d5e6f7g8h', spanId);

async function resume(t: Test, workers: number) {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  const upstreams = [
    { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY },
    { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' }, retry: FAST_RETRY },
  ];
  const first = await startProxy({ upstreams });
  await first.close();
  const dataDir = first.dataDir;
  const config = loadConfig({ config: join(dirname(dataDir), 'tracebridge.yaml') }, {});
  const input = (spanId: string): ProcessInput => ({
    raw: Buffer.from(body(spanId)),
    dialect: 'otlp',
    contentType: 'application/json',
    inbound: {},
    upstreams: ['weave', 'langtrace'],
  });

  // What a stop leaves behind: request A only journalled; request B journalled and already
  // committed to Weave's queue (the stop fell before the journal entry was removed).
  const journal = new Journal(dataDir);
  await journal.open();
  await journal.write(input('00000000000000a1'), 1);
  const b = await journal.write(input('00000000000000b2'), 1);
  const weaveCopy = processRequest(config, loadMappings(config.mappings), input('00000000000000b2')).deliveries.find((d) => d.upstream === 'weave')!;
  const weaveQueue = new Spool(queueDir(dataDir, 'weave'), { maxBatches: 10, maxBytes: 1 << 30 });
  await weaveQueue.open();
  await (await weaveQueue.stage(weaveCopy, journal.nameOf(b))).commit();

  const second = await startProxy({ dataDir, upstreams, workers });
  t.teardown(() => second.close());
  await Promise.all([weave.waitForSpans(2), langtrace.waitForSpans(2)]);
  await drained(second);
  const ids = (spans: Array<{ spanId: string }>) => spans.map((s) => s.spanId).sort();
  t.same(ids(weave.spans()), ['00000000000000a1', '00000000000000b2'], 'Weave: both, B from its queue and not again from the journal');
  t.same(ids(langtrace.spans()), ['00000000000000a1', '00000000000000b2'], 'Langtrace: both, translated from the journal');
  t.equal(duplicates(weave.spans()) + duplicates(langtrace.spans()), 0);
  t.same(readdirSync(join(dataDir, 'inbox')), [], 'the journal is empty again');
  t.ok(
    second.logs.some((l) => l.includes('translating requests answered before the last stop')),
    'the resume is logged',
  );
}

t.test('answered, not translated: translated at the next start, each upstream once', (t) => resume(t, 0));
t.test('the same with a worker thread translating', (t) => resume(t, 1));

t.test('what translation would refuse is refused before the answer, and not journalled', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  t.teardown(() => weave.close());
  // No project in the request, on the resource or in the config: Weave could never take it.
  const tb = await startProxy({ upstreams: [{ name: 'weave', type: 'weave', url: weave.url, auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY }] });
  t.teardown(() => tb.close());
  const refused = await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body('00000000000000d4') });
  t.equal(refused.status, 400);
  t.match(await refused.text(), /no Weave project/);
  t.same(readdirSync(join(tb.dataDir, 'inbox')), [], 'nothing journalled');
  const ok = await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', project_id: 'a/b' }, body: body('00000000000000c3') });
  t.equal(ok.status, 200, 'with the project header it is taken');
  await weave.waitForSpans(1);
  t.equal(weave.spans().length, 1);
});
