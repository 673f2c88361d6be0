// A key spray (issue #25, item 8): every key no upstream had answered cost one request to the
// upstream (20,000 against the operator's upstream for 20,000 keys). Now one client address
// brings at most unprovenKeysPerMinute new keys a minute; past it 429 with Retry-After and the
// reason, the upstream not asked. Proven keys from the same address are not held back.
import t from 'tap';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { fakeWeave } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY } from '../helpers/proxy.js';

const basic = (key: string) => 'Basic ' + Buffer.from('api:' + key).toString('base64');
let n = 0;
const body = () =>
  JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: (++n).toString(16).padStart(16, '0'), name: 'x' }] }] }] });

/** A POST from a chosen source address (fetch always uses 127.0.0.1). */
function postFrom(url: string, localAddress: string, key: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, localAddress, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json', authorization: basic(key), project_id: 'team/p' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(body());
  });
}

t.test('2,000 random keys from one address: at most unprovenKeysPerMinute reach the upstream', async (t) => {
  const weave = await fakeWeave({ key: 'good' });
  const tb = await startProxy({ upstreams: [{ name: 'weave', type: 'weave', url: weave.url, project: 'team/p', retry: FAST_RETRY }], unprovenKeysPerMinute: 20 });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  const post = (key: string) =>
    fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(key), project_id: 'team/p' }, body: body() });

  t.equal((await post('good')).status, 200, 'the good key is proven first (one upstream request)');
  const before = weave.hits.length;
  const statuses: Record<number, number> = {};
  let sample: Response | undefined;
  let sampleText = '';
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < 2000) {
        next++;
        const res = await post(randomBytes(16).toString('hex'));
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 429 && !sample) [sample, sampleText] = [res, await res.text()];
        else await res.arrayBuffer();
      }
    }),
  );
  const sprayed = weave.hits.length - before;
  t.ok(sprayed <= 20, `the spray cost ${sprayed} upstream requests (at most 20)`);
  t.same(statuses, { 401: sprayed, 429: 2000 - sprayed }, `the upstream's 401 for those, 429 for the rest: ${JSON.stringify(statuses)}`);
  t.ok(Number(sample?.headers.get('retry-after')) >= 1, `429 with Retry-After: ${sample?.headers.get('retry-after')} s`);
  t.match(sampleText, /too many new API keys from this address \(20 a minute, unprovenKeysPerMinute\)/, 'and the reason');

  const proven = await post('good');
  t.equal(proven.status, 200, 'the proven key from the same address: 200');
  await weave.waitForSpans(2);
  t.equal(await postFrom(tb.url, '127.0.0.2', randomBytes(16).toString('hex')), 401, 'another address still has its own allowance (its new key went upstream: 401)');
  const metrics = await (await fetch(`${tb.url}/metrics`)).text();
  t.match(metrics, new RegExp(`tracebridge_requests_refused_total\\{reason="unproven_keys"\\} ${2000 - sprayed}`), 'counted by reason');
});

t.test('unit: the same unproven key again is not counted; the minute starts over', async (t) => {
  const { UnprovenKeys } = await import('../../src/receive/key-rate.js');
  let now = 0;
  const keys = new UnprovenKeys(2, () => now);
  keys.admit('a', 'k1');
  keys.admit('a', 'k1');
  keys.admit('a', 'k2');
  t.throws(() => keys.admit('a', 'k3'), { message: /too many new API keys/, status: 429, headers: { 'retry-after': '60' } }, 'a third key in the minute: 429');
  keys.admit('b', 'k3');
  t.pass('another address is not affected');
  now = 59_500;
  t.throws(() => keys.admit('a', 'k3'), { message: /retry in 1 s/, headers: { 'retry-after': '1' } });
  now = 60_000;
  keys.admit('a', 'k3');
  t.pass('a new minute');
});
