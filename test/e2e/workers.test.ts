// With worker threads, requests decode and translate off the request thread: same results,
// same errors, every span once.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fakeLangtrace, fakeWeave, duplicates, langtraceSees, weaveSees } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY } from '../helpers/proxy.js';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url), 'utf8');

t.test('dual-write through two worker threads', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  const tb = await startProxy({
    workers: 2,
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY },
      { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' }, retry: FAST_RETRY },
    ],
  });
  t.teardown(async () => {
    await tb.close();
    await Promise.all([weave.close(), langtrace.close()]);
  });
  // Five waves of eight at once: enough to keep both workers busy, without waiting past the
  // 5 s admission limit (503) on a machine busy with other tests.
  const statuses: number[] = [];
  for (let wave = 0; wave < 5; wave++)
    statuses.push(
      ...(await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          fetch(`${tb.url}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: curl.replace('1a2b3c4d5e6f7g8h', (wave * 8 + i + 1).toString(16).padStart(16, '0')),
          }).then((r) => r.status),
        ),
      )),
    );
  t.same(new Set(statuses), new Set([200]));
  await Promise.all([weave.waitForSpans(40), langtrace.waitForSpans(40)]);
  t.equal(duplicates(weave.spans()) + duplicates(langtrace.spans()), 0);
  t.equal(weaveSees(weave.spans()[0]).model, 'gpt-4');
  t.same(langtraceSees(langtrace.spans()[0]).usage, { input: 25, output: 18, total: 43 });
  const bad = await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans": 1}' });
  t.equal(bad.status, 400, 'a decode error from a worker keeps its status');
  t.match(await bad.text(), /resourceSpans: expected an array/);
  const metrics = await (await fetch(`${tb.url}/metrics`)).text();
  t.match(metrics, /tracebridge_spans_received_total\{convention="langtrace-docs"\} 40/);
});
