// The upstream sender against loopback servers: connections kept alive and bounded, the
// per-request timeout, redirects never followed (no key sent on), TLS verified, answers read
// within 64 KiB, Retry-After honoured, and requests abandoned on stop.
import t from 'tap';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { upstreamSchema } from '../../src/config/schema.js';
import { httpSender, type Result } from '../../src/forward/sender.js';
import type { Delivery } from '../../src/forward/prepare.js';
import { makePki } from './certs.js';

interface Loopback {
  url: string;
  hits: IncomingMessage['headers'][];
  connections: number;
  close(): Promise<void>;
}

async function listen(server: Server, scheme = 'http'): Promise<Loopback> {
  const sockets = new Set<Socket>();
  const lb: Loopback = { url: '', hits: [], connections: 0, close: async () => undefined };
  server.on(scheme === 'https' ? 'secureConnection' : 'connection', (s: Socket) => {
    lb.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('request', (req: IncomingMessage) => lb.hits.push(req.headers));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  lb.url = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  lb.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return lb;
}

/** An HTTP server whose handler runs once the request body is in. */
function answering(handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const onRequest: RequestListener = (req, res) => {
    req.resume();
    req.on('end', () => handler(req, res));
  };
  return createServer({ keepAliveTimeout: 30_000 }, onRequest);
}

const RETRY = { initialMs: 20, multiplier: 1, randomization: 0, maxIntervalMs: 20, maxElapsedMs: 300 };

function upstream(url: string, extra: Record<string, unknown> = {}) {
  return upstreamSchema.parse({ name: 'up', type: 'otlp', url, retry: RETRY, auth: { mode: 'static', key: 'SECRET' }, ...extra });
}

const delivery = (): Delivery => ({
  upstream: 'up',
  spans: 1,
  credential: { ref: 'config' },
  requests: [{ body: Buffer.from('span'), headers: { 'content-type': 'application/x-protobuf' } }],
});

const ok = (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/x-protobuf' });
  res.end();
};

t.test('connections are kept alive, and bounded', async (t) => {
  let waiting: ServerResponse[] = [];
  const server = await listen(answering((_req, res) => waiting.push(res)));
  t.teardown(() => server.close());
  const sender = httpSender(upstream(server.url));
  t.teardown(() => sender.stop());
  // 80 at once: at most 64 connections; the rest wait for one.
  const sends = Array.from({ length: 80 }, () => sender.send(delivery()));
  const release = setInterval(() => {
    for (const res of waiting) ok(undefined as never, res);
    waiting = [];
  }, 50);
  t.teardown(() => clearInterval(release));
  const results = await Promise.all(sends);
  t.ok(
    results.every((r) => r.kind === 'delivered'),
    'all delivered',
  );
  t.ok(server.connections <= 64, `${server.connections} connections for 80 requests at once (bound 64)`);
  const before = server.connections;
  let delivered = 0;
  for (let i = 0; i < 20; i++) delivered += (await sender.send(delivery())).kind === 'delivered' ? 1 : 0;
  t.equal(delivered, 20);
  t.equal(server.connections, before, '20 more requests one after another: no new connection');
  t.equal(server.hits[0].authorization, 'Bearer SECRET', 'the key is sent to the upstream itself');
});

t.test('per-request timeout: a silent upstream is retried, then given up', async (t) => {
  const server = await listen(answering(() => undefined));
  t.teardown(() => server.close());
  const sender = httpSender(upstream(server.url, { timeoutMs: 200 }));
  t.teardown(() => sender.stop());
  const started = Date.now();
  const reasons: string[] = [];
  const result = await sender.send(delivery(), { onRetry: (reason) => reasons.push(reason) });
  t.equal(result.kind, 'gave-up');
  t.ok(Date.now() - started < 3000, `gave up after ${Date.now() - started} ms`);
  t.ok(server.hits.length >= 2, `${server.hits.length} attempts`);
  t.match(reasons[0], /timeout|timed out/i, `the reason says so: ${reasons[0]}`);
});

t.test('a redirect is not followed, and the key never goes to its target', async (t) => {
  const target = await listen(answering(ok));
  t.teardown(() => target.close());
  for (const status of [301, 302, 307, 308]) {
    const server = await listen(
      answering((_req, res) => {
        res.writeHead(status, { location: `${target.url}/v1/traces` });
        res.end();
      }),
    );
    const sender = httpSender(upstream(server.url));
    const result = await sender.send(delivery());
    sender.stop();
    await server.close();
    t.match(result, { kind: 'rejected', status }, `${status}: final, not followed`);
  }
  t.equal(target.hits.length, 0, 'the target never got a request');
});

t.test('TLS is verified: a self-signed upstream is refused, nothing sent', async (t) => {
  const pki = makePki();
  const server = await listen(createHttpsServer({ cert: pki.read(pki.selfSignedCert), key: pki.read(pki.selfSignedKey) }, ok), 'https');
  t.teardown(() => server.close());
  const sender = httpSender(upstream(server.url));
  t.teardown(() => sender.stop());
  const result = await sender.send(delivery());
  t.match(result, { kind: 'gave-up', reason: /SELF_SIGNED|self.signed/i }, 'refused, with the reason');
  t.equal(server.hits.length, 0, 'no request (and no key) reached it');
});

t.test('answers are read within 64 KiB, inflated within 64 KiB', async (t) => {
  const big = Buffer.alloc(4 * 1024 * 1024, 'x');
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  let answer: (res: ServerResponse) => void = (res) => void res.end();
  const server = await listen(answering((_req, res) => answer(res)));
  t.teardown(() => server.close());
  const sender = httpSender(upstream(server.url));
  t.teardown(() => sender.stop());
  answer = (res) => {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(big);
  };
  const large = await sender.send(delivery());
  t.match(large, { kind: 'rejected', status: 400 });
  t.ok((large as { body: string }).body.length <= 2000, 'a 4 MiB refusal: its first 2,000 characters kept');
  answer = (res) => {
    res.writeHead(400, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    res.end(bomb);
  };
  t.match(await sender.send(delivery()), { kind: 'rejected', status: 400, body: /does not inflate within 65536 bytes/ }, 'a gzip bomb: not inflated past the bound');
  answer = (res) => {
    res.writeHead(400, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    res.end(gzipSync('bad project'));
  };
  t.match(await sender.send(delivery()), { kind: 'rejected', status: 400, body: 'bad project' }, 'a small gzipped answer: inflated');
});

t.test('a header that cannot be sent: final at once, nothing sent', async (t) => {
  const server = await listen(answering(ok));
  t.teardown(() => server.close());
  const sender = httpSender(upstream(server.url, { headers: { 'x-team': 'a\nb' } }));
  t.teardown(() => sender.stop());
  t.match(await sender.send(delivery()), { kind: 'rejected', status: 0, attempts: 1 });
  t.equal(server.hits.length, 0);
});

t.test('Retry-After is honoured', async (t) => {
  let failures = 1;
  const server = await listen(
    answering((req, res) => {
      if (failures-- > 0) {
        res.writeHead(503, { 'retry-after': '1' });
        return res.end();
      }
      ok(req, res);
    }),
  );
  t.teardown(() => server.close());
  const sender = httpSender(upstream(server.url, { retry: { ...RETRY, maxElapsedMs: 5000 } }));
  t.teardown(() => sender.stop());
  const delays: number[] = [];
  const started = Date.now();
  t.match(await sender.send(delivery(), { onRetry: (_r, ms) => delays.push(ms) }), { kind: 'delivered', attempts: 2 });
  t.same(delays, [1000], 'waited the second Retry-After asked for');
  t.ok(Date.now() - started >= 950, 'and really waited');
});

t.test('stop abandons a request on the wire; stopRetrying lets it finish', async (t) => {
  let hold: ServerResponse | undefined;
  const server = await listen(answering((_req, res) => (hold = res)));
  t.teardown(() => server.close());
  const sender = httpSender(upstream(server.url, { timeoutMs: 60_000, retry: { ...RETRY, maxElapsedMs: 60_000 } }));
  const pending = sender.send(delivery());
  while (!hold) await new Promise((r) => setTimeout(r, 10));
  const started = Date.now();
  sender.stop();
  t.match(await pending, { kind: 'stopped' } satisfies Partial<Result>, 'stopped');
  t.ok(Date.now() - started < 1000, 'at once');

  hold = undefined;
  const second = httpSender(upstream(server.url, { timeoutMs: 60_000 }));
  t.teardown(() => second.stop());
  const finishing = second.send(delivery());
  while (!hold) await new Promise((r) => setTimeout(r, 10));
  second.stopRetrying();
  ok(undefined as never, hold);
  t.match(await finishing, { kind: 'delivered' }, 'the request on the wire still delivered');
});
