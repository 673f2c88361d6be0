// Ctrl-C at random points across 20 runs of `tracebridge replay`, each with another --batch:
// counted by span id at a loopback stand-in, no span is lost or sent twice.
import t from 'tap';
import { join } from 'node:path';
import { runCli, startCli } from '../helpers/cli.js';
import { duplicates, fakeLangtrace } from '../helpers/upstreams.js';
import { waitFor } from '../helpers/wait.js';
import { oneFile, unique } from './history.js';

const KEY = { LANGTRACE_API_KEY: 'LK' };
const RUNS = 20;

t.setTimeout(240_000);

t.test('Ctrl-C at many points across repeated runs: no span lost or sent twice', async (t) => {
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => langtrace.close());
  langtrace.delayMs = 15; // requests are on the wire when the signal comes
  const { dir, file } = oneFile(15_000);
  const args = (batch: string, rate = '3000') => ['replay', '--to', 'langtrace', langtrace.url, '--data-dir', join(dir, 'data'), '--rate', rate, '--batch', batch, file];
  const batches = ['70', '100', '250', '500', '33'];
  let interrupted = 0;
  for (let i = 0; i < RUNS; i++) {
    const before = langtrace.received;
    const run = startCli(args(batches[i % batches.length]), KEY);
    let ended = false;
    void run.exited.then(() => (ended = true));
    // Once it is sending (so its Ctrl-C handler is in place), at a random point.
    await waitFor(() => langtrace.received > before || ended, 10_000, 'the run sending');
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
    run.child.kill('SIGINT');
    const code = await run.exited;
    if (code === 130) interrupted++;
    t.ok(code === 130 || code === 0, `run ${i + 1} ended with ${code}`);
  }
  t.ok(interrupted >= RUNS / 2, `${interrupted} of ${RUNS} runs interrupted while sending`);
  t.ok(unique(langtrace.spans()) < 15_000, 'the interrupted runs left some to send');
  const last = await runCli(args('500', '1000000'), undefined, KEY);
  t.equal(last.code, 0, last.stderr);
  t.equal(unique(langtrace.spans()), 15_000, 'every span arrived');
  t.equal(duplicates(langtrace.spans()), 0, 'none twice');
});
