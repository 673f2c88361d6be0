// The durable queue: what is committed is on disk before the caller hears yes, recent batches are
// sent from memory, older ones are read back, and a restart finds everything not yet done.
import t from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialise, Spool } from '../../src/forward/spool.js';
import type { Delivery } from '../../src/forward/prepare.js';

const limits = { maxBatches: 1000, maxBytes: 1 << 30 };

function delivery(n: number, size: number): Delivery {
  return { upstream: 'u', spans: n, requests: [{ headers: { 'x-n': String(n) }, body: Buffer.alloc(size, n % 256) }] };
}

async function queued(spool: Spool, d: Delivery): Promise<void> {
  await (await spool.stage(d)).commit();
}

t.test('a committed batch is on disk and comes back the same, in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const spool = new Spool(dir, limits);
  await spool.open();
  await queued(spool, delivery(1, 10));
  await queued(spool, delivery(2, 20));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.batch'))
    .sort();
  t.equal(files.length, 2, 'one file per committed batch');
  t.same(deserialise('u', readFileSync(join(dir, files[0]))).requests[0].body, Buffer.alloc(10, 1), 'the file holds the batch');
  const [a, b] = spool.take(2);
  const first = await spool.load('u', a);
  t.equal(first.spans, 1);
  t.same(first.requests[0].headers, { 'x-n': '1' });
  t.same((await spool.load('u', b)).requests[0].body, Buffer.alloc(20, 2));
  await spool.done(a);
  await spool.done(b);
  t.same(readdirSync(dir), [], 'delivered batches are removed');
  t.equal(spool.sizeBytes, 0);
});

t.test('recent batches are sent from memory; past the budget they are read back from disk', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const spool = new Spool(dir, limits);
  await spool.open();
  const MiB = 1024 * 1024;
  for (let i = 0; i < 20; i++) await queued(spool, delivery(i, MiB));
  const entries = spool.take(20);
  // Spoil every file on disk: what is kept in memory still loads, what is not fails to load.
  for (const f of readdirSync(dir)) writeFileSync(join(dir, f), 'not a batch');
  const outcomes = await Promise.all(
    entries.map((e) =>
      spool.load('u', e).then(
        (d) => d.spans,
        () => 'disk',
      ),
    ),
  );
  const fromMemory = outcomes.filter((o) => o !== 'disk');
  t.ok(fromMemory.length >= 2 && fromMemory.length < 20, `the first batches come from memory (${fromMemory.length} of 20)`);
  t.same(fromMemory, [...Array(fromMemory.length).keys()], 'in order, unchanged');
  t.ok(
    outcomes.slice(fromMemory.length).every((o) => o === 'disk'),
    'the rest are read from disk',
  );
});

t.test('a restart finds every batch not yet done', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const first = new Spool(dir, limits);
  await first.open();
  await queued(first, delivery(1, 10));
  await queued(first, delivery(2, 10));
  const [e] = first.take(1);
  await first.done(e);
  const staged = await first.stage(delivery(3, 10)); // written but never committed
  t.ok(staged);
  const second = new Spool(dir, limits);
  t.equal(await second.open(), 1, 'one batch left, the uncommitted one dropped');
  const [left] = second.take(1);
  t.equal((await second.load('u', left)).spans, 2, 'read back from disk after the restart');
});

t.test('a reserved place counts against the limit until released; an unpublished commit is on disk but not taken', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const spool = new Spool(dir, { maxBatches: 2, maxBytes: 1 << 30 });
  await spool.open();
  const release = spool.reserve();
  await queued(spool, delivery(1, 10));
  t.equal(spool.hasRoom(), false, 'one queued and one reserved fill a 2-batch queue');
  release();
  release(); // idempotent
  t.equal(spool.hasRoom(), true);
  const entry = await (await spool.stage(delivery(2, 10), 'named')).commit(false);
  t.ok(readdirSync(dir).includes('named.batch'), 'committed under the given name');
  t.equal(spool.holds('named'), false, 'not waiting until published');
  t.equal(spool.take(10).length, 1, 'only the published batch is taken');
  spool.publish(entry);
  t.equal(spool.holds('named'), true);
  t.same(spool.take(10), [entry]);
});

t.test('a batch committed but not yet published counts against the limit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const spool = new Spool(dir, { maxBatches: 1, maxBytes: 1 << 30 });
  await spool.open();
  const entry = await (await spool.stage(delivery(1, 10))).commit(false);
  t.equal(spool.hasRoom(), false, 'full while unpublished');
  spool.publish(entry);
  t.equal(spool.hasRoom(), false, 'and once published');
  spool.take(1);
  t.equal(spool.hasRoom(), true);
});

/** A new, opened spool in a folder of its own. */
async function opened(l = limits, keepBytes?: number): Promise<{ dir: string; spool: Spool }> {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const spool = new Spool(dir, l, keepBytes);
  await spool.open();
  return { dir, spool };
}

/** A backing that counts its releases. */
function backing() {
  const b = { released: 0, release: () => void b.released++ };
  return b;
}

t.test('a held batch is queued without a file; delivered, it releases its backing once', async (t) => {
  const { dir, spool } = await opened({ maxBatches: 2, maxBytes: 1 << 30 });
  const b = backing();
  t.ok(spool.canHold(10));
  spool.hold(delivery(1, 10), 'held', b);
  t.same(readdirSync(dir), [], 'nothing written');
  t.equal(spool.holds('held'), true);
  t.equal(spool.sizeBytes, 10, 'counted in the limits');
  spool.hold(delivery(2, 10), 'other', backing());
  t.equal(spool.hasRoom(), false, 'two held batches fill a 2-batch queue');
  const [e] = spool.take(1);
  t.equal((await spool.load('u', e)).spans, 1, 'loaded from memory');
  await spool.done(e);
  t.equal(b.released, 1, 'released when delivered');
  t.same(readdirSync(dir), []);
  t.equal(spool.sizeBytes, 10);
});

t.test('a held batch past the memory budget is not held', async (t) => {
  const { dir, spool } = await opened(limits, 100);
  spool.hold(delivery(1, 80), 'a', backing());
  t.equal(spool.canHold(30), false, 'over the 100-byte budget');
  t.equal(spool.canHold(20), true);
  t.equal(new Spool(dir, limits, 0).canHold(1), false, 'a budget of 0 holds nothing');
  for (let i = 0; i < 1023; i++) spool.hold(delivery(i, 0), `n${i}`, backing());
  t.equal(spool.canHold(0), false, 'and at most 1,024 batches are held');
});

t.test('spilling writes a held batch to the queue, then releases it; delivery then removes the file', async (t) => {
  const { dir, spool } = await opened();
  const b = backing();
  spool.hold(delivery(7, 10), 'late', b);
  const [e] = spool.take(1);
  const sending = spool.load('u', e); // in flight while it is spilled
  await Promise.all([spool.spill(e), spool.spill(e)]);
  t.equal(b.released, 1, 'released once, after the file is in place');
  t.same(readdirSync(dir), ['late.batch']);
  t.equal(deserialise('u', readFileSync(join(dir, 'late.batch'))).spans, 7, 'the file holds the batch');
  t.equal((await sending).spans, 7);
  await spool.done(e);
  t.equal(b.released, 1, 'not released again');
  t.same(readdirSync(dir), [], 'removed once delivered');
  const again = new Spool(dir, limits);
  t.equal(await again.open(), 0);
});

t.test('spillOlderThan writes only the held batches that waited long enough; a failed spill leaves them held', async (t) => {
  const { dir, spool } = await opened();
  // A clock the test moves: ages do not depend on how busy the machine is.
  const realNow = Date.now;
  let now = realNow();
  Date.now = () => now;
  t.teardown(() => void (Date.now = realNow));
  const old = backing();
  spool.hold(delivery(1, 10), 'old', old);
  now += 30;
  const young = backing();
  spool.hold(delivery(2, 10), 'young', young);
  t.equal(await spool.spillOlderThan(20), 0);
  t.same([old.released, young.released], [1, 0]);
  t.same(readdirSync(dir), ['old.batch']);
  rmSync(dir, { recursive: true });
  writeFileSync(dir, 'not a folder');
  t.equal(await spool.spillOlderThan(0), 1, 'one failed');
  t.equal(young.released, 0, 'still held: its durable copy is where it was');
  rmSync(dir);
  mkdirSync(dir);
  t.equal(await spool.spillOlderThan(0), 0, 'written on the next try');
  t.equal(young.released, 1);
});

t.test('a held batch dead-lettered is written to the dead-letter folder, then released', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spool-'));
  const dead = join(dir, 'dead');
  const spool = new Spool(join(dir, 'q'), limits);
  await spool.open();
  const b = backing();
  spool.hold(delivery(3, 10), 'bad', b);
  const [e] = spool.take(1);
  await spool.deadLetter(e, dead, { reason: 'HTTP 400' });
  t.equal(b.released, 1);
  t.same(readdirSync(dead).sort(), ['bad.batch', 'bad.json']);
  t.equal(deserialise('u', readFileSync(join(dead, 'bad.batch'))).spans, 3);
  t.equal(spool.sizeBytes, 0);
});
