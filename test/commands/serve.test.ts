// `tracebridge serve` as a user runs it: the listening line, the local sink, clear start-up
// errors, a clean stop on SIGTERM, a reload on SIGHUP, taken ports and loops.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { runCli, spawnServe, startCli } from '../helpers/cli.js';
import { until, waitFor } from '../helpers/wait.js';

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

/** A loopback OTLP backend that answers 200 and keeps each request's headers. */
async function capture(answer?: (req: IncomingMessage, body: Buffer) => Promise<number>) {
  const seen: Array<IncomingMessage['headers']> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      seen.push(req.headers);
      const status = answer ? await answer(req, Buffer.concat(chunks)) : 200;
      res.writeHead(status, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  return { url, seen, close };
}

let spanNo = 0;
/** One OTLP/JSON request with a span of its own (no two alike, so none is taken for a retry). */
function post(url: string, headers: Record<string, string> = {}): Promise<number> {
  const spanId = (++spanNo).toString(16).padStart(16, '0');
  const span = {
    traceId: 'ab'.repeat(16),
    spanId,
    name: 'chat',
    kind: 1,
    startTimeUnixNano: '1',
    endTimeUnixNano: '2',
    attributes: [{ key: 'gen_ai.system', value: { stringValue: 'openai' } }],
  };
  const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 't' }, spans: [span] }] }] });
  return fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then((r) => r.status);
}

const yaml = (dataDir: string, upstream: string, key: string) =>
  `listen: 127.0.0.1:0\ndataDir: ${dataDir}\nupstreams:\n  - name: up\n    type: otlp\n    url: ${upstream}\n    auth: { mode: static, key: ${key} }\n`;

t.test('SIGHUP reloads the upstream key while traffic flows; a broken file keeps the running config', async (t) => {
  const up = await capture();
  t.teardown(up.close);
  const dir = mkdtempSync(join(tmpdir(), 'tb-serve-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, yaml(join(dir, 'data'), up.url, 'key-one'));
  const p = start(['--config', file]);
  t.teardown(p.stop);
  const url = await p.url;
  const statuses: number[] = [];
  let flowing = true;
  const traffic = (async () => {
    while (flowing) statuses.push(await post(url));
  })();
  const auth = () => up.seen.map((h) => h.authorization);
  await waitFor(() => auth().includes('Bearer key-one'), 30_000, 'the first key used');
  writeFileSync(file, yaml(join(dir, 'data'), up.url, 'key-two'));
  p.child.kill('SIGHUP');
  await waitFor(() => p.output().includes('"msg":"configuration reloaded"'), 30_000, 'the reload logged');
  const from = up.seen.length;
  await waitFor(() => up.seen.length > from + 5, 30_000, 'more requests after the reload');
  t.ok(
    auth()
      .slice(from + 1)
      .every((a) => a === 'Bearer key-two'),
    'the new key used after the reload',
  );
  t.match(p.output(), /"changed":\["upstream up keys"\]/);
  // A broken file: logged, the running configuration kept, the process still serving.
  writeFileSync(file, 'upstreams: [\n  name: x\n');
  p.child.kill('SIGHUP');
  await waitFor(() => p.output().includes('configuration not reloaded: keeping the one running'), 30_000, 'the failed reload logged');
  t.match(p.output(), /is not valid YAML/);
  const before = up.seen.length;
  await waitFor(() => up.seen.length > before + 3, 30_000, 'traffic still delivered');
  flowing = false;
  await traffic;
  t.equal(p.child.exitCode, null, 'SIGHUP never stops the process');
  t.ok(statuses.length > 10, `${statuses.length} requests sent`);
  t.same([...new Set(statuses)], [200], 'no request refused across both reloads');
  t.equal(auth().at(-1), 'Bearer key-two', 'the key of the last good config');
  t.notMatch(p.output(), /key-one|key-two/, 'no key logged');
});

t.test('a taken port names the receiver, the port and the flag, and nothing starts', async (t) => {
  const blocker = createNetServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as AddressInfo).port;
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-serve-'));
  const grpc = startCli(['serve', '--listen', '127.0.0.1:0', '--grpc-listen', `127.0.0.1:${port}`, '--data-dir', dataDir]);
  t.equal(await grpc.exited, 2);
  t.equal(
    grpc.stderr(),
    `tracebridge: the OTLP/gRPC receiver cannot listen on 127.0.0.1:${port}: the port is in use; move it with --grpc-listen HOST:PORT or turn it off with --grpc-listen off\n`,
  );
  t.notMatch(grpc.stdout(), /listening/, 'HTTP never started either');
  const http = startCli(['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir]);
  t.equal(await http.exited, 2);
  t.match(http.stderr(), new RegExp(`the OTLP/HTTP receiver cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use; move it with --listen HOST:PORT\\n$`));
});

t.test('a request that comes back to the tracebridge that sent it is refused (508)', async (t) => {
  let target = '';
  const answers: number[] = [];
  // A relay in front of tracebridge (a Service, a proxy): tracebridge's upstream leads back to it.
  const relay = await capture(async (req, body) => {
    const res = await fetch(`${target}${req.url}`, { method: 'POST', headers: req.headers as Record<string, string>, body }).catch(() => undefined);
    answers.push(res?.status ?? 502);
    return res?.status ?? 502;
  });
  t.teardown(relay.close);
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-serve-'));
  const p = start(['--listen', '127.0.0.1:0', '--otlp', relay.url, '--data-dir', dataDir]);
  t.teardown(p.stop);
  target = await p.url;
  t.equal(await post(target), 200);
  await waitFor(() => answers.length > 0, 30_000, 'the copy came back');
  t.equal(answers[0], 508, 'refused on its way back');
  t.match(relay.seen[0]['x-tracebridge-hop'], /^[\w-]{8}$/, 'the hop header carries the instance id');
  await waitFor(() => p.output().includes('upstream rejected a batch; not retried'), 30_000, 'the refusal logged');
  t.equal(relay.seen.length, 1, 'the batch went round once, not again and again');
  t.equal(await post(target, { 'x-tracebridge-hop': 'another-instance' }), 200, "another tracebridge's id passes");
});

t.test('start-up says where batches go without an upstream, and the sink is rotated', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-serve-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, `listen: 0.0.0.0:0\ndataDir: ${join(dir, 'data')}\nsinkMaxBytes: 2000\n`);
  const p = start(['--config', file, '--grpc-listen', '0.0.0.0:0']);
  t.teardown(p.stop);
  const url = (await p.url).replace('0.0.0.0', '127.0.0.1');
  await waitFor(() => p.output().includes('no upstream configured: batches go to the local sink'), 10_000, 'the sink warning');
  t.match(p.output(), /"listen":\["0\.0\.0\.0:0","0\.0\.0\.0:0"\],"msg":"no inbound keys/, 'the open-port warning names both receivers');
  const sink = join(dir, 'data', 'sink', 'weave.jsonl');
  for (let i = 0; i < 10 && !existsSync(`${sink}.1`); i++) {
    t.equal(await post(url), 200);
    await waitFor(() => existsSync(sink) || existsSync(`${sink}.1`), 10_000, 'the sink written');
    await until(() => existsSync(`${sink}.1`), 1500);
  }
  t.ok(existsSync(`${sink}.1`), 'rotated to .1 past sinkMaxBytes');
});

t.test('serve --help names every flag with its environment variable, and every variable read', async (t) => {
  const help = (await runCli(['serve', '--help'])).stdout.toString();
  const flags = ['config', 'listen', 'grpc-listen', 'weave', 'weave-project', 'langtrace', 'otlp', 'otlp-traces-url', 'data-dir', 'ack', 'workers', 'log-level', 'log-format'];
  for (const f of flags) {
    const line = help.split('\n').find((l) => l.trimStart().startsWith(`--${f} `));
    t.ok(line, `--${f} listed`);
    t.match(
      help.slice(help.indexOf(line!)),
      new RegExp(`^[^\\n]*(\\n {30,}[^\\n]*)?\\[[^\\]]*TRACEBRIDGE_${f.toUpperCase().replace(/-/g, '_')}`),
      `--${f} with TRACEBRIDGE_${f.toUpperCase().replace(/-/g, '_')}`,
    );
    const v = await runCli(['validate', `--${f}`, '']);
    t.notMatch(v.stderr, /unknown option/, `--${f} is taken by serve's options`);
  }
  // Every variable the configuration reads is in the help.
  const source = readFileSync(new URL('../../src/config/load.ts', import.meta.url), 'utf8');
  const read = new Set([...source.matchAll(/\b((?:TRACEBRIDGE|OTEL_EXPORTER_OTLP)_[A-Z_]+|WANDB_API_KEY|LANGTRACE_API_KEY)\b/g)].map((m) => m[1]));
  for (const name of read) t.ok(help.includes(name) || help.includes(name.replace('OTEL_EXPORTER_OTLP_TRACES_', '…_TRACES_')), `${name} in the help`);
});
