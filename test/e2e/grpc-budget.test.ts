// OTLP/gRPC held to the HTTP body budget: 48 concurrent 15 MiB exports are refused (over the
// 4 MiB gRPC message bound), 48 concurrent 3 MiB exports fit the budget a few at a time (the rest
// RESOURCE_EXHAUSTED or UNAVAILABLE with a RetryInfo, so exporters retry), and the proxy's peak RSS stays
// under the same bound as HTTP's.
import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { spawnProxy } from '../helpers/proxy.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const varint = (x: number) => {
  const b: number[] = [];
  for (; x > 127; x = Math.floor(x / 128)) b.push((x & 127) | 128);
  b.push(x);
  return Buffer.from(b);
};
const field = (n: number, body: Buffer) => Buffer.concat([varint((n << 3) | 2), varint(body.length), body]);

/** One span with one string attribute of `size` bytes. */
function request(i: number, size: number): Buffer {
  const kv = Buffer.concat([field(1, Buffer.from('big')), field(2, field(1, Buffer.alloc(size, 0x61)))]);
  const span = Buffer.concat([field(1, Buffer.alloc(16, i + 1)), field(2, Buffer.alloc(8, i + 1)), field(5, Buffer.from('s')), field(9, kv)]);
  return field(1, field(2, field(2, span)));
}

const MiB = 1024 * 1024;
/** The bound the README states for gRPC (Limits); the 15 MiB phase alone stays under HTTP's 300 MiB. */
const BOUND_MIB = 400;
const PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

t.test('gRPC exports are charged to the body budget before they are read', async (t) => {
  // An upstream that takes everything: what is measured is the receiving.
  const upstream = createServer((req, res) => void req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const proxy = await spawnProxy({
    logLevel: 'warn',
    grpcListen: '127.0.0.1:0',
    upstreams: [{ name: 'otlp', type: 'otlp', url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }],
  });
  const client = new grpc.Client(`127.0.0.1:${proxy.grpcPort}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * MiB });
  t.teardown(async () => {
    client.close();
    await proxy.stop();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });
  const exportOne = (body: Buffer) =>
    new Promise<{ code: number; retryInfo: boolean }>((resolve) =>
      client.makeUnaryRequest(
        PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        body,
        new grpc.Metadata(),
        { deadline: Date.now() + 60_000 },
        (err) => resolve({ code: err?.code ?? grpc.status.OK, retryInfo: Boolean(err?.metadata?.get('grpc-status-details-bin').length) }),
      ),
    );
  const huge = await Promise.all(Array.from({ length: 48 }, (_, i) => exportOne(request(i, 15 * MiB))));
  t.same([...new Set(huge.map((r) => r.code))], [grpc.status.RESOURCE_EXHAUSTED], '15 MiB exports: RESOURCE_EXHAUSTED (over the message bound)');
  const afterHuge = proxy.peakMiB();
  t.ok(afterHuge < BOUND_MIB, `after the 15 MiB exports: ${afterHuge.toFixed(0)} MiB`);
  const large = await Promise.all(Array.from({ length: 48 }, (_, i) => exportOne(request(i, 3 * MiB))));
  const ok = large.filter((r) => r.code === grpc.status.OK).length;
  const busy = large.filter((r) => (r.code === grpc.status.RESOURCE_EXHAUSTED || r.code === grpc.status.UNAVAILABLE) && r.retryInfo).length;
  t.ok(ok >= 1, `3 MiB exports: ${ok} taken`);
  t.equal(ok + busy, 48, `the other ${busy}: RESOURCE_EXHAUSTED or UNAVAILABLE with RetryInfo (retried by exporters)`);
  const hwm = proxy.peakMiB();
  t.ok(hwm < BOUND_MIB, `the proxy's peak resident memory: ${hwm.toFixed(0)} MiB (bound ${BOUND_MIB})`);
});
