// Usage errors are one line and exit 2, naming the fix: a missing key names the flag and the
// variable, swapped arguments say the order, a bad value says which flag (never a raw list of
// schema issues). Each deadletter action has its own --help.
import t, { type Test } from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { fakeWeave } from '../helpers/upstreams.js';
import { encodeOtlpJson } from '../../src/wire/otlp-json.js';
import { history } from './history.js';

const dir = mkdtempSync(join(tmpdir(), 'tb-usage-'));
const file = join(dir, 'export', 'a.json');
writeFileSync(join(dir, 'a.json'), encodeOtlpJson(history(1, 3)));
const input = join(dir, 'a.json');
const URL = 'http://127.0.0.1:9';
const NO_KEYS = { WANDB_API_KEY: '', LANGTRACE_API_KEY: '', TRACEBRIDGE_DATA_DIR: join(dir, 'data') };

async function usageError(t: Test, args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}) {
  const r = await runCli(args, undefined, { ...NO_KEYS, ...env });
  t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
  t.equal(r.stderr.split('\n').length, 2, `${args.join(' ')}: one line (${r.stderr.trim()})`);
  t.match(r.stderr, pattern, args.join(' '));
  t.notMatch(r.stderr, /^tracebridge: \[/, 'not a raw JSON array');
  return r;
}

t.test('a missing key is a usage error naming the flag and the variable, and nothing is sent', async (t) => {
  const weave = await fakeWeave({ key: 'W' });
  t.teardown(() => weave.close());
  await usageError(t, ['replay', '--to', 'weave', weave.url, '--weave-project', 'me/p', input], /replay --to weave needs a key: --key KEY or WANDB_API_KEY/);
  await usageError(t, ['replay', '--to', 'langtrace', weave.url, input], /replay --to langtrace needs a key: --key KEY or LANGTRACE_API_KEY/);
  t.equal(weave.hits.length, 0, 'no request without a credential');
  const otlp = await runCli(['replay', '--to', 'otlp', weave.url + '/otel/v1/traces', input], undefined, NO_KEYS);
  t.not(otlp.code, 2, 'an OTLP backend may need no key');
});

t.test('swapped arguments and every other usage error: one line, exit 2', async (t) => {
  await usageError(t, ['replay', '--to', 'weave', dir, URL], /the URL comes first, then the files: replay --to weave URL FILE_OR_DIR/, { WANDB_API_KEY: 'k' });
  await usageError(t, ['replay', '--to', 'weave', 'not-a-url', input], /needs the backend's URL \(http:\/\/ or https:\/\/\) before the files, got "not-a-url"/, {
    WANDB_API_KEY: 'k',
  });
  await usageError(t, ['replay', '--to', 'otlp', URL], /at least one file or folder after the URL/);
  await usageError(t, ['replay', '--to', 'weave', URL, '--key', 'k', '--weave-project', 'noslash', input], /--weave-project: expected ENTITY\/PROJECT/);
  await usageError(t, ['replay', '--to', 'weave', URL, '--key', 'k', input], /needs --weave-project ENTITY\/PROJECT/);
  await usageError(t, ['replay', '--to', 'otlp', URL, '--batch', '0', input], /--batch must be a positive whole number, got "0"/);
  await usageError(t, ['replay', '--to', 'otlp', URL, '--batch', '2.5', input], /--batch must be a positive whole number/);
  await usageError(t, ['replay', '--to', 'otlp', URL, '--rate', 'fast', input], /--rate must be a positive number/);
  await usageError(t, ['replay', '--to'], /argument missing/);
  await usageError(t, ['replay', '--to', 'honeycomb', URL, input], /replay needs --to weave, langtrace or otlp/);
  await usageError(t, ['convert'], /convert needs --to FORMAT/);
  await usageError(t, ['convert', '--to', 'otlp-json', input, join(dir, 'out.json'), file], /convert takes one input \(a file, a folder or -\) and one output, not 3 arguments/);
  await usageError(t, ['inspect', '--from', 'bogus', input], /--from format/);
  await usageError(t, ['deadletter'], /deadletter needs list, replay or purge/);
  await usageError(t, ['deadletter', 'lst'], /unknown deadletter action "lst"/);
  await usageError(t, ['deadletter', 'list', 'weave'], /takes no argument after the action/);
  await usageError(t, ['serve', 'extra'], /Unexpected argument 'extra'/);
  await usageError(t, [], /no command given: convert, serve, deadletter, inspect, replay/);
});

t.test('each deadletter action has its own help', async (t) => {
  const texts = new Set<string>();
  for (const action of ['list', 'replay', 'purge']) {
    const r = await runCli(['deadletter', action, '--help']);
    t.equal(r.code, 0);
    t.match(r.stdout.toString(), new RegExp(`^usage: tracebridge deadletter ${action} \\[options\\]`));
    texts.add(r.stdout.toString());
  }
  t.equal(texts.size, 3, 'three different texts');
  t.match((await runCli(['deadletter', 'purge', '--help'])).stdout.toString(), /--yes/);
  t.match((await runCli(['deadletter', 'replay', '--help'])).stdout.toString(), /--batch SPANS/);
  t.match((await runCli(['help', 'deadletter', 'list'])).stdout.toString(), /^usage: tracebridge deadletter list/);
});
