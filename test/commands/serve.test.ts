// `tracebridge serve` as a user runs it: the listening line, the local sink, clear start-up
// errors, and a clean stop on SIGTERM.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnServe } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const start = spawnServe;

t.test('no upstream: the local sink shows the translation, with no accounts', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-serve-'));
  const p = start(['--listen', '127.0.0.1:0', '--data-dir', dataDir]);
  t.teardown(() => void p.child.kill('SIGKILL'));
  const url = await p.url;
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'the real port, not 0');
  const res = await fetch(`${url}/api/trace`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'anything' },
    body: readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url)),
  });
  t.equal(res.status, 200);
  await waitFor(
    () => existsSync(join(dataDir, 'sink', 'langtrace.jsonl')) && readFileSync(join(dataDir, 'sink', 'langtrace.jsonl'), 'utf8').endsWith('\n'),
    30_000,
    'the sink written',
  );
  const weave = JSON.parse(readFileSync(join(dataDir, 'sink', 'weave.jsonl'), 'utf8').trim());
  const keys = weave.resourceSpans[0].scopeSpans[0].spans[0].attributes.map((a: { key: string }) => a.key);
  t.ok(keys.includes('gen_ai.prompt') && keys.includes('gen_ai.usage.input_tokens'), 'as Weave would receive it');
  const [lt] = JSON.parse(readFileSync(join(dataDir, 'sink', 'langtrace.jsonl'), 'utf8').trim());
  t.equal(lt.attributes['langtrace.service.name'], 'openai', 'as Langtrace would receive it');
  // The log line follows the translation, which may finish after the sink has the batch.
  await waitFor(() => p.output().includes('"msg":"batch received"'), 30_000, 'the batch logged');
  t.match(p.output(), /"msg":"batch received"/);
  t.match(p.output(), /"conventions":\{"langtrace-docs":1\}/, 'one log line per batch, with the detected convention');
  t.notMatch(p.output(), /anything/, 'the key is not logged');
  p.child.kill('SIGTERM');
  t.equal(await p.exited, 0, 'SIGTERM stops it cleanly');
});

t.test('start-up errors are clear and exit 2', async (t) => {
  const bad = await runCli(['serve', '--listen', 'nowhere']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /listen: expected HOST:PORT/);
  const dir = mkdtempSync(join(tmpdir(), 'tb-serve-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'upstreams:\n  - name: w\n    type: weave\n    url: not a url\n');
  const r = await runCli(['serve', '--config', file]);
  t.equal(r.code, 2);
  t.match(r.stderr, /upstreams\.0\.url: expected an http\(s\) URL/);
  const dual = await runCli(['serve', '--weave', 'http://127.0.0.1:9', '--langtrace', 'http://127.0.0.1:9', '--weave-project', 'a/b'], undefined, { WANDB_API_KEY: 'w' });
  t.equal(dual.code, 2);
  t.match(dual.stderr, /upstream "langtrace" has no key of its own: set LANGTRACE_API_KEY/);
  const missing = await runCli(['serve', '--config', join(dir, 'nope.yaml')]);
  t.match(missing.stderr, /cannot read config file .*nope\.yaml: ENOENT/);
});
