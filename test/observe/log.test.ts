// The log as an operator reads it: JSON or text lines, never a key, an upstream's repeated
// failures summarised with a count, a client's retry (dedup) at debug.
import t from 'tap';
import { Writable } from 'node:stream';
import { createLogger, textLine } from '../../src/observe/log.js';
import { startCli } from '../helpers/cli.js';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

function lines() {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { out, stream };
}

t.test("an upstream's repeated errors: one line per reason per interval, with a count", async (t) => {
  const { out, stream } = lines();
  const log = createLogger('info', stream, { summaryMs: 200 });
  for (let i = 0; i < 50; i++) log.warn({ upstream: 'weave', reason: 'HTTP 503', delayMs: i, spans: 2 }, 'upstream failed, retrying');
  for (let i = 0; i < 20; i++) log.warn({ upstream: 'weave', reason: 'ECONNREFUSED: connect', spans: 1 }, 'upstream failed, retrying');
  log.warn({ upstream: 'langtrace', reason: 'HTTP 503', spans: 1 }, 'upstream failed, retrying');
  log.info({ upstream: 'weave' }, 'resuming batches queued before the last stop');
  t.equal(out.length, 4, 'the first of each upstream and reason at once, info untouched');
  await waitFor(() => out.length === 6, 5000, 'the summaries');
  const summaries = out.slice(4).map((l) => JSON.parse(l));
  const s503 = summaries.find((s) => s.reason === 'HTTP 503');
  t.match(s503, { level: 'warn', upstream: 'weave', repeated: 49, spans: 98, msg: 'upstream failed, retrying (49 more times in the last 0 s)' });
  t.match(
    summaries.find((s) => s.reason === 'ECONNREFUSED: connect'),
    { repeated: 19, spans: 19 },
  );
  log.warn({ upstream: 'weave', reason: 'HTTP 503' }, 'upstream failed, retrying');
  t.equal(out.length, 7, 'a new interval logs the first again');
  log.error({ upstream: 'weave', reason: 'HTTP 503; retried for 12 s' }, 'upstream still failing after the retry budget');
  log.error({ upstream: 'weave', reason: 'HTTP 503; retried for 14 s' }, 'upstream still failing after the retry budget');
  t.equal(out.length, 8, 'the elapsed time is not a new reason');
});

t.test('text format: one readable line per event, keys redacted', async (t) => {
  const { out, stream } = lines();
  const log = createLogger('info', stream, { format: 'text' });
  log.info({ upstream: 'weave', headers: { authorization: 'Bearer secret-1' }, note: 'two words' }, 'sent');
  await waitFor(() => out.length === 1);
  t.match(out[0], /^\d{4}-\d\d-\d\dT\S+ INFO sent upstream=weave headers=\{"authorization":"\[redacted\]"\} note="two words"$/);
  t.equal(textLine({ level: 'warn', time: 't', msg: 'm' }), 't WARN m\n');
});

t.test('serve --log-format text: no JSON line; json: every log line is JSON', async (t) => {
  const text = startCli(['serve', '--listen', '127.0.0.1:0', '--log-format', 'text', '--data-dir', t.testdirName]);
  t.teardown(() => void text.child.kill('SIGKILL'));
  await waitFor(() => /no upstream configured/.test(text.stderr()) && text.stdout().endsWith('\n'), 10_000, 'the start-up lines');
  t.match(text.stderr(), / WARN no upstream configured: batches go to the local sink/);
  t.notMatch(text.stderr(), /^\{/m);
  t.match(text.stdout(), /^tracebridge listening on http:\/\/127\.0\.0\.1:\d+\n$/, 'stdout: the start line alone');
  const json = startCli(['serve', '--listen', '127.0.0.1:0', '--data-dir', t.testdirName], { TRACEBRIDGE_LOG_FORMAT: 'json' });
  t.teardown(() => void json.child.kill('SIGKILL'));
  await waitFor(() => /"msg":"listening"/.test(json.stderr()) && json.stdout().endsWith('\n'), 10_000, 'the start-up lines');
  for (const l of json.stderr().split('\n').filter(Boolean)) t.doesNotThrow(() => JSON.parse(l), `JSON: ${l.slice(0, 60)}`);
  t.notMatch(json.stdout(), /\{/, 'no JSON on stdout');
});

t.test("a client's retry of a request already taken is logged at debug", async (t) => {
  const tb = await startProxy({ upstreams: [] });
  t.teardown(tb.close);
  const body = JSON.stringify({
    resourceSpans: [
      { resource: { attributes: [] }, scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 's', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] },
    ],
  });
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    t.equal(res.status, 200);
  }
  const hits = tb.logs.filter((l) => l.includes('repeated request already taken')).map((l) => JSON.parse(l));
  t.equal(hits.length, 1);
  t.equal(hits[0].level, 'debug');
});
