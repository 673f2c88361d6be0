// One span per request (SimpleSpanProcessor): the copies queued for an upstream go out together,
// up to batch.maxSpans or batch.timeoutMs, each span exactly once; copies with another credential
// or project never share a request; a refused coalesced request dead-letters each batch in it.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fakeLangtrace, fakeWeave, duplicates } from '../helpers/upstreams.js';
import { startProxy, drained, FAST_RETRY } from '../helpers/proxy.js';
import type { AnyValue } from '../../src/model/batch.js';

const projectOf = (v: AnyValue | undefined) => (v?.type === 'string' ? v.value : undefined);

let next = 0;
function oneSpan(): { id: string; body: string } {
  const id = (++next).toString(16).padStart(16, '0');
  const span = { traceId: id.repeat(2), spanId: id, name: 'op', startTimeUnixNano: '1', endTimeUnixNano: '2' };
  return { id, body: JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans: [span] }] }] }) };
}

async function send(url: string, n: number, concurrency: number, headers: Record<string, string> = {}): Promise<string[]> {
  const ids: string[] = [];
  let left = n;
  const lane = async () => {
    while (left-- > 0) {
      const { id, body } = oneSpan();
      const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
      ids.push(id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return ids;
}

t.test('200 single-span requests: far fewer upstream requests, every span exactly once', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  const tb = await startProxy({
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY },
      { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' }, retry: FAST_RETRY },
    ],
  });
  t.teardown(async () => {
    await tb.close();
    await Promise.all([weave.close(), langtrace.close()]);
  });
  const ids = await send(tb.url, 200, 4);
  await weave.waitForSpans(200);
  await langtrace.waitForSpans(200);
  await drained(tb);
  for (const [name, up] of [
    ['Weave', weave],
    ['Langtrace', langtrace],
  ] as const) {
    t.same(new Set(up.spans().map((s) => s.spanId)), new Set(ids), `${name}: every span`);
    t.equal(duplicates(up.spans()), 0, `${name}: each once`);
    t.ok(up.accepted.length <= 40, `${name}: ${up.accepted.length} upstream requests for 200 spans`);
  }
});

t.test('batch.maxSpans bounds a request; other credentials and projects go apart', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const tb = await startProxy({
    upstreams: [{ name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY, batch: { maxSpans: 10, timeoutMs: 300 } }],
  });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  await Promise.all([send(tb.url, 30, 3), send(tb.url, 30, 3, { project_id: 'a/c' })]);
  await weave.waitForSpans(60);
  await drained(tb);
  t.ok(
    weave.accepted.every((r) => r.spans.length <= 10),
    'no request over 10 spans',
  );
  t.ok(weave.accepted.length < 60, `${weave.accepted.length} requests for 60 spans`);
  t.ok(
    weave.accepted.every((r) => r.batch.resourceSpans.every((rs) => `a/${projectOf(rs.resource.attributes.get('wandb.project'))}` === r.headers['project_id'])),
    'each request holds one project, the one its header names',
  );
  const projects = weave.accepted.map((r) => r.headers['project_id']);
  t.ok(projects.includes('a/b') && projects.includes('a/c'), 'both projects delivered');
  t.equal(duplicates(weave.spans()), 0);
});

t.test('a refused coalesced request: each batch in it is its own dead letter', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const tb = await startProxy({
    upstreams: [{ name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY, batch: { timeoutMs: 500 } }],
  });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  weave.failNext(1000, 400);
  await send(tb.url, 12, 4);
  await drained(tb);
  const dead = readdirSync(join(tb.dataDir, 'deadletter', 'weave')).filter((f) => f.endsWith('.batch'));
  t.equal(dead.length, 12, '12 dead letters, one per request');
  t.ok(weave.hits.length < 12, `from ${weave.hits.length} refused requests`);
});
