// `tracebridge replay`'s checkpoint is exact: it records the spans each destination acknowledged,
// so resuming with another --batch, after a refused key, for a second target, or after Ctrl-C at
// any point sends every span exactly once (counted by span id at a loopback stand-in).
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli } from '../helpers/cli.js';
import { duplicates, fakeLangtrace } from '../helpers/upstreams.js';
import { oneFile, unique } from './history.js';

const KEY = { LANGTRACE_API_KEY: 'LK' };

t.test('resumed with another --batch: every span once', async (t) => {
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => langtrace.close());
  const { dir, file } = oneFile(2500);
  const base = ['replay', '--to', 'langtrace', langtrace.url, '--data-dir', join(dir, 'data'), file];
  const run = startCli([...base, '--batch', '200', '--rate', '2000'], KEY);
  await langtrace.waitForSpans(1000);
  run.child.kill('SIGINT');
  t.equal(await run.exited, 130);
  const first = langtrace.spans().length;
  t.ok(first < 2500, `interrupted after ${first} spans`);
  const second = await runCli(base, undefined, KEY);
  t.equal(second.code, 0, second.stderr);
  t.match(second.stdout.toString(), `replay: 2500 spans: ${2500 - first} sent, 0 rejected, ${first} already sent before`);
  t.equal(unique(langtrace.spans()), 2500, 'all 2,500 span ids arrived');
  t.equal(duplicates(langtrace.spans()), 0, 'none twice');
  const third = await runCli([...base, '--batch', '70'], undefined, KEY);
  t.match(third.stdout.toString(), 'replay: 2500 spans: 0 sent, 0 rejected, 2500 already sent before');
  t.equal(langtrace.spans().length, 2500, 'a third run with yet another --batch sends nothing');
});

t.test('a refused key, then the right one: everything sent; the first run stops at the first 401', async (t) => {
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => langtrace.close());
  const { dir, file } = oneFile(2500);
  const args = ['replay', '--to', 'langtrace', langtrace.url, '--data-dir', join(dir, 'data'), file];
  const wrong = await runCli(args, undefined, { LANGTRACE_API_KEY: 'WRONG' });
  t.equal(wrong.code, 1, 'exit 1');
  t.equal(langtrace.hits.length, 1, 'one request, not the whole history');
  t.match(wrong.stderr, /HTTP 401/);
  t.match(wrong.stderr, /Unauthorized\. Invalid API key/, "the backend's reply");
  t.match(wrong.stderr, /--key KEY or LANGTRACE_API_KEY/, 'and the fix');
  t.match(wrong.stdout.toString(), /replay: 2500 spans: 0 sent, 500 rejected \(500 HTTP 401\), 0 already sent before; 2000 not sent/);
  const right = await runCli(args, undefined, KEY);
  t.equal(right.code, 0, right.stderr);
  t.match(right.stdout.toString(), 'replay: 2500 spans: 2500 sent, 0 rejected, 0 already sent before');
  t.equal(unique(langtrace.spans()), 2500);
  t.equal(duplicates(langtrace.spans()), 0);
});

t.test('a rejected batch is retried by the next run unless --skip-rejected', async (t) => {
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => langtrace.close());
  const { dir, file } = oneFile(1000);
  const args = ['replay', '--to', 'langtrace', langtrace.url, '--data-dir', join(dir, 'data'), '--batch', '250', file];
  langtrace.failNext(1, 400);
  const first = await runCli(args, undefined, KEY);
  t.equal(first.code, 1);
  t.match(first.stdout.toString(), 'replay: 1000 spans: 750 sent, 250 rejected (250 HTTP 400), 0 already sent before');
  const second = await runCli(args, undefined, KEY);
  t.equal(second.code, 0, second.stderr);
  t.match(second.stdout.toString(), 'replay: 1000 spans: 250 sent, 0 rejected, 750 already sent before');
  t.equal(unique(langtrace.spans()), 1000);

  const other = oneFile(1000);
  const skip = ['replay', '--to', 'langtrace', langtrace.url, '--data-dir', join(other.dir, 'data'), '--batch', '250', '--skip-rejected', other.file];
  langtrace.failNext(1, 400);
  t.equal((await runCli(skip, undefined, KEY)).code, 1);
  const again = await runCli(skip, undefined, KEY);
  t.equal(again.code, 0);
  t.match(again.stdout.toString(), 'replay: 1000 spans: 0 sent, 0 rejected, 750 already sent before, 250 rejected before and skipped');
});

t.test('two targets from one history keep two progress records, under the data dir', async (t) => {
  const a = await fakeLangtrace({ key: 'LK' });
  const b = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  const { dir, file } = oneFile(1200);
  const cwd = mkdtempSync(join(tmpdir(), 'tb-cwd-'));
  const data = join(dir, 'data');
  const to = (url: string) => ['replay', '--to', 'langtrace', url, '--data-dir', data, file];
  t.equal((await runCli(to(a.url), undefined, KEY, cwd)).code, 0);
  t.equal((await runCli(to(b.url), undefined, KEY, cwd)).code, 0);
  const again = await runCli(to(a.url), undefined, KEY, cwd);
  t.match(again.stdout.toString(), 'replay: 1200 spans: 0 sent, 0 rejected, 1200 already sent before', "the first target's progress survives the second's");
  t.same([a.spans().length, b.spans().length], [1200, 1200]);
  t.same(readdirSync(cwd), [], 'nothing written to the current folder');
  t.ok(existsSync(join(data, 'replay-checkpoint.json')), 'the checkpoint is under the data dir');
});
