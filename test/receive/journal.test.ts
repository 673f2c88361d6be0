// The journal's group commit: requests that arrive while a write is under way share the next
// file and its fsync; each keeps its own name, and the file goes once all its requests are done.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../src/receive/journal.js';
import { deserialise, serialise } from '../../src/forward/spool.js';
import type { ProcessInput } from '../../src/receive/process.js';

const input = (text: string): ProcessInput => ({
  raw: Buffer.from(text),
  dialect: 'otlp',
  contentType: 'application/json',
  inbound: { key: 'k' },
  upstreams: ['weave'],
});

t.test('writes that arrive together share a file; each request is loaded and removed on its own', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-journal-'));
  const journal = new Journal(dataDir);
  await journal.open();
  const entries = await Promise.all(Array.from({ length: 6 }, (_, i) => journal.write(input(`request ${i}`), i + 1)));
  const files = readdirSync(join(dataDir, 'inbox'));
  t.ok(files.length < 6, `6 requests in ${files.length} files`);
  t.equal(new Set(entries.map((e) => journal.nameOf(e))).size, 6, 'each request has its own name');
  for (const [i, e] of entries.entries()) {
    const { input: back, spans } = await journal.load(e);
    t.equal(Buffer.from(back.raw).toString(), `request ${i}`);
    t.equal(spans, i + 1);
    t.same(back.inbound, { key: 'k' });
  }
  // The first write starts at once, alone; the others arrive while it is under way and share the next.
  const file = entries.at(-1)!.file;
  const shared = entries.filter((e) => e.file === file);
  t.ok(shared.length > 1, `the last file holds ${shared.length} requests`);
  for (const e of shared.slice(0, -1)) await journal.done(e);
  t.ok(readdirSync(join(dataDir, 'inbox')).includes(file), 'kept while a request in it is not done');
  await journal.done(shared[0]);
  t.ok(readdirSync(join(dataDir, 'inbox')).includes(file), 'a second done of the same request counts once');
  await journal.done(shared.at(-1)!);
  t.notOk(readdirSync(join(dataDir, 'inbox')).includes(file), 'removed with its last request');
  for (const e of entries) await journal.done(e);
  t.same(readdirSync(join(dataDir, 'inbox')), []);
});

t.test('a restart finds every request of every file, under its own name', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-journal-'));
  const before = new Journal(dataDir);
  await before.open();
  const written = await Promise.all(Array.from({ length: 5 }, (_, i) => before.write(input(`r${i}`), 1)));
  // Done, but its file still holds requests that are not: found again at the next start.
  await before.done(written.at(-1)!);
  const after = new Journal(dataDir);
  const left = await after.open();
  t.same(
    left.map((e) => after.nameOf(e)).sort(),
    written.map((e) => before.nameOf(e)).sort(),
    'a request done without its file removed is found again (its queues skip it by name)',
  );
  const texts = await Promise.all(left.map(async (e) => Buffer.from((await after.load(e)).input.raw).toString()));
  t.same(texts.sort(), ['r0', 'r1', 'r2', 'r3', 'r4']);
  for (const e of left) await after.done(e);
  t.same(readdirSync(join(dataDir, 'inbox')), []);
});

t.test('a file from before grouping (one request, no name of its own) is read under its file name', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-journal-'));
  const journal = new Journal(dataDir);
  await journal.open();
  const headers = { dialect: 'otlp', upstreams: '["weave"]', inbound: '{}', 'content-type': 'application/json' };
  writeFileSync(
    join(dataDir, 'inbox', '000001700000000-1-000001.batch'),
    Buffer.concat(serialise({ upstream: 'inbox', spans: 3, requests: [{ headers, body: Buffer.from('old') }] })),
  );
  const [e, ...rest] = await new Journal(dataDir).open();
  t.equal(rest.length, 0);
  t.equal(journal.nameOf(e), '000001700000000-1-000001');
  const { input: back, spans } = await journal.load(e);
  t.equal(Buffer.from(back.raw).toString(), 'old');
  t.equal(spans, 3);
  await journal.fail(e, 'broken');
  const kept = deserialise('inbox', readFileSync(join(dataDir, 'failed', '000001700000000-1-000001.batch')));
  t.equal(kept.spans, 3, 'kept in the failed folder with its span count');
});

t.test('a request that cannot be translated goes to the failed folder alone; the others stay', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-journal-'));
  const journal = new Journal(dataDir);
  await journal.open();
  const [, a, b] = await Promise.all([journal.write(input('zeroth'), 1), journal.write(input('first'), 1), journal.write(input('second'), 1)]);
  t.equal(a.file, b.file, 'one file');
  const bad = a;
  await journal.fail(bad, 'broken');
  const failed = readdirSync(join(dataDir, 'failed')).sort();
  t.same(failed, [`${journal.nameOf(bad)}.batch`, `${journal.nameOf(bad)}.json`]);
  t.match(JSON.parse(readFileSync(join(dataDir, 'failed', `${journal.nameOf(bad)}.json`), 'utf8')), { reason: 'broken' });
  const kept = readFileSync(join(dataDir, 'failed', `${journal.nameOf(bad)}.batch`));
  t.ok(kept.includes(Buffer.from('first')) && !kept.includes(Buffer.from('second')), 'the request itself is kept, alone');
  t.equal(Buffer.from((await journal.load(b)).input.raw).toString(), 'second', 'its neighbour still loads');
  t.ok(readdirSync(join(dataDir, 'inbox')).includes(b.file), 'and its file stays');
});

t.test('an unreadable file is one entry, kept whole in the failed folder', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-journal-'));
  const journal = new Journal(dataDir);
  await journal.open();
  writeFileSync(join(dataDir, 'inbox', '000001700000000-1-000002.batch'), 'not a journal file');
  const [e, ...rest] = await new Journal(dataDir).open();
  t.equal(rest.length, 0);
  await t.rejects(journal.load(e));
  await journal.fail(e, 'unreadable');
  t.same(readdirSync(join(dataDir, 'inbox')), []);
  t.same(readdirSync(join(dataDir, 'failed')).sort(), ['000001700000000-1-000002.batch', '000001700000000-1-000002.json']);
});

t.test('a group holds at most 16 requests', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-journal-'));
  const journal = new Journal(dataDir);
  await journal.open();
  const entries = await Promise.all(Array.from({ length: 40 }, (_, i) => journal.write(input(`r${i}`), 1)));
  const perFile = new Map<string, number>();
  for (const e of entries) perFile.set(e.file, (perFile.get(e.file) ?? 0) + 1);
  t.ok(Math.max(...perFile.values()) <= 16, `largest file: ${Math.max(...perFile.values())} requests`);
  t.ok(Math.max(...perFile.values()) > 1, 'but requests were grouped');
  t.equal(
    [...perFile.values()].reduce((a, b) => a + b),
    40,
  );
  t.equal(readdirSync(join(dataDir, 'inbox')).length, perFile.size);
});
