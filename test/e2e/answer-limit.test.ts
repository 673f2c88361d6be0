// A hostile upstream's answer: a huge 200 body, a gzip bomb, a 200 cut off mid-body. The proxy
// (a separate process, so its memory is its own) reads at most a small bound of any answer,
// never inflates past it, and takes a 2xx as delivered whatever follows: each batch arrives once.
import t from 'tap';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { spawnProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const LARGE = 256 * MiB;
/** Concatenated gzip members inflate to their sum: 16 members of 16 MiB of zeros, about 260 KB sent. */
const BOMB = Buffer.concat(Array.from({ length: 16 }, () => gzipSync(Buffer.alloc(16 * MiB)), 0));

type Mode = 'large' | 'bomb' | 'cut';

/** Writes `total` zero bytes with back-pressure, stopping when the reader goes away. */
function stream(res: ServerResponse, total: number): void {
  const block = Buffer.alloc(MiB);
  let sent = 0;
  const more = () => {
    while (sent < total && !res.destroyed) {
      sent += block.length;
      if (!res.write(block)) return void res.once('drain', more);
    }
    res.end();
  };
  res.on('error', () => undefined);
  more();
}

const ANSWER: Record<Mode, (res: ServerResponse) => void> = {
  large: (res) => {
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': String(LARGE) });
    stream(res, LARGE);
  },
  bomb: (res) => {
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', 'content-length': String(BOMB.length) });
    res.end(BOMB);
  },
  cut: (res) => {
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '100000' });
    res.write(Buffer.alloc(1000));
    setImmediate(() => res.destroy());
  },
};

t.test('huge, bomb and cut-off 200 answers: delivered once each, memory small', async (t) => {
  let mode: Mode = 'large';
  const hits: Record<Mode, number> = { large: 0, bomb: 0, cut: 0 };
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits[mode]++;
      ANSWER[mode](res);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const retry = { initialMs: 50, multiplier: 1.5, randomization: 0, maxIntervalMs: 200, maxElapsedMs: 60_000 };
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const proxy = await spawnProxy({ logLevel: 'warn', upstreams: [{ name: 'otlp', type: 'otlp', url, retry }] });
  t.teardown(async () => {
    await proxy.stop();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });
  const base = proxy.url;
  const forwarded = async () => Number((await (await fetch(`${base}/metrics`)).text()).match(/tracebridge_spans_forwarded_total\{upstream="otlp"\} (\d+)/)?.[1] ?? 0);
  let n = 0;
  for (const m of ['large', 'bomb', 'cut'] as Mode[]) {
    mode = m;
    const id = (++n).toString(16).padStart(16, '0');
    const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id.repeat(2), spanId: id, name: m, startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] });
    t.equal((await fetch(`${base}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status, 200, `${m}: accepted`);
    await waitFor(async () => (await forwarded()) === n, 60_000, `${m}: delivered`);
    t.equal(hits[m], 1, `${m}: sent exactly once`);
  }
  const hwm = proxy.peakMiB();
  t.ok(hwm < 200, `the proxy's peak resident memory: ${hwm.toFixed(0)} MiB (bound 200)`);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.equal(Number(metrics.match(/tracebridge_retries_total\{upstream="otlp"\} (\d+)/)?.[1] ?? 0), 0, 'no retries');
});
