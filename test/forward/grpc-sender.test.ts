// The OTLP/gRPC sender on its own against a loopback grpc-js backend: what it refuses to send
// (a header gRPC cannot carry, a body that does not inflate), a copy queued gzipped, and stop()
// ending a call left unanswered.
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { upstreamSchema } from '../../src/config/schema.js';
import { grpcSender } from '../../src/forward/grpc-sender.js';
import type { Delivery } from '../../src/forward/prepare.js';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { sdkSpans } from '../helpers/spans.js';
import { grpcUpstream } from '../helpers/grpc-upstream.js';
import { waitFor } from '../helpers/wait.js';

const RETRY = { initialMs: 20, multiplier: 1, randomization: 0, maxIntervalMs: 20, maxElapsedMs: 300 };
const upstream = (port: number, extra: Record<string, unknown> = {}) => upstreamSchema.parse({ name: 'up', type: 'otlp', url: `grpc://127.0.0.1:${port}`, retry: RETRY, ...extra });

const proto = () => Buffer.from(ProtobufTraceSerializer.serializeRequest(sdkSpans())!);
const delivery = (body: Buffer, headers: Record<string, string> = {}): Delivery => ({
  upstream: 'up',
  spans: 1,
  requests: [{ body, headers: { 'content-type': 'application/x-protobuf', ...headers } }],
});

t.test('refused here, never sent: a header gRPC cannot carry, a body that does not inflate', async (t) => {
  const up = await grpcUpstream();
  t.teardown(up.close);
  const bad = grpcSender(upstream(up.port, { headers: { 'x-team': 'a\nb' } }));
  t.teardown(() => bad.stop());
  t.match(await bad.send(delivery(proto())), { kind: 'rejected', status: 0, attempts: 1 }, 'a newline in a header');
  const sender = grpcSender(upstream(up.port));
  t.teardown(() => sender.stop());
  t.match(await sender.send(delivery(Buffer.from('not gzip'), { 'content-encoding': 'gzip' })), { kind: 'rejected', status: 0 }, 'a body marked gzip that is not');
  t.equal(up.calls(), 0, 'the upstream was never asked');
  t.match(await sender.send(delivery(gzipSync(proto()), { 'content-encoding': 'gzip' })), { kind: 'delivered', attempts: 1 }, 'a copy queued gzipped is sent');
  t.equal(up.spans(), 2, 'inflated: the upstream decodes both spans');
});

t.test('stop() ends a call left unanswered: stopped, not retried', async (t) => {
  const up = await grpcUpstream(() => 'hang');
  t.teardown(up.close);
  const sender = grpcSender(upstream(up.port, { timeoutMs: 60_000, retry: { ...RETRY, maxElapsedMs: 60_000 } }));
  const sent = sender.send(delivery(proto()));
  await waitFor(() => up.calls() === 1, 10_000, 'the call at the upstream');
  sender.stop();
  t.match(await sent, { kind: 'stopped', attempts: 1 });
});
