// Upstreams reached through an HTTP CONNECT proxy on loopback: HTTPS_PROXY for an upstream only
// the proxy can resolve, NO_PROXY going around it, loopback never sent to it, and a
// per-upstream proxyUrl whose credentials reach the proxy and nothing else.
import { postOneSpan } from '../helpers/spans.js';
import t from 'tap';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { captureServer } from '../helpers/capture-server.js';
import { startProxy, FAST_RETRY } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';
import { makePki } from '../forward/certs.js';

/** A CONNECT proxy that knows one name the rest of the machine does not: upstream.internal. */
async function connectProxy() {
  const connects: Array<{ target: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client, head) => {
    connects.push({ target: req.url ?? '', headers: req.headers });
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host === 'upstream.internal' ? '127.0.0.1' : host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connects,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const post = postOneSpan;

/** Starts a proxy with these variables set while its upstreams are made (they are read then). */
async function withEnv(env: Record<string, string>, config: Record<string, unknown>) {
  Object.assign(process.env, env);
  try {
    return await startProxy(config);
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
  }
}

t.test('HTTPS_PROXY: an upstream only the proxy can reach, through a CONNECT tunnel', async (t) => {
  const pki = makePki();
  const headers: IncomingHttpHeaders[] = [];
  const upstream = createHttpsServer({ cert: pki.read(pki.serverCert), key: pki.read(pki.serverKey) }, (req, res) => {
    headers.push(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const proxy = await connectProxy();
  const port = (upstream.address() as AddressInfo).port;
  const url = `https://upstream.internal:${port}`;
  const tb = await withEnv(
    { HTTPS_PROXY: proxy.url },
    { upstreams: [{ name: 'otlp', type: 'otlp', url, tls: { ca: pki.ca }, auth: { mode: 'static', key: 'UPSTREAM-KEY' }, retry: FAST_RETRY }] },
  );
  t.teardown(async () => {
    await tb.close();
    await proxy.close();
    upstream.closeAllConnections();
    upstream.close();
  });
  t.equal((await post(tb.url)).status, 200);
  await waitFor(() => headers.length === 1, 10_000, 'delivered through the proxy');
  t.same(
    proxy.connects.map((c) => c.target),
    [`upstream.internal:${port}`],
    'one tunnel, to the name (resolved by the proxy)',
  );
  t.notOk(proxy.connects[0].headers.authorization, "the upstream's key is inside the tunnel, not in the CONNECT");
  t.equal(headers[0].authorization, 'Bearer UPSTREAM-KEY', 'and reaches the upstream');
});

t.test('NO_PROXY goes around the proxy; loopback never goes to it', async (t) => {
  const proxy = await connectProxy();
  const backend = await captureServer();
  t.teardown(async () => {
    await proxy.close();
    await backend.close();
  });
  const loopback = await withEnv({ HTTP_PROXY: proxy.url }, { upstreams: [{ name: 'otlp', type: 'otlp', url: backend.url, retry: FAST_RETRY }] });
  t.equal((await post(loopback.url)).status, 200);
  await backend.waitFor(1);
  await loopback.close();
  t.equal(proxy.connects.length, 0, 'a loopback upstream: direct');

  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!address) return void t.comment('no non-loopback IPv4 address on this machine: NO_PROXY by address not tried');
  const outside = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  let hits = 0;
  outside.on('request', () => hits++);
  await new Promise<void>((r) => outside.listen(0, address, r));
  t.teardown(() => void outside.close());
  const url = `http://${address}:${(outside.address() as AddressInfo).port}`;
  for (const [noProxy, viaProxy] of [
    [`${address}`, 0],
    ['10.99.0.0/16,other.internal', 1],
    [`${address.split('.').slice(0, 3).join('.')}.0/24`, 0],
  ] as const) {
    const before = proxy.connects.length;
    const tb = await withEnv({ HTTP_PROXY: proxy.url, NO_PROXY: noProxy }, { upstreams: [{ name: 'otlp', type: 'otlp', url, retry: FAST_RETRY }] });
    const seen = hits;
    t.equal((await post(tb.url)).status, 200);
    await waitFor(() => hits > seen, 10_000, 'delivered');
    await tb.close();
    t.equal(proxy.connects.length - before, viaProxy, `NO_PROXY=${noProxy}: ${viaProxy ? 'through the proxy' : 'direct'}`);
  }
});

t.test("proxyUrl: this upstream's proxy, its credentials for the proxy alone, never logged", async (t) => {
  const proxy = await connectProxy();
  const backend = await captureServer();
  t.teardown(async () => {
    await proxy.close();
    await backend.close();
  });
  const proxyUrl = `http://team:proxy-secret@127.0.0.1:${proxy.port}`;
  const tb = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: backend.url, proxyUrl, retry: FAST_RETRY }] });
  t.teardown(() => tb.close());
  t.equal((await post(tb.url)).status, 200);
  await backend.waitFor(1);
  t.equal(proxy.connects.length, 1, 'through the proxy (an explicit proxyUrl applies to loopback too)');
  t.equal(proxy.connects[0].headers['proxy-authorization'], 'Basic ' + Buffer.from('team:proxy-secret').toString('base64'), 'the proxy got its credentials');
  t.notOk(backend.requests[0].headers['proxy-authorization'], 'the upstream did not');
  t.notOk(
    tb.logs.some((l) => l.includes('proxy-secret')),
    'not in the logs',
  );
});
