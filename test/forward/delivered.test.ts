// The record of deliveries a restart reads so as not to resend what already arrived.
import t from 'tap';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveredLog } from '../../src/forward/delivered.js';

t.test('names recorded in one run are read by the next', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'delivered-')), 'weave');
  const first = new DeliveredLog(dir);
  t.same(await first.open(), new Set(), 'nothing at the first start');
  t.same(readdirSync(dir), [], 'no file until something is recorded');
  first.record('a');
  first.record('b');
  first.close(); // a crash leaves the same: nothing is buffered
  const second = new DeliveredLog(dir);
  t.same(await second.open(), new Set(['a', 'b']));
  second.record('c');
  second.close();
  t.same(await new DeliveredLog(dir).open(), new Set(['a', 'b', 'c']));
});

t.test('past its size a new file starts, and only the last two are kept', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'delivered-')), 'weave');
  const log = new DeliveredLog(dir, 10);
  await log.open();
  for (const name of ['name-1', 'name-2', 'name-3', 'name-4', 'name-5', 'name-6']) log.record(name);
  log.close();
  t.ok(readdirSync(dir).length <= 2, `${readdirSync(dir).length} files`);
  const left = await new DeliveredLog(dir, 10).open();
  t.ok(left.has('name-6') && left.has('name-5'), 'the newest names are kept');
  t.notOk(left.has('name-1'), 'the oldest are gone');
});

t.test('restarts do not pile files up', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'delivered-')), 'weave');
  for (let run = 1; run <= 5; run++) {
    const log = new DeliveredLog(dir);
    const before = await log.open();
    if (run > 1) t.ok(before.has(`run-${run - 1}`), `run ${run} reads what run ${run - 1} recorded`);
    log.record(`run-${run}`);
    log.close();
  }
  t.ok(readdirSync(dir).length <= 3, `${readdirSync(dir).length} files after five runs`);
});
