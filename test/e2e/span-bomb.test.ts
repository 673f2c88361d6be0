// Span bombs: a 23 KB gzip of 2M tiny spans (16 MiB inflated), and its JSON twin, are refused in
// milliseconds (413 with a reason) without holding the event loop: /healthz asked every 50 ms
// during four bombs at once answers each time within 2 s, an ordinary client beside them gets its
// 200s, and the proxy (a process of its own) stays under the README's memory bound.
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { spawnProxy } from '../helpers/proxy.js';
import { fakeLangtrace } from '../helpers/upstreams.js';
import { RpcStatus } from '../../src/wire/proto.js';

const varint = (x: number) => {
  const b: number[] = [];
  for (; x > 127; x = Math.floor(x / 128)) b.push((x & 127) | 128);
  b.push(x);
  return Buffer.from(b);
};
const field = (n: number, body: Buffer) => Buffer.concat([varint((n << 3) | 2), varint(body.length), body]);

/** ExportTraceServiceRequest of `n` spans with 1-byte trace and span ids: 8 bytes a span. */
function protoBomb(n: number): Buffer {
  const one = field(2, Buffer.from([0x0a, 1, 1, 0x12, 1, 2]));
  const spans = Buffer.alloc(one.length * n);
  for (let i = 0; i < n; i++) one.copy(spans, i * one.length);
  return gzipSync(field(1, field(2, spans)));
}

function jsonBomb(n: number): Buffer {
  return gzipSync(`{"resourceSpans":[{"scopeSpans":[{"spans":[${'{},'.repeat(n - 1)}{}]}]}]}`);
}

/** The bound the README states (Limits). */
const BOUND_MIB = 300;

t.test('span bombs are refused fast, /healthz and an ordinary client unaffected, memory bounded', async (t) => {
  const upstream = await fakeLangtrace({ key: 'lt-key' });
  const proxy = await spawnProxy({ logLevel: 'warn', upstreams: [{ name: 'langtrace', type: 'langtrace', url: upstream.url, auth: { mode: 'static', key: 'lt-key' } }] });
  t.teardown(async () => {
    await proxy.stop();
    await upstream.close();
  });
  const idle = proxy.peakMiB();
  const proto = protoBomb(2_000_000);
  const json = jsonBomb(5_000_000);
  t.ok(proto.length < 40_000 && json.length < 40_000, `bombs of ${proto.length} and ${json.length} bytes`);
  const post = (body: Buffer, type: string, gzip = true) =>
    fetch(`${proxy.url}/v1/traces`, { method: 'POST', headers: { 'content-type': type, ...(gzip ? { 'content-encoding': 'gzip' } : {}) }, body });

  let bombing = true;
  const health: Array<boolean> = [];
  const probe = (async () => {
    for (let i = 0; i < 2000 && bombing; i++) {
      const ok = await fetch(`${proxy.url}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      health.push(ok);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const ordinary: number[] = [];
  let clientDone = false;
  const client = (async () => {
    for (let i = 0; i < 10; i++) {
      const id = (i + 1).toString(16).padStart(16, '0');
      const body = JSON.stringify({
        resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id.repeat(2), spanId: id, name: 'ok', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }],
      });
      ordinary.push(
        await fetch(`${proxy.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) }).then(
          (r) => r.status,
          () => 0,
        ),
      );
    }
    clientDone = true;
  })();

  const answers: Array<{ status: number; message: string }> = [];
  // Four bombs at a time until the ordinary client is done (at least 5 rounds, at most 40).
  for (let round = 0; round < 40 && (round < 5 || !clientDone); round++) {
    const rs = await Promise.all([post(proto, 'application/x-protobuf'), post(proto, 'application/x-protobuf'), post(json, 'application/json'), post(json, 'application/json')]);
    for (const r of rs) {
      const body = Buffer.from(await r.arrayBuffer());
      const message = r.headers.get('content-type')?.includes('protobuf') ? RpcStatus.decode(body).toJSON().message : JSON.parse(body.toString()).message;
      answers.push({ status: r.status, message: String(message) });
    }
  }
  bombing = false;
  await Promise.all([probe, client]);

  t.same(
    answers.map((a) => a.status),
    Array(answers.length).fill(413),
    `every bomb refused with 413 (${answers.length})`,
  );
  t.ok(
    answers.filter((a, i) => i % 4 < 2).every((a) => /more than 100000 spans \(maxSpansPerRequest\)/.test(a.message)),
    `protobuf: ${answers[0].message}`,
  );
  t.ok(
    answers.filter((a, i) => i % 4 >= 2).every((a) => /once decoded/.test(a.message)),
    `JSON: ${answers[2].message}`,
  );
  t.ok(health.length >= 5, `${health.length} /healthz probes during the bombs`);
  t.equal(health.filter((ok) => !ok).length, 0, 'every /healthz probe answered within 2 s');
  t.equal(ordinary.length, 10, 'the ordinary client made its 10 requests during the bombs');
  t.same([...new Set(ordinary)], [200], 'the ordinary client got 200s only');
  const hwm = proxy.peakMiB();
  t.ok(hwm < BOUND_MIB, `the proxy's peak resident memory: ${hwm.toFixed(0)} MiB (bound ${BOUND_MIB}; ${idle.toFixed(0)} MiB before the bombs)`);
});

t.test('a span of too many attributes is refused with 400 and a reason; a request under the caps is taken', async (t) => {
  const upstream = await fakeLangtrace({ key: 'lt-key' });
  const proxy = await spawnProxy({
    logLevel: 'warn',
    maxAttributesPerSpan: 10,
    maxSpansPerRequest: 50,
    upstreams: [{ name: 'langtrace', type: 'langtrace', url: upstream.url, auth: { mode: 'static', key: 'lt-key' } }],
  });
  t.teardown(async () => {
    await proxy.stop();
    await upstream.close();
  });
  const span = (i: number, attrs: number) => ({
    traceId: 'ab'.repeat(16),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: 's',
    startTimeUnixNano: '1',
    endTimeUnixNano: '2',
    attributes: Array.from({ length: attrs }, (_, k) => ({ key: `k${k}`, value: { intValue: k } })),
  });
  const send = (spans: unknown[]) =>
    fetch(`${proxy.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }) });
  const wide = await send([span(0, 11)]);
  t.equal(wide.status, 400);
  t.match(((await wide.json()) as { message: string }).message, /more than 10 attributes \(maxAttributesPerSpan\)/);
  const many = await send(Array.from({ length: 51 }, (_, i) => span(i, 1)));
  t.equal(many.status, 413);
  t.equal((await send(Array.from({ length: 50 }, (_, i) => span(i, 10)))).status, 200, 'at the caps: taken');
});
