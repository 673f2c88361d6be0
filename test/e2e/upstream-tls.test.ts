// An HTTPS upstream signed by a private CA (made with openssl in a temp dir): trusted through
// tls.ca or NODE_EXTRA_CA_CERTS, refused without; tls.serverName; a client certificate for an
// upstream that requires one (mTLS); insecureSkipVerify; an unreadable file refused at start.
import { postOneSpan } from '../helpers/spans.js';
import t, { type Test } from 'tap';
import { createServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { makePki } from '../forward/certs.js';
import { startProxy, spawnProxy, FAST_RETRY } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const pki = makePki();

interface Upstream {
  url: string;
  hits: Array<{ servername: string | false | null; clientCert: boolean }>;
  close(): Promise<void>;
}

async function httpsUpstream(options: ServerOptions = {}): Promise<Upstream> {
  const hits: Upstream['hits'] = [];
  const server = createServer({ cert: pki.read(pki.serverCert), key: pki.read(pki.serverKey), ...options }, (req, res) => {
    const socket = req.socket as TLSSocket;
    req.resume();
    req.on('end', () => {
      hits.push({ servername: socket.servername, clientCert: Boolean(socket.getPeerCertificate()?.subject) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const post = postOneSpan;

/** Sends one span through a proxy with this upstream config; resolves with what the upstream saw, or the proxy's last error. */
async function attempt(t: Test, up: Upstream, extra: Record<string, unknown>): Promise<{ delivered: boolean; error?: string }> {
  const tb = await startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: up.url, retry: FAST_RETRY, ...extra }] });
  t.teardown(() => tb.close());
  const before = up.hits.length;
  t.equal((await post(tb.url)).status, 200);
  const activity = tb.proxy.upstreams[0].activity;
  await waitFor(() => up.hits.length > before || activity.lastError !== undefined, 10_000, 'delivered or failed');
  return { delivered: up.hits.length > before, error: activity.lastError?.reason };
}

t.test('a private CA: trusted with tls.ca, refused without it', async (t) => {
  const up = await httpsUpstream();
  t.teardown(() => up.close());
  t.match(await attempt(t, up, { tls: { ca: pki.ca } }), { delivered: true }, 'tls.ca: delivered');
  const refused = await attempt(t, up, {});
  t.match(refused, { delivered: false, error: /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/ }, `without it: ${refused.error}`);
});

t.test('tls.serverName: the name checked and sent as SNI', async (t) => {
  const up = await httpsUpstream();
  t.teardown(() => up.close());
  t.match(await attempt(t, up, { tls: { ca: pki.ca, serverName: 'upstream.internal' } }), { delivered: true });
  t.equal(up.hits.at(-1)?.servername, 'upstream.internal', 'sent as SNI');
  const wrong = await attempt(t, up, { tls: { ca: pki.ca, serverName: 'elsewhere.internal' } });
  t.match(wrong, { delivered: false, error: /ERR_TLS_CERT_ALTNAME_INVALID/ }, 'a name the certificate does not hold: refused');
});

t.test('mTLS: a client certificate for an upstream that requires one', async (t) => {
  const up = await httpsUpstream({ requestCert: true, rejectUnauthorized: true, ca: pki.read(pki.ca) });
  t.teardown(() => up.close());
  t.match(await attempt(t, up, { tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } }), { delivered: true }, 'with tls.cert and tls.key: delivered');
  t.ok(up.hits.at(-1)?.clientCert, 'the upstream saw the client certificate');
  t.match(await attempt(t, up, { tls: { ca: pki.ca } }), { delivered: false }, 'without: refused by the upstream');
});

t.test('insecureSkipVerify accepts a self-signed upstream', async (t) => {
  const up = await httpsUpstream({ cert: pki.read(pki.selfSignedCert), key: pki.read(pki.selfSignedKey) });
  t.teardown(() => up.close());
  t.match(await attempt(t, up, {}), { delivered: false, error: /SELF_SIGNED|self-signed/ }, 'refused by default');
  t.match(await attempt(t, up, { tls: { insecureSkipVerify: true } }), { delivered: true }, 'accepted when told');
});

t.test('NODE_EXTRA_CA_CERTS: the CA trusted for every upstream, without tls.ca', async (t) => {
  const up = await httpsUpstream();
  t.teardown(() => up.close());
  process.env.NODE_EXTRA_CA_CERTS = pki.ca;
  const proxy = await spawnProxy({ logLevel: 'warn', upstreams: [{ name: 'otlp', type: 'otlp', url: up.url, retry: FAST_RETRY }] }).finally(
    () => delete process.env.NODE_EXTRA_CA_CERTS,
  );
  t.teardown(() => proxy.stop());
  t.equal((await post(proxy.url)).status, 200);
  await waitFor(() => up.hits.length === 1, 10_000, 'delivered');
  t.pass('delivered');
});

t.test('a tls file that cannot be read: refused at start, with its path', async (t) => {
  await t.rejects(
    startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: 'https://127.0.0.1:1', tls: { ca: '/nonexistent/ca.pem' } }] }),
    /cannot read the file \/nonexistent\/ca\.pem/,
  );
  await t.rejects(startProxy({ upstreams: [{ name: 'otlp', type: 'otlp', url: 'https://127.0.0.1:1', tls: { cert: pki.clientCert } }] }), /tls\.cert and tls\.key go together/);
});
