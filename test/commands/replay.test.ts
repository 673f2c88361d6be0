// `tracebridge replay`: a few thousand spans from exported files into a loopback backend,
// interrupted and resumed, end with every span delivered once.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, runCli, track } from '../helpers/cli.js';
import { fakeLangtrace, fakeWeave, duplicates, langtraceSees } from '../helpers/upstreams.js';
import { requestsOf } from '../../src/commands/replay.js';
import { waitFor } from '../helpers/wait.js';
import { exportDir, history } from './history.js';

t.test('requests keep grouping and the size cap, and leave out what was sent', async (t) => {
  const parts = requestsOf([history(1, 1234)], 500);
  t.same(
    parts.map((r) => r.batch.resourceSpans[0].scopeSpans[0].spans.length),
    [500, 500, 234],
  );
  t.same(
    parts[2].positions,
    Array.from({ length: 234 }, (_, i) => 1000 + i),
    'each span by its place in the file',
  );
  const rest = requestsOf([history(1, 10)], 4, (i) => i < 3 || i === 6);
  t.same(
    rest.map((r) => r.positions),
    [
      [3, 4, 5, 7],
      [8, 9],
    ],
  );
  t.same(
    rest[0].batch.resourceSpans[0].scopeSpans[0].spans.map((s) => s.spanId),
    ['4', '5', '6', '8'].map((n) => n.padStart(16, '0')),
  );
});

t.test('interrupted with SIGINT, resumed: every span delivered once', async (t) => {
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => langtrace.close());
  const dir = exportDir();
  const checkpoint = join(dir, 'cp.json');
  const args = ['replay', '--to', 'langtrace', langtrace.url, '--batch', '100', '--checkpoint', checkpoint, '--rate', '3000', join(dir, 'export')];
  const child = track(spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LANGTRACE_API_KEY: 'LK' }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  await langtrace.waitForSpans(600);
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('exit', r));
  t.equal(code, 130, 'exit 130 when interrupted');
  t.match(out, /interrupted: run the same command again to continue/);
  t.match(err, /^replay: [\d,]+\/3,500 spans \(\d+%\), [\d,]+ spans\/s, ETA \d+s$/m, 'plain progress lines when not a terminal');
  const firstRun = langtrace.spans().length;
  t.ok(firstRun < 3500, `stopped part-way (${firstRun} spans)`);

  const second = await runCli(args, undefined, { LANGTRACE_API_KEY: 'LK' });
  t.equal(second.code, 0, second.stderr);
  t.match(second.stdout.toString(), new RegExp(`replay: 3500 spans: ${3500 - firstRun} sent, 0 rejected, ${firstRun} already sent before`));
  t.equal(langtrace.spans().length, 3500, 'all 3,500 spans');
  t.equal(duplicates(langtrace.spans()), 0, 'none twice');
  t.equal(langtrace.accepted[0].headers['x-api-key'], 'LK');
  const view = langtraceSees(langtrace.spans()[0]);
  t.equal(view.model, 'gpt-4', 'translated for Langtrace');
  t.same(view.usage, { input: 10, output: 5, total: 15 });
});

t.test('a summary with rejections and their reasons', async (t) => {
  const weave = await fakeWeave({ key: 'WK' });
  t.teardown(() => weave.close());
  const dir = exportDir();
  weave.failNext(2, 400);
  const r = await runCli([
    'replay',
    '--to',
    'weave',
    weave.url,
    '--key',
    'WK',
    '--weave-project',
    'me/history',
    '--batch',
    '500',
    '--checkpoint',
    join(dir, 'cp.json'),
    join(dir, 'export', 'a.pb'),
  ]);
  t.equal(r.code, 1, 'exit 1 when something was rejected');
  t.match(r.stdout.toString(), /replay: 1000 spans: 0 sent, 1000 rejected \(1000 HTTP 400\), 0 already sent before/);
  const bad = await runCli(['replay', '--to', 'honeycomb', weave.url, dir]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /replay needs --to weave, langtrace or otlp/);
});

t.test('an unreachable backend: a line within seconds, and Ctrl-C stops within two', async (t) => {
  const { createServer } = await import('node:net');
  // A port with nothing listening: every connection refused.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const dir = exportDir();
  const checkpoint = join(dir, 'cp.json');
  const child = track(
    spawn(process.execPath, [CLI, 'replay', '--to', 'langtrace', `http://127.0.0.1:${port}`, '--checkpoint', checkpoint, join(dir, 'export', 'a.pb')], {
      env: { ...process.env, LANGTRACE_API_KEY: 'LK' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await waitFor(() => /failed \(.*ECONNREFUSED.*\), attempt 1; next try in [\d.]+ s/.test(err), 20_000, 'a line saying the backend cannot be reached');
  t.pass('the failure is shown, with the attempt and the next try');
  const sent = Date.now();
  child.kill('SIGINT');
  t.equal(await exit, 130, 'exit 130');
  t.ok(Date.now() - sent < 5000, `stopped ${Date.now() - sent} ms after Ctrl-C`);
  t.ok(existsSync(checkpoint), 'checkpoint saved');
});
