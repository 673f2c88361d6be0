// The README's three examples (drop-in, dual-write, migration) are the scripts in examples/,
// shown verbatim; here each runs against loopback backends.
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI } from './helpers/cli.js';
import { fakeLangtrace, fakeWeave, langtraceSees, weaveSees } from './helpers/upstreams.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs an example with `tracebridge` on PATH, as after `npm install -g tracebridge`. */
async function run(name: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const bin = mkdtempSync(join(tmpdir(), 'tb-bin-'));
  writeFileSync(join(bin, 'tracebridge'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'tracebridge'), 0o755);
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-example-'));
  const child = spawn('bash', [join(ROOT, 'examples', name)], {
    cwd: ROOT,
    env: {
      ...process.env,
      TRACEBRIDGE_GRPC_LISTEN: 'off',
      PATH: `${bin}:${process.env.PATH}`,
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      CHECKPOINT: join(dataDir, 'cp.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  return { code, out };
}

for (const name of ['drop-in.sh', 'dual-write.sh', 'migrate.sh']) {
  t.test(`README shows examples/${name} verbatim`, async (t) => {
    const body = readFileSync(join(ROOT, 'examples', name), 'utf8')
      .split('\n')
      .slice(1)
      .join('\n')
      .trim();
    t.ok(readme.includes(body), 'the README has the script as it is tested');
  });
}

t.test('drop-in: a Weave-style request reaches Langtrace with the same key', async (t) => {
  const langtrace = await fakeLangtrace({ key: 'user-key' });
  t.teardown(() => langtrace.close());
  const r = await run('drop-in.sh', { LANGTRACE_URL: langtrace.url, LANGTRACE_API_KEY: 'user-key' });
  t.equal(r.code, 0, r.out);
  const [span] = await langtrace.waitForSpans(1);
  t.equal(langtrace.accepted[0].headers['x-api-key'], 'user-key');
  t.equal(langtraceSees(span).model, 'gpt-4');
});

t.test('dual-write: both backends, each with its own key', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  const r = await run('dual-write.sh', { WEAVE_URL: weave.url, LANGTRACE_URL: langtrace.url, WANDB_API_KEY: 'W', LANGTRACE_API_KEY: 'L' });
  t.equal(r.code, 0, r.out);
  const [[w], [l]] = await Promise.all([weave.waitForSpans(1), langtrace.waitForSpans(1)]);
  t.equal(weaveSees(w).model, 'gpt-4');
  t.equal(langtraceSees(l).model, 'gpt-4');
  t.notOk(JSON.stringify(weave.hits.map((h) => h.headers)).includes('my-client-key'));
});

t.test('an example without its keys stops at once, naming the variable', async (t) => {
  const r = await run('dual-write.sh', { WANDB_API_KEY: '', LANGTRACE_API_KEY: '' });
  t.not(r.code, 0);
  t.match(r.out, /WANDB_API_KEY: set WANDB_API_KEY to your W&B API key/);
  const d = await run('drop-in.sh', { LANGTRACE_API_KEY: '' });
  t.match(d.out, /LANGTRACE_API_KEY: set LANGTRACE_API_KEY/);
  // tracebridge itself refusing to start (a placeholder key): the script ends, it does not wait forever.
  const bad = await run('dual-write.sh', { WANDB_API_KEY: 'replace-me', LANGTRACE_API_KEY: 'L', WEAVE_URL: 'http://127.0.0.1:9', LANGTRACE_URL: 'http://127.0.0.1:9' });
  t.equal(bad.code, 1);
  t.match(bad.out, /a placeholder[\s\S]*tracebridge exited/);
});

t.test('migration: history replayed into Weave, then inspected', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  t.teardown(() => weave.close());
  const r = await run('migrate.sh', { WEAVE_URL: weave.url, WANDB_API_KEY: 'W' });
  t.equal(r.code, 0, r.out);
  t.match(r.out, /replay: 1 spans: 1 sent, 0 rejected, 0 already sent before/);
  t.match(r.out, /Weave: {5}llm span; model gpt-4/);
  t.equal(weave.spans().length, 1);
  t.equal(weave.accepted[0].headers['project_id'], 'my-team/history');
});
