// Early refusals heard, not reset (issue #25, item 12): with 48 concurrent 15 MB uploads, 16
// clients saw a connection reset instead of the 503 the proxy sent before reading their body.
// Now the refused upload is read and thrown away for a while (1 MiB or 2 s) after the answer,
// which says Connection: close, and `Expect: 100-continue` is answered with the refusal.
import t, { type Test } from 'tap';
import { request } from 'node:http';
import { fakeWeave } from '../helpers/upstreams.js';
import { startProxy, spawnProxy, FAST_RETRY } from '../helpers/proxy.js';

const SIZE = 15 * 1024 * 1024;
const CHUNK = 256 * 1024;
const span = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'x', startTimeUnixNano: '1', endTimeUnixNano: '2' };
const JSON_BODY = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });
/** A valid OTLP/JSON body padded to SIZE with whitespace. */
const BIG = Buffer.alloc(SIZE, 0x20);
BIG.write(JSON_BODY);

interface Outcome {
  status?: number;
  connection?: string;
  error?: string;
  continued: boolean;
  sent: number;
}

/**
 * Uploads `body` as a careful client does (curl, Go's net/http): in chunks, and no more once the
 * whole answer is in. With `expect`, the body is sent only after 100 Continue.
 */
function upload(url: string, body: Buffer, headers: Record<string, string> = {}, expect = false): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  const out: Outcome = { continued: false, sent: 0 };
  return new Promise((resolve) => {
    let stop = false;
    const req = request({
      host: hostname,
      port,
      method: 'POST',
      path: '/v1/traces',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...(expect ? { expect: '100-continue' } : {}), ...headers },
    });
    const pump = () => {
      while (!stop && out.sent < body.length) {
        const n = Math.min(CHUNK, body.length - out.sent);
        const more = req.write(body.subarray(out.sent, out.sent + n));
        out.sent += n;
        if (!more) return void req.once('drain', pump);
      }
      if (!stop) req.end();
    };
    req.on('continue', () => ((out.continued = true), pump()));
    req.on('response', (res) => {
      out.status = res.statusCode;
      out.connection = res.headers.connection;
      res.resume();
      res.on('end', () => {
        stop = true;
        req.destroy();
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => (out.error ??= e.code ?? e.message));
    req.on('close', () => resolve(out));
    if (!expect) pump();
  });
}

async function proxy(t: Test, config: Record<string, unknown> = {}) {
  const weave = await fakeWeave({ key: 'good' });
  const tb = await startProxy({
    upstreams: [{ name: 'weave', type: 'weave', url: weave.url, project: 'team/p', retry: FAST_RETRY, auth: { mode: 'static', key: 'good' } }],
    ...config,
  });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  return tb;
}

/** In a process of its own, as in production: the resets showed there (8 of 48 before the drain), not in-process. */
async function spawned(t: Test) {
  const weave = await fakeWeave({ key: 'good' });
  const tb = await spawnProxy({ upstreams: [{ name: 'weave', type: 'weave', url: weave.url, project: 'team/p', retry: FAST_RETRY, auth: { mode: 'static', key: 'good' } }] });
  t.teardown(async () => {
    await tb.stop();
    await weave.close();
  });
  return tb;
}

t.test('48 concurrent 15 MB uploads over the in-flight budget: every one hears its answer', async (t) => {
  const tb = await spawned(t);
  const outcomes = await Promise.all(Array.from({ length: 48 }, () => upload(tb.url, BIG)));
  const statuses: Record<string, number> = {};
  for (const o of outcomes) statuses[o.status ?? 'none'] = (statuses[o.status ?? 'none'] ?? 0) + 1;
  const errors = outcomes.filter((o) => o.error).map((o) => `${o.error} (status ${o.status ?? 'none'})`);
  t.same(errors, [], 'no client saw a reset or a broken pipe');
  t.equal(statuses.none, undefined, `every client got an HTTP status: ${JSON.stringify(statuses)}`);
  t.ok(statuses['503'] > 0, `some were refused for lack of room: ${statuses['503']}`);
  t.ok(statuses['200'] > 0, `some were taken: ${statuses['200']}`);
  // Refused before the whole body was read (the others were refused after it, on a reusable connection).
  const early = outcomes.filter((o) => o.status === 503 && o.sent < SIZE);
  t.ok(early.length > 0 && early.every((o) => o.connection === 'close'), `a refusal before the body says Connection: close (${early.length})`);
});

t.test('Expect: 100-continue: a refusal instead of 100 Continue, nothing uploaded', async (t) => {
  const tb = await proxy(t, { inboundKeys: ['open'], maxBodyBytes: 1_000_000, maxBodyBytesInFlight: 2_000_000 });
  const small = Buffer.from(JSON_BODY);
  const tooBig = await upload(tb.url, BIG, { 'x-api-key': 'open' }, true);
  t.match(tooBig, { status: 413, continued: false, sent: 0, connection: 'close' }, 'over maxBodyBytes: 413, no body sent');
  t.equal(tooBig.error, undefined);
  const noKey = await upload(tb.url, small, { 'x-api-key': 'wrong' }, true);
  t.match(noKey, { status: 401, continued: false, sent: 0 }, 'a wrong inbound key: 401, no body sent');
  const good = await upload(tb.url, small, { 'x-api-key': 'open' }, true);
  t.match(good, { status: 200, continued: true, sent: small.length }, 'an admitted request gets 100 Continue, sends its body and gets 200');
  t.equal(good.error, undefined);
});
