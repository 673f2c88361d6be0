// Configuration as OpenTelemetry users write it: ${ENV} in the YAML, OTEL_EXPORTER_OTLP_* for an
// otlp upstream, and start-up errors for what would fail later (placeholder keys).
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError, parseOtelHeaders } from '../../src/config/load.js';

const file = (text: string) => {
  const p = join(mkdtempSync(join(tmpdir(), 'tb-config-')), 'tracebridge.yaml');
  writeFileSync(p, text);
  return p;
};

t.test('${VAR}, ${VAR:-default} and ${env:VAR} in the YAML', async (t) => {
  const config = file(`# a comment may say \${NOT_SET}
listen: \${LISTEN:-127.0.0.1:4999}
upstreams:
  - name: backend
    type: otlp
    url: \${env:BACKEND_URL}
    auth: { mode: static, key: "\${BACKEND_KEY}" }
    headers: { x-literal: "$\${KEEP}" }
`);
  const c = loadConfig({ config }, { BACKEND_URL: 'http://127.0.0.1:9999', BACKEND_KEY: 'k-123' });
  t.same(c.listen, { host: '127.0.0.1', port: 4999 }, 'default used');
  t.equal(c.upstreams[0].url, 'http://127.0.0.1:9999/v1/traces', '${env:VAR}, as the Collector writes it');
  t.equal(c.upstreams[0].auth.key, 'k-123', 'a key from the environment, not the file');
  t.equal(c.upstreams[0].headers['x-literal'], '${KEEP}', '$${…} stays literal');
  t.throws(() => loadConfig({ config }, { BACKEND_URL: 'http://127.0.0.1:9999' }), /\$\{BACKEND_KEY\} is not set/, 'an unset variable is named');
});

t.test('OTEL_EXPORTER_OTLP_* configure an otlp upstream the way the OTel SDKs read them', async (t) => {
  const c = loadConfig(
    {},
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=abc%20def,Authorization=Bearer%20tok',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
    },
  );
  const u = c.upstreams[0];
  t.same([u.type, u.url], ['otlp', 'http://collector:4318/v1/traces'], 'the base endpoint gets /v1/traces');
  t.same(u.headers, { 'x-honeycomb-team': 'abc def', authorization: 'Bearer tok' }, 'headers percent-decoded');
  t.equal(u.auth.mode, 'none', 'the headers carry the credential');
  t.equal(u.gzip, false);
  t.equal(u.timeoutMs, 2500);
  const traces = loadConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom' });
  t.equal(traces.upstreams[0].url, 'http://b:4318/custom', 'the traces endpoint is used as given');
  t.throws(() => loadConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }), /expected gzip or none/);
  t.same(parseOtelHeaders('a=1,,b=x%3Dy'), { a: '1', b: 'x=y' });
});

t.test('placeholder keys stop start-up', async (t) => {
  for (const key of ['replace-me', 'changeme', '<your-key>', 'xxxx'])
    t.throws(() => loadConfig({}, { TRACEBRIDGE_LANGTRACE_URL: 'http://127.0.0.1:1', LANGTRACE_API_KEY: key }), ConfigError, `"${key}" refused`);
  t.throws(() => loadConfig({}, { TRACEBRIDGE_INBOUND_KEYS: 'replace-me' }), /a placeholder/);
  t.doesNotThrow(() => loadConfig({}, { TRACEBRIDGE_LANGTRACE_URL: 'http://127.0.0.1:1', LANGTRACE_API_KEY: 'lt-4f9a2c' }));
});

t.test("both receivers bind loopback by default; gRPC follows --listen's host", async (t) => {
  const c = loadConfig({}, {});
  t.same(
    [c.listen, c.grpcListen],
    [
      { host: '127.0.0.1', port: 4318 },
      { host: '127.0.0.1', port: 4317 },
    ],
  );
  t.same(loadConfig({ listen: '0.0.0.0:4318' }, {}).grpcListen, { host: '0.0.0.0', port: 4317 }, 'only --listen given: its host');
  t.same(loadConfig({}, { TRACEBRIDGE_LISTEN: '[::1]:9000' }).grpcListen, { host: '::1', port: 4317 }, 'from the environment too');
  t.same(loadConfig({ listen: '0.0.0.0:4318', grpcListen: '127.0.0.1:5317' }, {}).grpcListen, { host: '127.0.0.1', port: 5317 }, 'given: as given');
  t.equal(loadConfig({ listen: '0.0.0.0:4318', grpcListen: 'off' }, {}).grpcListen, 'off');
});

t.test('OTLP base URLs: one rule everywhere; an exact traces URL when asked', async (t) => {
  const url = (flags: Parameters<typeof loadConfig>[0], env: NodeJS.ProcessEnv = {}) => loadConfig(flags, env).upstreams[0].url;
  t.equal(url({ otlp: 'https://cloud.langfuse.com/api/public/otel' }), 'https://cloud.langfuse.com/api/public/otel/v1/traces', '--otlp: a base URL, as the SDKs read it');
  t.equal(
    url({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://cloud.langfuse.com/api/public/otel' }),
    'https://cloud.langfuse.com/api/public/otel/v1/traces',
    'the same from the OTel variable',
  );
  t.equal(url({}, { TRACEBRIDGE_OTLP_URL: 'http://c:4318/' }), 'http://c:4318/v1/traces');
  t.equal(url({ otlp: 'http://c:4318/v1/traces' }), 'http://c:4318/v1/traces', 'never doubled');
  t.equal(url({ otlpTracesUrl: 'http://c:4318/custom/ingest' }), 'http://c:4318/custom/ingest', '--otlp-traces-url: as given');
  t.equal(url({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom' }), 'http://c:4318/custom');
  t.equal(url({ otlp: 'http://flag:4318' }, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env:4318/x' }), 'http://flag:4318/v1/traces', 'a flag beats every variable');
  const yaml = file('upstreams:\n  - { name: a, type: otlp, url: "http://a:6006" }\n  - { name: b, type: otlp, tracesUrl: "http://b:6006/exact" }\n');
  t.same(
    loadConfig({ config: yaml }, {}).upstreams.map((u) => u.url),
    ['http://a:6006/v1/traces', 'http://b:6006/exact'],
    "the YAML's url and tracesUrl alike",
  );
  t.throws(
    () => loadConfig({ config: file('upstreams:\n  - { name: w, type: weave, tracesUrl: "http://w/x" }\n') }, { WANDB_API_KEY: 'k1' }),
    /only an otlp upstream takes tracesUrl/,
  );
});

t.test('profile names: phoenix and langfuse accepted', async (t) => {
  const c = loadConfig(
    {
      config: file('upstreams:\n  - { name: p, type: otlp, url: "http://p:6006", convention: phoenix }\n  - { name: l, type: otlp, url: "http://l:3000", convention: langfuse }\n'),
    },
    {},
  );
  t.same(
    c.upstreams.map((u) => u.convention),
    ['openinference', 'otel-genai-additive'],
  );
  t.throws(() => loadConfig({ config: file('upstreams:\n  - { name: p, type: otlp, url: "http://p:6006", convention: pheonix }\n') }, {}), /did you mean phoenix\?/);
});

t.test('every problem at once, one line each', async (t) => {
  const err = t.throws(() => loadConfig({ config: file('datadir: x\nlogLevl: info\nworkers: -1\n') }, {})) as ConfigError;
  t.equal(err.problems.length, 3, err.message);
  t.match(err.message, /datadir: unknown key; did you mean dataDir\?/);
  t.match(err.message, /logLevl: unknown key; did you mean logLevel\?/);
  t.equal(loadConfig({}, { TRACEBRIDGE_LOG_FORMAT: 'text' }).logFormat, 'text');
  t.throws(() => loadConfig({ logFormat: 'xml' }, {}), /logFormat: "xml" is not one of json, text/);
});

t.test('gRPC listen address: off, or HOST:PORT', async (t) => {
  t.equal(loadConfig({ grpcListen: 'off' }, {}).grpcListen, 'off');
  t.same(loadConfig({}, { TRACEBRIDGE_GRPC_LISTEN: '[::1]:5317' }).grpcListen, { host: '::1', port: 5317 });
  t.throws(() => loadConfig({ grpcListen: 'nowhere' }, {}), /grpcListen/);
});
