// A 2xx with partialSuccess.rejectedSpans > 0 (protobuf or JSON ExportTraceServiceResponse) is
// delivered, not retried, but the rejected spans are counted, logged and shown on the status page.
import t from 'tap';
import { captureServer } from '../helpers/capture-server.js';
import { startProxy, drained, FAST_RETRY } from '../helpers/proxy.js';
import { encodeExportResponseProto } from '../../src/wire/otlp-proto.js';

/** An OTLP/JSON request of `n` spans with fresh ids. */
let next = 0;
function spans(n: number): string {
  const list = Array.from({ length: n }, () => {
    const id = (++next).toString(16).padStart(16, '0');
    return { traceId: id.repeat(2), spanId: id, name: 'op', startTimeUnixNano: '1', endTimeUnixNano: '2' };
  });
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans: list }] }] });
}

const ANSWERS = {
  proto: { headers: { 'content-type': 'application/x-protobuf' }, body: encodeExportResponseProto(3, 'spans older than 7 days dropped') },
  json: { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partialSuccess: { rejectedSpans: '3', errorMessage: 'spans older than 7 days dropped' } }) },
};

for (const [kind, answer] of Object.entries(ANSWERS)) {
  t.test(`${kind} partial success: counted, logged, shown; delivered once`, async (t) => {
    const backend = await captureServer(() => answer);
    const tb = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: backend.url, retry: FAST_RETRY }] });
    t.teardown(async () => {
      await tb.close();
      await backend.close();
    });
    const res = await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: spans(5) });
    t.equal(res.status, 200);
    await backend.waitFor(1);
    await drained(tb);
    t.equal(backend.requests.length, 1, 'not retried');
    const metrics = await (await fetch(`${tb.url}/metrics`)).text();
    t.match(metrics, /tracebridge_spans_rejected_total\{upstream="otlp",reason="partial_success"\} 3/, 'the rejected spans are counted');
    t.match(metrics, /tracebridge_spans_forwarded_total\{upstream="otlp"\} 2/, 'the rest as forwarded');
    const line = tb.logs.find((l) => l.includes('rejected some spans'));
    t.ok(line, 'logged');
    t.match(line, /"rejected":3/, 'with the count');
    t.match(line, /spans older than 7 days dropped/, "and the upstream's message");
    const status = (await (await fetch(`${tb.url}/status.json`)).json()) as { upstreams: Array<Record<string, unknown>> };
    t.match(status.upstreams[0], { spansRejected: 3, lastRejection: { rejected: 3, message: 'spans older than 7 days dropped' } }, 'on the status page');
    t.match(await (await fetch(`${tb.url}/status`)).text(), /lastRejection/, 'which the page renders');
  });
}

t.test('an empty or unparseable 2xx body is a plain delivery', async (t) => {
  const backend = await captureServer(() => ({ headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from([0xff, 0xff, 0xff]) }));
  const tb = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: backend.url, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await backend.close();
  });
  t.equal((await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: spans(2) })).status, 200);
  await backend.waitFor(1);
  await drained(tb);
  t.equal(backend.requests.length, 1);
  const metrics = await (await fetch(`${tb.url}/metrics`)).text();
  t.match(metrics, /tracebridge_spans_forwarded_total\{upstream="otlp"\} 2/);
  t.notMatch(metrics, /reason="partial_success"/);
});
