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
  t.equal(c.upstreams[0].url, 'http://127.0.0.1:9999', '${env:VAR}, as the Collector writes it');
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

t.test('gRPC listen address: default 4317, off, or HOST:PORT', async (t) => {
  t.same(loadConfig({}, {}).grpcListen, { host: '0.0.0.0', port: 4317 });
  t.equal(loadConfig({ grpcListen: 'off' }, {}).grpcListen, 'off');
  t.same(loadConfig({}, { TRACEBRIDGE_GRPC_LISTEN: '[::1]:5317' }).grpcListen, { host: '::1', port: 5317 });
  t.throws(() => loadConfig({ grpcListen: 'nowhere' }, {}), /grpcListen/);
});
