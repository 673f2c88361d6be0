// `tracebridge migrate` against loopback stand-ins of both query APIs, paging included: Weave's
// calls into Langtrace, read back with Langtrace's rules; Langtrace's traces into Weave, read
// back with Weave's; --dry-run; keys missing or refused on either side.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { duplicates, fakeLangtrace, fakeWeave, langtraceSees, weaveSees } from '../helpers/upstreams.js';
import { fakeLangtraceHistory, fakeWeaveHistory, langtraceTraces, weaveCalls } from '../helpers/history-sources.js';
import type { Span } from '../../src/model/batch.js';
import { unique } from './history.js';

const NO_KEYS = { WANDB_API_KEY: '', LANGTRACE_API_KEY: '', TRACEBRIDGE_WEAVE_PROJECT: '' };
const data = () => join(mkdtempSync(join(tmpdir(), 'tb-migrate-')), 'data');

t.setTimeout(120_000);
const byName = (spans: Span[], name: string) => spans.filter((s) => s.name === name);
const attr = (s: Span, k: string) => s.attributes.get(k);

t.test('Weave → Langtrace: 3 pages of calls, shown by Langtrace as the same calls', async (t) => {
  const weave = await fakeWeaveHistory({ key: 'WK', project: 'team/proj', calls: weaveCalls(120) });
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  const args = ['migrate', '--from', 'weave', weave.url, '--project', 'team/proj', '--to', 'langtrace', langtrace.url, '--data-dir', data()];
  const run = await runCli(args, undefined, { ...NO_KEYS, WANDB_API_KEY: 'WK', LANGTRACE_API_KEY: 'LK' });
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout.toString(), 'migrate: Weave project team/proj: 480 spans read: 480 sent, 0 rejected, 0 already sent before');
  t.same(
    weave.queries.map((q) => [q.status, q.body.offset, q.body.limit]),
    [
      [200, 0, 200],
      [200, 200, 200],
      [200, 400, 200],
    ],
    'three pages, by offset',
  );
  t.same(weave.queries[0].body.sort_by, [
    { field: 'started_at', direction: 'asc' },
    { field: 'id', direction: 'asc' },
  ]);
  const spans = langtrace.spans();
  t.equal(unique(spans), 480);
  t.equal(duplicates(spans), 0);

  const llm = byName(spans, 'openai.chat.completions.create');
  t.equal(llm.length, 120);
  const shown = langtraceSees(
    llm.find((s) => attr(s, 'llm.request.messages')?.type === 'string' && String((attr(s, 'llm.request.messages') as { value: string }).value).includes('question 5'))!,
  );
  t.same(shown.prompt, [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'question 5' },
  ]);
  t.match(shown.completion, [{ role: 'assistant', content: 'answer 5' }]);
  t.equal(shown.model, 'gpt-4o-mini-2024-07-18');
  t.same([shown.usage.input, shown.usage.output, shown.type, shown.vendor], [12, 5, 'llm', 'openai']);
  const tokens = spans.reduce((n, s) => n + langtraceSees(s).usage.total, 0);
  t.equal(tokens, 120 * 17, "tokens counted once: the ancestors' rolled-up usage is not counted again");

  // The tree: answer_question → Plan step → the LLM call, answer_question → lookup.
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (const s of llm) {
    const plan = byId.get(s.parentSpanId)!;
    t.equal(plan?.name, 'Plan step');
    t.equal(byId.get(plan.parentSpanId)?.name, 'answer_question');
    t.equal(plan.traceId, s.traceId);
  }
  t.equal(spans.filter((s) => s.parentSpanId === '').length, 120, 'one root per trace');
  const failed = byName(spans, 'lookup').filter((s) => s.status.code === 2);
  t.equal(failed.length, 12, 'every failed lookup is an error');
  t.equal(failed[0].events.find((e) => e.name === 'exception')?.attributes.get('exception.message')?.type, 'string');
  t.match(failed[0].status.message, /^ValueError: lookup failed for \d+$/);
});

t.test('Langtrace → Weave: stored spans (hex and base64 ids, status text) shown by Weave', async (t) => {
  const source = await fakeLangtraceHistory({ key: 'LK', projectId: 'proj-1', traces: langtraceTraces(50) });
  const weave = await fakeWeave({ key: 'WK' });
  t.teardown(() => Promise.all([source.close(), weave.close()]));
  const args = ['migrate', '--from', 'langtrace', source.url, '--project', 'proj-1', '--to', 'weave', weave.url, '--weave-project', 'team/moved', '--data-dir', data()];
  const env = { ...NO_KEYS, WANDB_API_KEY: 'WK', LANGTRACE_API_KEY: 'LK' };
  const run = await runCli(args, undefined, env);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout.toString(), 'migrate: Langtrace project proj-1: 100 spans read: 100 sent, 0 rejected, 0 already sent before');
  t.same(
    source.queries.map((q) => q.body.page),
    [1, 2, 3],
    'pages 1 to 3 of 3 (20 traces a page), never past the end',
  );
  const spans = weave.spans();
  t.equal(unique(spans), 100);
  t.equal(duplicates(spans), 0);
  const child = (n: number) => spans.find((s) => s.traceId === (0xabc000 + n).toString(16).padStart(32, '0') && s.name.startsWith('openai'))!;
  for (const n of [4, 5]) {
    const s = child(n);
    t.ok(s, `trace ${n} (${n % 2 ? 'Python: base64' : 'TypeScript: hex'} ids) arrived with its ids as hex`);
    t.equal(s.spanId, (0x200000 + n).toString(16).padStart(16, '0'));
    t.equal(s.parentSpanId, (0x100000 + n).toString(16).padStart(16, '0'), 'its parent kept');
    const shown = weaveSees(s);
    t.match(shown.input, [{ role: 'user', content: `question ${n}` }]);
    t.match(shown.output, [{ role: 'assistant', content: `answer ${n}` }]);
    t.equal(shown.model, 'gpt-4-0613');
    t.same([shown.usage.input, shown.usage.output], [20, 8]);
  }
  const failed = spans.filter((s) => s.status.code === 2);
  t.equal(failed.length, 7, 'every failed call (ERROR and STATUS_CODE_ERROR) is an error');
  t.match(failed.map((s) => s.status.message).sort(), [/^rate limited \d+$/]);
  t.equal(weave.accepted[0].headers['project_id'], 'team/moved');
  const again = await runCli(args, undefined, env);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout.toString(), '0 spans read: 0 sent, 0 rejected, 0 already sent before');
  t.equal(source.queries.at(-1)?.body.page, 4, 'the re-run asks past the end and sees the repeated page for what it is');
  t.equal(weave.spans().length, 100, 'a re-run sends nothing');
});

t.test('--dry-run: counts and the first spans as Langtrace shows them; nothing sent', async (t) => {
  const weave = await fakeWeaveHistory({ key: 'WK', project: 'team/proj', calls: weaveCalls(120) });
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  const run = await runCli(['migrate', '--dry-run', '--from', 'weave', weave.url, '--project', 'team/proj', '--to', 'langtrace', langtrace.url, '--data-dir', data()], undefined, {
    ...NO_KEYS,
    WANDB_API_KEY: 'WK',
  });
  t.equal(run.code, 0, run.stderr);
  const out = run.stdout.toString();
  t.match(out, 'migrate --dry-run: Weave project team/proj: 480 spans in 120 traces (24 failed), 3 pages; 0 already sent before, 480 to send; nothing sent');
  t.match(out, /Langtrace: llm span; model gpt-4o-mini-2024-07-18; tokens 12 in, 5 out, 17 total; vendor openai/);
  t.match(out, /user: question 0/);
  t.equal(langtrace.hits.length, 0, 'nothing sent');
});

t.test('missing keys, bad URLs and windows: one line, exit 2, before anything is read', async (t) => {
  const weave = await fakeWeaveHistory({ key: 'WK', project: 'team/proj', calls: weaveCalls(3) });
  t.teardown(() => weave.close());
  const base = ['--project', 'team/proj', '--to', 'langtrace', 'http://127.0.0.1:9', '--data-dir', data()];
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['migrate', '--from', 'weave', weave.url, ...base], { LANGTRACE_API_KEY: 'LK' }, /migrate --from weave needs a key to read with: --from-key KEY or WANDB_API_KEY/],
    [['migrate', '--from', 'weave', weave.url, ...base], { WANDB_API_KEY: 'WK' }, /migrate --to langtrace needs a key to send with: --key KEY or LANGTRACE_API_KEY/],
    [
      ['migrate', '--from', 'weave', 'trace.wandb.ai', ...base],
      { WANDB_API_KEY: 'WK', LANGTRACE_API_KEY: 'LK' },
      /needs the backend's URL \(http:\/\/ or https:\/\/\) after it, got "trace.wandb.ai"/,
    ],
    [['migrate', '--from', 'weave', weave.url, ...base, '--since', 'yesterday'], { WANDB_API_KEY: 'WK', LANGTRACE_API_KEY: 'LK' }, /--since must be an ISO 8601 date or time/],
    [
      ['migrate', '--from', 'weave', weave.url, ...base, '--since', '2025-03-02', '--until', '2025-03-01'],
      { WANDB_API_KEY: 'WK', LANGTRACE_API_KEY: 'LK' },
      /--since must be before --until/,
    ],
    [['migrate', '--from', 'weave', weave.url, '--to', 'weave', 'http://127.0.0.1:9', '--project', 'team/proj'], { WANDB_API_KEY: 'WK' }, /needs --weave-project ENTITY\/PROJECT/],
  ];
  for (const [args, env, message] of cases) {
    const r = await runCli(args, undefined, { ...NO_KEYS, ...env });
    t.equal(r.code, 2, `exit 2: ${r.stderr.trim()}`);
    t.match(r.stderr, message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.notMatch(r.stderr, /WK|LK/, 'no key shown');
  }
  t.equal(weave.queries.length, 0, 'nothing read');
});

t.test('a refused source key stops at the first query, with the reply and the fix', async (t) => {
  const weave = await fakeWeaveHistory({ key: 'WK', project: 'team/proj', calls: weaveCalls(120) });
  const langtrace = await fakeLangtrace({ key: 'LK' });
  t.teardown(() => Promise.all([weave.close(), langtrace.close()]));
  const args = ['migrate', '--from', 'weave', weave.url, '--project', 'team/proj', '--to', 'langtrace', langtrace.url, '--data-dir', data()];
  const wrong = await runCli(args, undefined, { ...NO_KEYS, WANDB_API_KEY: 'WRONG', LANGTRACE_API_KEY: 'LK' });
  t.equal(wrong.code, 1);
  t.equal(weave.queries.length, 1, 'one query');
  t.match(wrong.stderr, /refused the key \(HTTP 401: \{"detail":"Unauthorized"\}\); check the source key \(--from-key KEY or WANDB_API_KEY\)/);
  t.equal(langtrace.hits.length, 0);
  t.notMatch(wrong.stderr + wrong.stdout.toString(), /WRONG/, 'the key is never shown');

  const refused = await runCli(args, undefined, { ...NO_KEYS, WANDB_API_KEY: 'WK', LANGTRACE_API_KEY: 'BAD' });
  t.equal(refused.code, 1);
  t.equal(langtrace.hits.length, 1, 'the destination got one request, not the history');
  t.match(refused.stderr, /refused the key \(HTTP 401: \{"error":"Unauthorized\. Invalid API key"\}\); check the destination key \(--key KEY or LANGTRACE_API_KEY\)/);
  const right = await runCli(args, undefined, { ...NO_KEYS, WANDB_API_KEY: 'WK', LANGTRACE_API_KEY: 'LK' });
  t.equal(right.code, 0, right.stderr);
  t.equal(unique(langtrace.spans()), 480, 'after the fix, everything');
});

t.test('--help says which variable serves the source and which the destination', async (t) => {
  for (const args of [
    ['migrate', '--help'],
    ['help', 'migrate'],
  ]) {
    const r = await runCli(args);
    t.equal(r.code, 0);
    t.match(r.stdout.toString(), /--from-key KEY\s+the key to read with \(default WANDB_API_KEY for weave,\s+LANGTRACE_API_KEY for langtrace/);
    t.match(r.stdout.toString(), /--key KEY\s+the key to send with/);
  }
  t.match((await runCli(['--help'])).stdout.toString(), /\n {2}migrate {6}copy a project's history/);
});
