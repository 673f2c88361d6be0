// What a kill can leave in the dead letters — a note cut short, a batch half-written — never stops
// the next start, the status page or `deadletter list`, and a half-written batch is never kept.
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli, spawnServe } from '../helpers/cli.js';
import { fakeLangtrace } from '../helpers/upstreams.js';

t.test('a note cut short and a half-written batch after a kill', async (t) => {
  const langtrace = await fakeLangtrace({ key: 'L' });
  t.teardown(() => langtrace.close());
  const dir = mkdtempSync(join(tmpdir(), 'tb-crash-files-'));
  const data = join(dir, 'data');
  const dead = join(data, 'deadletter', 'langtrace');
  mkdirSync(dead, { recursive: true, mode: 0o700 });
  writeFileSync(join(dead, 'a.json'), '{"reason": "queue fu', { mode: 0o600 });
  writeFileSync(join(dead, 'a.batch'), '{"v":1,"spans":1,"createdAt":1,"requests":[]}\n', { mode: 0o600 });
  writeFileSync(join(dead, 'b.batch.tmp'), '{"v":1,"spa', { mode: 0o600 });
  const config = join(dir, 'tracebridge.yaml');
  writeFileSync(
    config,
    stringify({
      listen: '127.0.0.1:0',
      grpcListen: 'off',
      dataDir: data,
      upstreams: [{ name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L' } }],
    }),
  );
  const tb = spawnServe(['--config', config]);
  t.teardown(() => void tb.child.kill('SIGKILL'));
  const url = await tb.url;
  t.equal((await fetch(`${url}/status.json`)).status, 200, 'started, and the status page reads the dead letters');
  t.notOk(existsSync(join(dead, 'b.batch.tmp')), 'the half-written batch is removed, never taken as kept');
  t.ok(existsSync(join(dead, 'a.batch')), 'the batch whose note was cut short stays a dead letter for a person');
  const list = await runCli(['deadletter', 'list', '--data-dir', data, '--config', config]);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout.toString(), /langtrace/);
  tb.child.kill('SIGTERM');
  await tb.exited;
});
