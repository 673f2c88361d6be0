// Idle connections (issue #25, item 11): 200 sockets that send nothing used to hold every
// connection for 14.6 s. Now one address holds at most maxConnectionsPerClient (past it a new
// one is closed at once), a socket that sends no request head is closed after headersTimeoutMs,
// and a keep-alive connection with no request after idleTimeoutMs.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { fakeWeave } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

const basic = (key: string) => 'Basic ' + Buffer.from('api:' + key).toString('base64');
const SPAN = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'x' }] }] }] });

interface Idle {
  socket: Socket;
  closed: boolean;
  /** When it closed, from when it was opened. */
  closedAfterMs?: number;
}

/** Opens `n` TCP connections from `localAddress` that never send a byte. */
function openIdle(port: number, n: number, localAddress: string): Idle[] {
  return Array.from({ length: n }, () => {
    const opened = Date.now();
    const idle: Idle = { socket: connect({ host: '127.0.0.1', port, localAddress }), closed: false };
    idle.socket.on('error', () => undefined);
    idle.socket.resume(); // reading, so the server's close is seen
    idle.socket.on('close', () => Object.assign(idle, { closed: true, closedAfterMs: Date.now() - opened }));
    return idle;
  });
}

t.test('one address cannot take every connection; idle and head-less ones are closed soon', async (t) => {
  const weave = await fakeWeave({ key: 'good' });
  const tb = await startProxy({
    upstreams: [{ name: 'weave', type: 'weave', url: weave.url, project: 'team/p', retry: FAST_RETRY, auth: { mode: 'static', key: 'good' } }],
    maxConnections: 20,
    maxConnectionsPerClient: 5,
    headersTimeoutMs: 1000,
    idleTimeoutMs: 500,
  });
  const port = Number(new URL(tb.url).port);
  const all: Idle[] = [];
  t.teardown(async () => {
    for (const s of all) s.socket.destroy();
    await tb.close();
    await weave.close();
  });

  // 30 sockets from 127.0.0.2, more than maxConnections: past the 5th, each is closed at once.
  const attacker = openIdle(port, 30, '127.0.0.2');
  all.push(...attacker);
  await waitFor(() => attacker.filter((s) => s.closed).length >= 25, 20_000, '25 connections past the per-client cap closed');
  const held = attacker.filter((s) => !s.closed);
  t.equal(held.length, 5, 'the address holds exactly maxConnectionsPerClient (5) connections');

  // Another client (127.0.0.1) is served meanwhile.
  const res = await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic('good') }, body: SPAN });
  t.equal(res.status, 200, 'another address still gets 200');
  await res.arrayBuffer();
  const refused = Number(((await (await fetch(`${tb.url}/metrics`)).text()).match(/tracebridge_requests_refused_total\{reason="client_connections"\} (\d+)/) ?? [])[1]);
  t.equal(refused, 25, 'counted in tracebridge_requests_refused_total{reason="client_connections"}');

  // The five that never sent a request head are closed by headersTimeoutMs (1 s).
  await Promise.all(held.map((s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.socket.once('close', () => resolve())))));
  t.ok(
    held.every((s) => s.closedAfterMs! >= 900),
    `head-less connections closed after headersTimeoutMs: ${held.map((s) => s.closedAfterMs).join(', ')} ms`,
  );

  // Now the address has room again; a keep-alive connection that stays idle after its answer is closed after idleTimeoutMs (0.5 s).
  const [keep] = openIdle(port, 1, '127.0.0.2');
  all.push(keep);
  let answer = '';
  let answeredAt = 0;
  keep.socket.on('data', (c) => {
    answer += c;
    if (!answeredAt && answer.includes('\r\n\r\n')) answeredAt = Date.now();
  });
  keep.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
  await new Promise<void>((resolve) => (keep.closed ? resolve() : keep.socket.once('close', () => resolve())));
  t.match(answer, /^HTTP\/1\.1 200 /, 'the request on it was answered');
  t.ok(Date.now() - answeredAt >= 400, `and it was closed ${Date.now() - answeredAt} ms after the answer (idleTimeoutMs 500)`);
});

t.test('defaults: 10 s for a request head, 5 s idle, 64 connections per client', async (t) => {
  const { configSchema } = await import('../../src/config/schema.js');
  const c = configSchema.parse({});
  t.same([c.headersTimeoutMs, c.idleTimeoutMs, c.maxConnectionsPerClient], [10_000, 5_000, 64]);
  const { serverOptions } = await import('../../src/receive/connections.js');
  t.same(serverOptions(c), { requestTimeout: 30_000, headersTimeout: 10_000, connectionsCheckingInterval: 2_500 }, 'checked every 2.5 s: closed within 12.5 s');
});
