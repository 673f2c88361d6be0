// A corpus of bad inputs: each gets a clear status and message, the process stays up, and
// nothing is forwarded or queued for it.
import t from 'tap';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fakeWeave } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY, drained } from '../helpers/proxy.js';

t.test('bad inputs are refused clearly and leave no trace', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const tb = await startProxy({
    inboundKeys: ['door-key'],
    upstreams: [{ name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry: FAST_RETRY }],
  });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  const ok = { 'x-api-key': 'door-key' };
  const span = (attrs: unknown[]) =>
    JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0'.repeat(31) + '1', spanId: '0'.repeat(15) + '1', name: 's', attributes: attrs }] }] }] });
  let deep: object = { stringValue: 'x' };
  for (let i = 0; i < 200; i++) deep = { kvlistValue: { values: [{ key: 'k', value: deep }] } };
  const corpus: Array<[string, Record<string, string>, string | Uint8Array, number, RegExp]> = [
    ['no key at the door', { 'content-type': 'application/json' }, span([]), 401, /requires an API key/],
    ['a wrong key', { 'content-type': 'application/json', 'x-api-key': 'guess' }, span([]), 401, /not accepted/],
    ['wrong content type', { ...ok, 'content-type': 'application/xml' }, '<spans/>', 415, /unsupported Content-Type/],
    ['invalid JSON', { ...ok, 'content-type': 'application/json' }, '{"resourceSpans":', 400, /invalid JSON/],
    ['wrong shape', { ...ok, 'content-type': 'application/json' }, '{"resourceSpans":{"a":1}}', 400, /resourceSpans: expected an array/],
    ['wrong value type', { ...ok, 'content-type': 'application/json' }, span([{ key: 'a', value: { intValue: 'lots' } }]), 400, /intValue: expected an integer/],
    ['deeply nested kvlist', { ...ok, 'content-type': 'application/json' }, span([{ key: 'deep', value: deep }]), 400, /nested deeper than 32/],
    ['truncated protobuf', { ...ok, 'content-type': 'application/x-protobuf' }, new Uint8Array([0x0a, 0x10, 0x0a]), 400, /invalid OTLP protobuf/],
    [
      'gzip bomb',
      { ...ok, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      gzipSync(Buffer.alloc(200 * 1024 * 1024, 0x20)),
      413,
      /larger than 20971520 bytes once decompressed/,
    ],
    [
      'a huge attribute value',
      { ...ok, 'content-type': 'application/json' },
      span([{ key: 'big', value: { stringValue: 'x'.repeat(25 * 1024 * 1024) } }]),
      413,
      /over the 20971520-byte limit/,
    ],
    ['unknown encoding', { ...ok, 'content-type': 'application/json', 'content-encoding': 'br' }, span([]), 415, /unsupported Content-Encoding .*br/],
  ];
  for (const [name, headers, body, status, message] of corpus) {
    const res = await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers, body });
    t.equal(res.status, status, `${name}: ${status}`);
    t.match(await res.text(), message, `${name}: says why`);
  }
  // Random bytes as protobuf: a clear answer every time, never a crash.
  const statuses = new Set<number>();
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
      const res = await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { ...ok, 'content-type': 'application/x-protobuf' }, body: bytes });
      statuses.add(res.status);
      await res.arrayBuffer();
      return res.status === 400 || res.status === 200;
    }),
    { numRuns: 200, seed: 7 },
  );
  t.ok(statuses.has(400), `random protobuf: ${[...statuses].join(', ')}, never 5xx`);
  t.equal((await fetch(`${tb.url}/healthz`)).status, 200, 'still up');
  await drained(tb);
  const delivered = weave.spans().filter((s) => s.spanId === '0'.repeat(15) + '1').length;
  t.equal(delivered, 0, 'nothing from the corpus was forwarded');
  t.same(
    readdirSync(join(tb.dataDir, 'queue', 'weave')).filter((f) => f.endsWith('.tmp')),
    [],
    'no half-written files',
  );
});
