// Keys that come in OTEL_EXPORTER_OTLP_HEADERS (or a configured upstream's headers) never rest on
// disk: queue files keep the request without them, and they are added again at send time.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureServer } from '../helpers/capture-server.js';
import { startProxy, FAST_RETRY } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url)).toString();

t.test('OTEL_EXPORTER_OTLP_HEADERS keys are not in queue files, and are sent', async (t) => {
  let down = true;
  const backend = await captureServer(() => (down ? { status: 503 } : undefined));
  const env = { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20OTEL-SECRET-TOKEN,x-honeycomb-team=HC-SECRET' };
  const tb = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: backend.url, retry: { ...FAST_RETRY, maxElapsedMs: 60_000 } }] }, {}, env);
  t.teardown(async () => {
    await tb.close();
    await backend.close();
  });
  t.equal((await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: curl })).status, 200);
  const queue = join(tb.dataDir, 'queue', 'otlp');
  await waitFor(() => readdirSync(queue).some((f) => f.endsWith('.batch')), 10_000, 'the copy written to its queue');
  const everything = readdirSync(tb.dataDir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name)).toString('latin1'))
    .join('\n');
  t.notMatch(everything, /OTEL-SECRET-TOKEN/, 'the bearer token is not on disk');
  t.notMatch(everything, /HC-SECRET/, 'nor the other header');
  down = false;
  await waitFor(() => backend.requests.some((r) => r.headers['x-honeycomb-team'] === 'HC-SECRET'), 10_000, 'delivered');
  const sent = backend.requests.at(-1)!;
  t.equal(sent.headers.authorization, 'Bearer OTEL-SECRET-TOKEN', 'sent with the token');
  t.equal(sent.headers['content-type'], 'application/x-protobuf', "the body's own headers unchanged");
});
