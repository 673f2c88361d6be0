// Bytes produced by the real OTel JS exporters decode to exactly the spans the SDK made.
import t, { type Test } from 'tap';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { captureServer } from '../helpers/capture-server.js';
import { sdkSpans, exoticSpan, hrToNs, plain, findSpan } from '../helpers/spans.js';
import { decompress } from '../../src/wire/compression.js';
import { decodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import type { SpanBatch } from '../../src/model/batch.js';

async function exportVia(exporter: SpanExporter, spans: ReadableSpan[]) {
  await new Promise<void>((resolve, reject) => exporter.export(spans, (r) => (r.code === 0 ? resolve() : reject(r.error ?? new Error('export failed')))));
  await exporter.shutdown();
}

function checkAgainstSdk(t: Test, batch: SpanBatch, spans: ReadableSpan[]) {
  t.equal(batch.resourceSpans.length, 1, 'one resource');
  const rs = batch.resourceSpans[0];
  t.same(
    plain({ type: 'kvlist', value: rs.resource.attributes }),
    {
      ...spans[0].resource.attributes,
    },
    'resource attributes',
  );
  t.equal(rs.scopeSpans[0].scope.name, 'checkout-lib');
  t.equal(rs.scopeSpans[0].scope.version, '0.9.1');
  for (const sdk of spans) {
    const got = findSpan(batch, sdk.name);
    const ctx = sdk.spanContext();
    t.equal(got.traceId, ctx.traceId, `${sdk.name}: trace id`);
    t.equal(got.spanId, ctx.spanId, `${sdk.name}: span id`);
    t.equal(got.parentSpanId, sdk.parentSpanContext?.spanId ?? '', `${sdk.name}: parent id`);
    t.equal(got.flags & 0xff, ctx.traceFlags, `${sdk.name}: flags`);
    t.equal(got.kind, sdk.kind + 1, `${sdk.name}: kind`);
    t.equal(got.startTimeUnixNano, hrToNs(sdk.startTime), `${sdk.name}: start to the ns`);
    t.equal(got.endTimeUnixNano, hrToNs(sdk.endTime), `${sdk.name}: end to the ns`);
    t.same(got.status, { code: sdk.status.code, message: sdk.status.message ?? '' }, `${sdk.name}: status`);
    t.same(plain({ type: 'kvlist', value: got.attributes }), sdk.attributes, `${sdk.name}: attributes`);
    t.equal(got.events.length, sdk.events.length);
    sdk.events.forEach((e, i) => {
      t.equal(got.events[i].name, e.name);
      t.equal(got.events[i].timeUnixNano, hrToNs(e.time));
      t.same(plain({ type: 'kvlist', value: got.events[i].attributes }), e.attributes ?? {});
    });
    t.equal(got.links.length, sdk.links.length);
    sdk.links.forEach((l, i) => {
      t.equal(got.links[i].traceId, l.context.traceId);
      t.equal(got.links[i].spanId, l.context.spanId);
      t.same(plain({ type: 'kvlist', value: got.links[i].attributes }), l.attributes ?? {});
    });
  }
}

t.test('exporter-trace-otlp-proto, gzip', async (t) => {
  const cap = await captureServer(() => ({ headers: { 'content-type': 'application/x-protobuf' }, body: '' }));
  t.teardown(() => cap.close());
  const spans = sdkSpans();
  await exportVia(new ProtoExporter({ url: cap.url + '/v1/traces', compression: CompressionAlgorithm.GZIP }), spans);
  const [req] = await cap.waitFor(1);
  t.equal(req.headers['content-type'], 'application/x-protobuf');
  t.equal(req.headers['content-encoding'], 'gzip');
  const batch = decodeOtlpProto(decompress(req.body, req.headers['content-encoding']));
  checkAgainstSdk(t, batch, spans);
});

t.test('exporter-trace-otlp-http (JSON)', async (t) => {
  const cap = await captureServer();
  t.teardown(() => cap.close());
  const spans = sdkSpans();
  await exportVia(new JsonExporter({ url: cap.url + '/v1/traces' }), spans);
  const [req] = await cap.waitFor(1);
  t.match(req.headers['content-type'], /application\/json/);
  checkAgainstSdk(t, decodeOtlpJson(req.body), spans);
});

t.test('kvlist, bytes and large ints survive both exporters', async (t) => {
  const exotic = exoticSpan(sdkSpans()[0]);
  for (const [name, Exporter, decode] of [
    ['proto', ProtoExporter, decodeOtlpProto],
    ['json', JsonExporter, decodeOtlpJson],
  ] as const) {
    const cap = await captureServer(() => ({ headers: { 'content-type': 'application/x-protobuf' }, body: '' }));
    t.teardown(() => cap.close());
    await exportVia(new Exporter({ url: cap.url + '/v1/traces' }), [exotic]);
    const [req] = await cap.waitFor(1);
    const got = findSpan(decode(req.body), 'exotic');
    t.same(
      got.attributes.get('nested'),
      {
        type: 'kvlist',
        value: new Map<string, unknown>([
          ['inner', { type: 'string', value: 'x' }],
          ['depth', { type: 'int', value: 2n }],
          ['deeper', { type: 'kvlist', value: new Map([['ok', { type: 'bool', value: true }]]) }],
        ]),
      },
      `${name}: kvlist`,
    );
    t.same(got.attributes.get('raw'), { type: 'bytes', value: new Uint8Array([0, 1, 2, 254, 255]) }, `${name}: bytes`);
    t.same(got.attributes.get('big'), { type: 'int', value: 9_007_199_254_740_991n }, `${name}: 2^53-1`);
  }
});
