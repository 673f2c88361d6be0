// The durable queue: what is committed is on disk before the caller hears yes, recent batches are
// sent from memory, older ones are read back, and a restart finds everything not yet done.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  const files = readdirSync(dir).filter((f) => f.endsWith('.batch')).sort();
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
  const outcomes = await Promise.all(entries.map((e) => spool.load('u', e).then((d) => d.spans, () => 'disk')));
  const fromMemory = outcomes.filter((o) => o !== 'disk');
  t.ok(fromMemory.length >= 2 && fromMemory.length < 20, `the first batches come from memory (${fromMemory.length} of 20)`);
  t.same(fromMemory, [...Array(fromMemory.length).keys()], 'in order, unchanged');
  t.ok(outcomes.slice(fromMemory.length).every((o) => o === 'disk'), 'the rest are read from disk');
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
