// `tracebridge validate`: the configuration serve would run with (flags, environment, YAML),
// shown with keys hidden and exit 0; or one line per problem, a typo naming the known key, exit 2.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const file = (text: string) => {
  const p = join(mkdtempSync(join(tmpdir(), 'tb-validate-')), 'tracebridge.yaml');
  writeFileSync(p, text);
  return p;
};

const problemLines = (stderr: string) => stderr.split('\n').filter(Boolean);

t.test('a good configuration: upstreams resolved, keys never shown, exit 0', async (t) => {
  const config = file(`listen: 127.0.0.1:4999
upstreams:
  - name: weave
    type: weave
    url: https://trace.wandb.ai
    project: team/proj
  - name: phoenix
    type: otlp
    url: http://phoenix.internal:6006
    convention: phoenix
    auth: { mode: static, key: "\${PHOENIX_KEY}" }
`);
  const r = await runCli(['validate', '--config', config, '--langtrace', 'https://app.langtrace.ai'], undefined, {
    WANDB_API_KEY: 'wandb-secret-1234',
    LANGTRACE_API_KEY: 'lt-secret-5678',
    PHOENIX_KEY: 'phx-secret-9012',
    TRACEBRIDGE_INBOUND_KEYS: 'inbound-secret-3456',
  });
  t.equal(r.code, 0, r.stderr);
  const out = r.stdout.toString();
  t.match(out, /listen 127\.0\.0\.1:4999/);
  t.match(out, /grpcListen off/, 'TRACEBRIDGE_GRPC_LISTEN from the environment, as serve reads it');
  t.match(out, /upstream weave \(weave\): https:\/\/trace\.wandb\.ai\/otel\/v1\/traces, profile weave, auth auto, key set \(hidden\), project team\/proj/);
  t.match(
    out,
    /upstream phoenix \(otlp\): http:\/\/phoenix\.internal:6006\/v1\/traces, profile openinference, auth static, key set/,
    'phoenix is OpenInference; the base URL gets /v1/traces',
  );
  t.match(out, /upstream langtrace \(langtrace\): https:\/\/app\.langtrace\.ai\/api\/trace/, 'a flag adds its upstream');
  t.match(out, /inboundKeys 1 \(hidden\)/);
  for (const secret of ['wandb-secret', 'lt-secret', 'phx-secret', 'inbound-secret']) t.notMatch(out + r.stderr, secret, `${secret} not printed`);
});

t.test('typos name the nearest known key, one line per problem, exit 2', async (t) => {
  const config = file(`datadir: ./data
listen: 127.0.0.1:4318
upstreams:
  - name: w
    type: weeve
    url: https://trace.wandb.ai
    auht: { mode: static }
`);
  const r = await runCli(['validate', '--config', config]);
  t.equal(r.code, 2);
  const lines = problemLines(r.stderr);
  t.equal(lines.length, 3, r.stderr);
  t.ok(
    lines.some((l) => /datadir: unknown key; did you mean dataDir\?/.test(l)),
    'datadir → dataDir',
  );
  t.ok(
    lines.some((l) => /upstreams\.0\.auht: unknown key; did you mean auth\?/.test(l)),
    'nested keys too',
  );
  t.ok(
    lines.some((l) => /upstreams\.0\.type: "weeve" is not one of weave, langtrace, otlp, sink; did you mean weave\?/.test(l)),
    'a mistyped value too',
  );
  t.ok(
    lines.every((l) => l.startsWith('tracebridge: ')),
    'each line stands alone',
  );
  t.equal(r.stdout.length, 0);
});

t.test('a bad URL is one line; broken YAML is one line; serve says the same', async (t) => {
  const badUrl = file('upstreams:\n  - name: w\n    type: weave\n    url: not a url\n');
  const v = await runCli(['validate', '--config', badUrl]);
  t.equal(v.code, 2);
  t.same(problemLines(v.stderr).length, 1, v.stderr);
  t.match(v.stderr, /upstreams\.0\.url: expected an http\(s\) URL/);
  const s = await runCli(['serve', '--config', badUrl]);
  t.equal(s.code, 2);
  t.equal(s.stderr, v.stderr, 'serve prints the very same lines');
  const broken = file('upstreams: [\n  name: x\n');
  const b = await runCli(['validate', '--config', broken]);
  t.equal(b.code, 2);
  t.match(b.stderr, /is not valid YAML/);
  const flag = await runCli(['validate', '--listen', 'nowhere']);
  t.equal(flag.code, 2);
  t.match(flag.stderr, /^tracebridge: config: listen: expected HOST:PORT/);
});

t.test('an upstream that is tracebridge itself is refused, by validate and serve', async (t) => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318', TRACEBRIDGE_GRPC_LISTEN: '' };
  const v = await runCli(['validate'], undefined, env);
  t.equal(v.code, 2);
  t.match(v.stderr, /upstream "otlp" \(http:\/\/localhost:4318\) is tracebridge's own OTLP\/HTTP receiver \(127\.0\.0\.1:4318\)/);
  t.match(v.stderr, /OTEL_EXPORTER_OTLP_ENDPOINT is what your apps use to reach tracebridge/);
  const s = await runCli(['serve'], undefined, env);
  t.equal(s.code, 2, 'refused before listening');
  t.equal(s.stderr, v.stderr);
  const other = await runCli(['validate', '--listen', '127.0.0.1:4999'], undefined, env);
  t.equal(other.code, 0, 'another port is another process');
});
