// The hop list as a unit: read from the header, refused when it holds this instance or is too
// long, kept with a request through the journal (a restart loads it back) and put on each copy.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { carryHops, hopsIn, hopsOut, HOP_HEADER, loopOf, useInstanceId } from '../../src/config/loops.js';
import { configSchema } from '../../src/config/schema.js';
import { Journal } from '../../src/receive/journal.js';
import { carriedHops, checkHops } from '../../src/receive/hops.js';
import type { ProcessInput } from '../../src/receive/process.js';

useInstanceId(configSchema.parse({ instanceId: 'tb-unit' }));

t.test('the list: read, extended, refused', async (t) => {
  t.same(hopsIn(' a, b ,,c'), ['a', 'b', 'c']);
  t.same(hopsIn(['a', 'b,c']), ['a', 'b', 'c'], 'a header sent twice');
  t.equal(hopsOut(undefined), 'tb-unit', 'from an app: this instance alone');
  t.equal(hopsOut('a,b'), 'a,b,tb-unit', 'after a chain: its ids, then this one');
  t.equal(loopOf(['a', 'b']), undefined);
  t.match(loopOf(['a', 'tb-unit', 'b']), { reason: 'loop', message: /through a → tb-unit → b/ });
  t.equal(loopOf(Array.from({ length: 8 }, (_, i) => `h${i}`)), undefined, '8 pass');
  t.match(loopOf(Array.from({ length: 9 }, (_, i) => `h${i}`)), { reason: 'too_many_hops' }, '9 do not');
  let refused: unknown;
  try {
    checkHops({ [HOP_HEADER]: 'x,tb-unit' });
  } catch (err) {
    refused = err;
  }
  t.match(refused, { status: 508, reason: 'loop' }, 'refused with 508, counted as a loop');
  t.same(carriedHops({}), {}, 'nothing for a request straight from an app');
  t.same(carriedHops({ [HOP_HEADER]: 'a,b' }), { hops: ['a', 'b'] });
});

t.test('a copy carries its hops; a journalled request keeps them over a restart', async (t) => {
  const d = carryHops({ upstream: 'u', spans: 1, requests: [{ body: Buffer.alloc(0), headers: { 'content-type': 'application/x-protobuf' } }] }, ['a', 'b']);
  t.equal(d.requests[0].headers[HOP_HEADER], 'a,b', 'on the request, so the queue file keeps it');
  const dir = mkdtempSync(join(tmpdir(), 'tb-hops-'));
  const input: ProcessInput = { raw: Buffer.from('{}'), dialect: 'otlp', contentType: 'application/json', inbound: {}, upstreams: ['u'], hops: ['a', 'b'] };
  const first = new Journal(dir);
  await first.open();
  await first.write(input, 1);
  await first.write({ ...input, hops: undefined }, 1);
  const again = new Journal(dir);
  const entries = await again.open();
  t.equal(entries.length, 2);
  t.same((await again.load(entries[0])).input.hops, ['a', 'b'], 'loaded back with its hops');
  t.equal((await again.load(entries[1])).input.hops, undefined, 'and one without, without');
});
