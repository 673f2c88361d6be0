// `tracebridge migrate` resumes exactly: interrupted with Ctrl-C at several points, with another
// --batch each time, then run to the end, every call arrives once (counted by span id at the
// stand-in); a refused batch is sent again by the next run; a re-run sends nothing.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli } from '../helpers/cli.js';
import { duplicates, fakeLangtrace, fakeWeave } from '../helpers/upstreams.js';
import { fakeLangtraceHistory, fakeWeaveHistory, langtraceTraces, weaveCalls } from '../helpers/history-sources.js';
import { waitFor } from '../helpers/wait.js';
import { unique } from './history.js';

const KEYS = { WANDB_API_KEY: 'WK', LANGTRACE_API_KEY: 'LK', TRACEBRIDGE_WEAVE_PROJECT: '' };
const data = () => join(mkdtempSync(join(tmpdir(), 'tb-migrate-')), 'data');

t.setTimeout(120_000);

t.test('Weave → Langtrace interrupted at several points, then resumed: every call once', async (t) => {
  const weave = await fakeWeaveHistory({ key: 'WK', project: 'team/proj', calls: weaveCalls(150) });
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  langtrace.delayMs = 10; // requests are on the wire when the signal comes
  const dir = data();
  const args = (batch: string, rate = '400') => [
    'migrate',
    '--from',
    'weave',
    weave.url,
    '--project',
    'team/proj',
    '--to',
    'langtrace',
    langtrace.url,
    '--data-dir',
    dir,
    '--batch',
    batch,
    '--rate',
    rate,
  ];
  let interrupted = 0;
  for (const [i, batch] of ['25', '60', '7', '100'].entries()) {
    const before = langtrace.spans().length;
    const run = startCli(args(batch), KEYS);
    let ended = false;
    void run.exited.then(() => (ended = true));
    await waitFor(() => langtrace.spans().length >= before + 40 || ended, 20_000, 'the run sending');
    run.child.kill('SIGINT');
    const code = await run.exited;
    if (code === 130) interrupted++;
    t.ok(code === 130 || code === 0, `run ${i + 1} ended with ${code}`);
    if (code === 130) t.match(run.stdout(), /; interrupted: run the same command again to continue/);
  }
  t.ok(interrupted >= 3, `${interrupted} of 4 runs interrupted while sending`);
  t.ok(unique(langtrace.spans()) < 600, 'the interrupted runs left some to send');
  const last = await runCli(args('500', '100000'), undefined, KEYS);
  t.equal(last.code, 0, last.stderr);
  t.equal(unique(langtrace.spans()), 600, 'all 600 calls arrived');
  t.equal(duplicates(langtrace.spans()), 0, 'none twice');
  const queries = weave.queries.length;
  const again = await runCli(args('50'), undefined, KEYS);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout.toString(), 'migrate: Weave project team/proj: 0 spans read: 0 sent, 0 rejected, 0 already sent before');
  t.equal(weave.queries.length, queries + 1, 'a re-run reads one page past what was done');
  t.equal(langtrace.spans().length, 600, 'and sends nothing');
});

t.test('Langtrace → Weave interrupted once, then resumed: every span once', async (t) => {
  const source = await fakeLangtraceHistory({ key: 'LK', projectId: 'proj-1', traces: langtraceTraces(90) });
  const weave = await fakeWeave({ key: 'WK' });
  t.teardown(() => Promise.all([source.close(), weave.close()]));
  const dir = data();
  const args = [
    'migrate',
    '--from',
    'langtrace',
    source.url,
    '--project',
    'proj-1',
    '--to',
    'weave',
    weave.url,
    '--weave-project',
    'team/moved',
    '--data-dir',
    dir,
    '--batch',
    '10',
    '--rate',
    '150',
  ];
  const run = startCli(args, KEYS);
  await weave.waitForSpans(30);
  run.child.kill('SIGINT');
  t.equal(await run.exited, 130);
  const first = unique(weave.spans());
  t.ok(first < 180, `interrupted after ${first} spans`);
  const second = await runCli(args, undefined, KEYS);
  t.equal(second.code, 0, second.stderr);
  t.equal(unique(weave.spans()), 180);
  t.equal(duplicates(weave.spans()), 0);
});

t.test('a refused batch is sent again by the next run; the cursor stays before its page', async (t) => {
  const weave = await fakeWeaveHistory({ key: 'WK', project: 'team/proj', calls: weaveCalls(120) });
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  const args = ['migrate', '--from', 'weave', weave.url, '--project', 'team/proj', '--to', 'langtrace', langtrace.url, '--data-dir', data(), '--batch', '100'];
  langtrace.failNext(1, 400);
  const first = await runCli(args, undefined, KEYS);
  t.equal(first.code, 1, 'exit 1: some rejected');
  t.match(first.stdout.toString(), '480 spans read: 380 sent, 100 rejected (100 HTTP 400), 0 already sent before');
  const second = await runCli(args, undefined, KEYS);
  t.equal(second.code, 0, second.stderr);
  t.match(second.stdout.toString(), '480 spans read: 100 sent, 0 rejected, 380 already sent before');
  t.equal(unique(langtrace.spans()), 480);
  t.equal(duplicates(langtrace.spans()), 0);
  const third = await runCli(args, undefined, KEYS);
  t.match(third.stdout.toString(), '0 spans read: 0 sent');
});

t.test('--since/--until: a started_at query, and the exact edges applied to each call', async (t) => {
  const weave = await fakeWeaveHistory({ key: 'WK', project: 'team/proj', calls: weaveCalls(120) });
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  // Traces start a second apart from 10:00:00, their calls at +0, 10, 20 and 600 ms:
  // [10:00:10.5, 10:00:30) holds traces 11 to 29 and the last call of trace 10.
  const args = ['migrate', '--from', 'weave', weave.url, '--project', 'team/proj', '--to', 'langtrace', langtrace.url, '--data-dir', data()];
  const run = await runCli([...args, '--since', '2025-03-01T10:00:10.5Z', '--until', '2025-03-01T10:00:30Z'], undefined, KEYS);
  t.equal(run.code, 0, run.stderr);
  t.same(weave.queries[0].body.query, {
    $expr: { $and: [{ $gte: [{ $getField: 'started_at' }, { $literal: 1740823210 }] }, { $not: [{ $gte: [{ $getField: 'started_at' }, { $literal: 1740823230 }] }] }] },
  });
  t.equal(unique(langtrace.spans()), 19 * 4 + 1, 'traces 11–29 whole, and the one call of trace 10 that starts after 10.5 s');
});
