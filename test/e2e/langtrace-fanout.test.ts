// Langtrace's OTLP/JSON mode reads one resource per request: identical resources are merged
// before the fan-out, and a request with more distinct resources than the bound is refused.
import t from 'tap';
import { fakeLangtrace } from '../helpers/upstreams.js';
import { startProxy, drained, FAST_RETRY } from '../helpers/proxy.js';

let next = 0;
function resourceSpans(service: string) {
  const id = (++next).toString(16).padStart(16, '0');
  return {
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
    scopeSpans: [{ scope: { name: 's' }, spans: [{ traceId: id.repeat(2), spanId: id, name: 'op', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }],
  };
}
const post = (url: string, body: unknown) => fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

t.test('5,000 resourceSpans of one resource: one request to Langtrace; too many distinct ones: 400', async (t) => {
  const langtrace = await fakeLangtrace({ key: 'L' });
  const tb = await startProxy({
    upstreams: [{ name: 'langtrace', type: 'langtrace', url: langtrace.url, format: 'otlp-json', auth: { mode: 'static', key: 'L' }, retry: FAST_RETRY }],
  });
  t.teardown(async () => {
    await tb.close();
    await langtrace.close();
  });
  const same = Array.from({ length: 5000 }, () => resourceSpans('app'));
  t.equal((await post(tb.url, { resourceSpans: same })).status, 200);
  await langtrace.waitForSpans(5000);
  await drained(tb);
  t.equal(langtrace.hits.length, 1, 'one request');
  const two = [resourceSpans('a'), resourceSpans('b'), resourceSpans('a')];
  t.equal((await post(tb.url, { resourceSpans: two })).status, 200);
  await langtrace.waitForSpans(5003);
  await drained(tb);
  t.equal(langtrace.hits.length, 3, 'two distinct resources: two requests');
  const many = Array.from({ length: 101 }, (_, i) => resourceSpans(`svc-${i}`));
  const res = await post(tb.url, { resourceSpans: many });
  t.equal(res.status, 400, '101 distinct resources: refused before the answer');
  t.match(((await res.json()) as { message: string }).message, /distinct resources/);
  t.equal(langtrace.hits.length, 3, 'nothing more sent');
});
