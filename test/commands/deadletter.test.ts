// `tracebridge deadletter`: a missing data dir or an unknown upstream is an error, purging
// everything asks first (or refuses without a terminal), replay sends several dead letters per
// request (up to --batch spans), and each action has its own help (see usage.test.ts).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { loadMappings } from '../../src/conventions/mappings.js';
import { prepare } from '../../src/forward/prepare.js';
import { writeDeadLetter } from '../../src/forward/spool.js';
import { CLI, runCli } from '../helpers/cli.js';
import { duplicates, fakeLangtrace, fakeWeave, langtraceSees } from '../helpers/upstreams.js';
import { history } from './history.js';

/** `n` one-span dead letters for an upstream, as the proxy writes them after a 401. */
async function deadLetters(dataDir: string, type: 'weave' | 'langtrace', url: string, n: number): Promise<void> {
  const u = configSchema.parse({ upstreams: [{ name: type, type, url, project: 'me/p', auth: { mode: 'static', key: 'OLD' } }] }).upstreams[0];
  for (let i = 0; i < n; i++) {
    const d = prepare(u, history(i + 1, 1), { key: 'OLD', project: 'me/p', source: 'config' }, loadMappings());
    await writeDeadLetter(d, `${String(i).padStart(6, '0')}`, join(dataDir, 'deadletter', type), { reason: 'HTTP 401', status: 401, spans: 1 });
  }
}

const batches = (dataDir: string, up: string) => readdirSync(join(dataDir, 'deadletter', up)).filter((f) => f.endsWith('.batch')).length;

t.test('a missing data dir and an unknown upstream are errors, not "no dead letters"', async (t) => {
  const missing = await runCli(['deadletter', 'list', '--data-dir', '/nonexistent/tb']);
  t.same([missing.code, missing.stderr], [2, "tracebridge: no data dir at /nonexistent/tb: give the proxy's --data-dir or --config (see tracebridge deadletter list --help)\n"]);
  const data = mkdtempSync(join(tmpdir(), 'tb-dead-'));
  await deadLetters(data, 'weave', 'http://127.0.0.1:9', 2);
  mkdirSync(join(data, 'queue', 'langtrace'), { recursive: true });
  const nosuch = await runCli(['deadletter', 'list', '--data-dir', data, '--upstream', 'nosuch']);
  t.equal(nosuch.code, 2);
  t.match(nosuch.stderr, /^tracebridge: no upstream "nosuch" in .* \(known: langtrace, weave\)/);
  t.equal(nosuch.stderr.split('\n').length, 2, 'one line');
  const none = await runCli(['deadletter', 'list', '--data-dir', data, '--upstream', 'langtrace']);
  t.same([none.code, none.stdout.toString()], [0, 'no dead letters\n'], 'a known upstream with none');
  const purgeUnknown = await runCli(['deadletter', 'purge', '--data-dir', data, '--upstream', 'nosuch']);
  t.equal(purgeUnknown.code, 2);
});

t.test('purge of everything asks first; without a terminal it refuses unless --yes', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'tb-dead-'));
  await deadLetters(data, 'weave', 'http://127.0.0.1:9', 3);
  await deadLetters(data, 'langtrace', 'http://127.0.0.1:9', 2);
  const refused = await runCli(['deadletter', 'purge', '--data-dir', data]);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /deadletter purge would delete all 5 dead letters \(5 spans\) of every upstream: add --yes, or --upstream NAME/);
  t.same([batches(data, 'weave'), batches(data, 'langtrace')], [3, 2], 'nothing deleted');
  // On a terminal (script(1) gives it one), "n" keeps them.
  const ask = (answer: string) => {
    try {
      return execFileSync('script', ['-qec', `"${process.execPath}" "${CLI}" deadletter purge --data-dir "${data}"`, '/dev/null'], { input: answer, encoding: 'utf8' });
    } catch (err) {
      return String((err as { stdout?: string }).stdout);
    }
  };
  if (existsSync('/usr/bin/script')) {
    t.match(ask('n\n'), /delete all 5 dead letters \(5 spans\) of every upstream\? \[y\/N\][\s\S]*nothing purged/);
    t.same([batches(data, 'weave'), batches(data, 'langtrace')], [3, 2], '"n": nothing deleted');
  }
  const one = await runCli(['deadletter', 'purge', '--data-dir', data, '--upstream', 'langtrace']);
  t.same([one.code, one.stdout.toString()], [0, 'purged 2 batches (2 spans)\n'], 'one upstream: no question');
  const all = await runCli(['deadletter', 'purge', '--data-dir', data, '--yes']);
  t.same([all.code, all.stdout.toString()], [0, 'purged 3 batches (3 spans)\n']);
});

t.test('replay sends dead letters several per request, up to --batch spans', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  const langtrace = await fakeLangtrace({ key: 'L' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  const data = mkdtempSync(join(tmpdir(), 'tb-dead-'));
  await deadLetters(data, 'weave', weave.url, 171);
  await deadLetters(data, 'langtrace', langtrace.url, 30);
  const env = { WANDB_API_KEY: 'W', LANGTRACE_API_KEY: 'L' };
  const flags = ['--data-dir', data, '--weave', weave.url, '--weave-project', 'me/p', '--langtrace', langtrace.url];
  const small = await runCli(['deadletter', 'replay', ...flags, '--upstream', 'weave', '--batch', '50'], undefined, env);
  t.equal(small.code, 0, small.stdout.toString() + small.stderr);
  t.equal(weave.hits.length, 4, '171 one-span dead letters in 4 requests of at most 50 spans');
  t.match(small.stdout.toString(), /weave: 50 batches, 50 spans: delivered[\s\S]*weave: 21 batches, 21 spans: delivered\nreplayed 171 batches: 171 delivered, 0 kept/);
  t.equal(weave.spans().length, 171);
  t.equal(duplicates(weave.spans()), 0);
  t.equal(weave.accepted[0].headers['wandb-api-key'], 'W', 'with the configured key');
  const rest = await runCli(['deadletter', 'replay', ...flags], undefined, env);
  t.equal(rest.code, 0, rest.stdout.toString());
  t.equal(langtrace.hits.length, 1, "Langtrace's 30 in one request (--batch 500)");
  t.equal(langtrace.spans().length, 30);
  t.equal(langtraceSees(langtrace.spans()[0]).model, 'gpt-4', 'still translated for Langtrace');
  t.same([batches(data, 'weave'), batches(data, 'langtrace')], [0, 0], 'delivered ones removed');
});

t.test('a refused merged request keeps all its dead letters', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  t.teardown(() => weave.close());
  const data = mkdtempSync(join(tmpdir(), 'tb-dead-'));
  await deadLetters(data, 'weave', weave.url, 5);
  const r = await runCli(['deadletter', 'replay', '--data-dir', data, '--weave', weave.url, '--weave-project', 'me/p'], undefined, { WANDB_API_KEY: 'STILL-WRONG' });
  t.equal(r.code, 1);
  t.match(r.stdout.toString(), /weave: 5 batches, 5 spans: still failing \(HTTP 401 .*Unauthorized.*\); kept\nreplayed 5 batches: 0 delivered, 5 kept/);
  t.equal(batches(data, 'weave'), 5);
});
