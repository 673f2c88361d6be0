// SIGKILL while single-span requests are being coalesced for an upstream, then a restart on the
// same data dir: every acknowledged span arrives. Killed while the batch is still gathering (only
// in memory, its requests in the journal), and while the coalesced request hangs at the upstream.
import t, { type Test } from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnServe } from '../helpers/cli.js';
import { fakeWeave, duplicates, type FakeUpstream } from '../helpers/upstreams.js';
import { until, waitFor } from '../helpers/wait.js';

let next = 0;
const oneSpan = (id: string) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [] },
        scopeSpans: [{ scope: { name: 's' }, spans: [{ traceId: id.repeat(2), spanId: id, name: 'op', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }],
      },
    ],
  });

async function setup(t: Test, timeoutMs: number) {
  const weave = await fakeWeave({ key: 'W' });
  const dir = mkdtempSync(join(tmpdir(), 'tb-coalesce-crash-'));
  const config = join(dir, 'tracebridge.yaml');
  const retry = { initialMs: 20, multiplier: 1.5, randomization: 0, maxIntervalMs: 200, maxElapsedMs: 60_000 };
  const upstream = { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'W' }, retry, timeoutMs: 60_000, batch: { timeoutMs } };
  writeFileSync(config, stringify({ listen: '127.0.0.1:0', grpcListen: 'off', dataDir: join(dir, 'data'), logLevel: 'warn', upstreams: [upstream] }));
  t.teardown(() => weave.close());
  return { weave, serve: () => spawnServe(['--config', config]) };
}

/** Sends `n` single-span requests, four at a time; resolves with the acknowledged span ids. */
async function sendSpans(url: string, n: number): Promise<string[]> {
  const acked: string[] = [];
  let left = n;
  const lane = async () => {
    while (left-- > 0) {
      const id = (++next).toString(16).padStart(16, '0');
      const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: oneSpan(id) });
      if (res.status === 200) acked.push(id);
    }
  };
  await Promise.all([1, 2, 3, 4].map(lane));
  return acked;
}

async function restartAndCheck(t: Test, weave: FakeUpstream, serve: () => ReturnType<typeof spawnServe>, acked: string[]) {
  const second = serve();
  await second.url;
  t.teardown(() => second.stop());
  const ids = () => new Set(weave.spans().map((s) => s.spanId));
  t.ok(await until(() => acked.every((id) => ids().has(id)), 30_000), `every one of the ${acked.length} acknowledged spans arrived after the restart`);
  t.equal(duplicates(weave.spans()), 0, 'none twice');
  t.ok(weave.accepted.length < acked.length / 4, `in ${weave.accepted.length} requests`);
}

t.test('killed while a batch gathers: nothing acknowledged is lost', async (t) => {
  const { weave, serve } = await setup(t, 5_000);
  const first = serve();
  const url = await first.url;
  const acked = await sendSpans(url, 60);
  // The batch waits 5 s for more: it is still gathering, in memory only.
  t.equal(weave.received, 0, 'nothing sent yet');
  first.child.kill('SIGKILL');
  await first.exited;
  t.equal(acked.length, 60);
  await restartAndCheck(t, weave, serve, acked);
});

t.test('killed while the coalesced request hangs at the upstream: nothing acknowledged is lost', async (t) => {
  const { weave, serve } = await setup(t, 300);
  weave.hang = true;
  const first = serve();
  const url = await first.url;
  const acked = await sendSpans(url, 60);
  await waitFor(() => weave.received >= 1, 10_000, 'a coalesced request on the wire');
  first.child.kill('SIGKILL');
  await first.exited;
  weave.hang = false;
  await restartAndCheck(t, weave, serve, acked);
});
