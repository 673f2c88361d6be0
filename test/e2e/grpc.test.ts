// OTLP/gRPC in: the real @opentelemetry/exporter-trace-otlp-grpc sends to tracebridge's gRPC port,
// with its credentials in metadata and gzip; status codes as the OTLP spec gives them.
import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { fakeWeave, weaveSees } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY } from '../helpers/proxy.js';
import { RpcStatus } from '../../src/wire/proto.js';

const EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** A bare gRPC call, to read the status code and details an exporter would act on. */
function rawExport(port: number, body: Buffer, md: Record<string, string>): Promise<{ code: number; details: string; status?: Buffer }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(md)) metadata.set(k, v);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      EXPORT,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      (err) => {
        client.close();
        resolve(err ? { code: err.code, details: err.details, status: err.metadata.get('grpc-status-details-bin')[0] as Buffer | undefined } : { code: 0, details: '' });
      },
    );
  });
}

t.test('the OTel gRPC exporter, with its key in metadata and gzip', async (t) => {
  const weave = await fakeWeave({ key: 'wandb-key' });
  const tb = await startProxy({ grpcListen: '127.0.0.1:0', upstreams: [{ name: 'weave', type: 'weave', url: weave.url, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  const port = tb.proxy.grpcPort!;
  t.ok(port > 0, `gRPC on port ${port}`);
  const metadata = new grpc.Metadata();
  metadata.set('authorization', 'Basic ' + Buffer.from('api:wandb-key').toString('base64'));
  metadata.set('project_id', 'team/grpc-app');
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}`, metadata, compression: CompressionAlgorithm.GZIP });
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const span = provider.getTracer('app').startSpan('chat gpt-4o', {
    attributes: {
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Hi' }] }]),
      'gen_ai.usage.input_tokens': 3,
      'gen_ai.usage.output_tokens': 2,
    },
  });
  span.end();
  await provider.forceFlush();
  await provider.shutdown();
  const [got] = await weave.waitForSpans(1);
  t.equal(weave.accepted[0].headers['project_id'], 'team/grpc-app', 'project from metadata');
  t.equal(weaveSees(got).model, 'gpt-4o');
  t.same(weaveSees(got).input, [{ role: 'user', content: 'Hi' }], 'translated for Weave like any request');
  const metrics = await (await fetch(`${tb.url}/metrics`)).text();
  t.match(metrics, /tracebridge_requests_total\{path="\/opentelemetry\.proto\.collector\.trace\.v1\.TraceService\/Export",status="200"\} 1/);
});

t.test('status codes: INVALID_ARGUMENT, UNAUTHENTICATED, RESOURCE_EXHAUSTED with RetryInfo', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const tb = await startProxy({
    grpcListen: '127.0.0.1:0',
    inboundKeys: ['door'],
    upstreams: [
      {
        name: 'weave',
        type: 'weave',
        url: weave.url,
        project: 'a/b',
        auth: { mode: 'static', key: 'W' },
        retry: { ...FAST_RETRY, maxElapsedMs: 60_000 },
        timeoutMs: 60_000,
        queue: { maxBatches: 1, concurrency: 1 },
      },
    ],
  });
  t.teardown(async () => {
    weave.hang = false;
    await tb.close();
    await weave.close();
  });
  const port = tb.proxy.grpcPort!;
  const garbage = await rawExport(port, Buffer.from([0x0a, 0xff, 0x01]), { 'x-api-key': 'door' });
  t.equal(garbage.code, grpc.status.INVALID_ARGUMENT, 'bad data: INVALID_ARGUMENT');
  t.match(garbage.details, /invalid OTLP protobuf/);
  const noKey = await rawExport(port, Buffer.alloc(0), {});
  t.equal(noKey.code, grpc.status.UNAUTHENTICATED, 'no key: UNAUTHENTICATED');
  // Fill the one-batch queue while Weave hangs: the next request is told to back off.
  weave.hang = true;
  const body = (id: string) =>
    Buffer.from(
      ProtobufTraceSerializer.serializeRequest([
        {
          name: 's',
          kind: 0,
          spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: id, traceFlags: 1 }),
          startTime: [1, 0],
          endTime: [2, 0],
          duration: [1, 0],
          status: { code: 0 },
          attributes: {},
          links: [],
          events: [],
          ended: true,
          resource: { attributes: {}, merge: () => null as never, getRawAttributes: () => [], asyncAttributesPending: false },
          instrumentationScope: { name: 'x' },
          droppedAttributesCount: 0,
          droppedEventsCount: 0,
          droppedLinksCount: 0,
        } as never,
      ])!,
    );
  const codes: number[] = [];
  let exhausted: Awaited<ReturnType<typeof rawExport>> | undefined;
  for (let i = 1; i <= 6 && !exhausted; i++) {
    const r = await rawExport(port, body(i.toString(16).padStart(16, '0')), { 'x-api-key': 'door' });
    codes.push(r.code);
    if (r.code === grpc.status.RESOURCE_EXHAUSTED) exhausted = r;
  }
  t.ok(exhausted, `queue full: RESOURCE_EXHAUSTED (codes ${codes.join(', ')})`);
  const status = RpcStatus.decode(exhausted!.status!) as unknown as { details: Array<{ type_url: string; value: Uint8Array }> };
  t.equal(status.details[0]?.type_url, 'type.googleapis.com/google.rpc.RetryInfo', 'with RetryInfo');
});
