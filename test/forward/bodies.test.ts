import t from 'tap';
import { BodyPool, jsonArrayBody, bodies, releaseBodies } from '../../src/forward/bodies.js';

t.test('a large body given back is reused; small ones come from Node', async (t) => {
  const pool = new BodyPool(1 << 20);
  const a = pool.take(100_000);
  t.equal(a.length, 100_000);
  a.fill(7);
  pool.give(a);
  t.ok(pool.idleBytes >= 100_000);
  const b = pool.take(110_000);
  t.equal(b.buffer, a.buffer, 'same block, another length');
  t.equal(b.length, 110_000);
  t.equal(pool.idleBytes, 0);
  const small = pool.take(1000);
  pool.give(small);
  t.equal(pool.idleBytes, 0, 'small buffers are not pooled');
});

t.test('a block is taken back once, and only from its own pool', async (t) => {
  const pool = new BodyPool(1 << 20);
  const a = pool.take(200_000);
  pool.give(a);
  pool.give(a);
  const x = pool.take(200_000);
  const y = pool.take(200_000);
  t.not(x.buffer, y.buffer, 'a second give did not put the block on the list twice');
  pool.give(Buffer.alloc(200_000));
  pool.give(new BodyPool().take(200_000));
  t.equal(pool.idleBytes, 0, 'foreign buffers are ignored');
});

t.test('what is kept is bounded, and a detached block is dropped', async (t) => {
  const pool = new BodyPool(300_000);
  const blocks = [pool.take(100_000), pool.take(100_000), pool.take(100_000), pool.take(100_000)];
  for (const b of blocks) pool.give(b);
  t.ok(pool.idleBytes <= 300_000, `kept ${pool.idleBytes}`);
  const c = pool.take(100_000);
  structuredClone(c.buffer, { transfer: [c.buffer as ArrayBuffer] });
  pool.give(c);
  const d = pool.take(100_000);
  t.equal(d.length, 100_000, 'a usable block, not the detached one');
});

t.test('jsonArrayBody writes the array exactly, in UTF-8', async (t) => {
  for (const items of [[], ['1'], ['"é"', '{"a":[1,2]}', '"' + 'ü'.repeat(40_000) + '"']]) {
    const b = jsonArrayBody(items);
    t.equal(b.toString('utf8'), `[${items.join(',')}]`);
    t.same(JSON.parse(b.toString('utf8')), JSON.parse(`[${items.join(',')}]`));
    releaseBodies({ upstream: 'u', spans: 1, requests: [{ body: b, headers: {} }] });
  }
  t.ok(bodies.idleBytes > 0, 'the large one went back to the pool');
});
