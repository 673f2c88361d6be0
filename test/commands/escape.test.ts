// Terminal escape codes in traces and upstream replies are shown, not obeyed: `inspect` (span
// names, messages, status) and `deadletter list` (upstream replies) print control characters
// as \xNN.
import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { encodeOtlpJson } from '../../src/wire/otlp-json.js';
import { escapeControl } from '../../src/inspect/escape.js';
import { history } from './history.js';

const HOSTILE = 'a\x1b]0;PWNED\x07\x1b[2Jb';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

t.test('escapeControl', async (t) => {
  t.equal(escapeControl(HOSTILE), 'a\\x1b]0;PWNED\\x07\\x1b[2Jb');
  t.equal(escapeControl('x\u009b31my\x7f'), 'x\\x9b31my\\x7f', 'C1 and DEL too');
  t.equal(escapeControl('one\ntwo\tthree'), 'one\\x0atwo\\x09three', 'a line breaks nothing');
  t.equal(escapeControl('one\ntwo\tthree', true), 'one\ntwo\tthree', 'a multi-line text keeps its lines');
  t.equal(escapeControl('plain ünïcode ✓'), 'plain ünïcode ✓');
});

t.test('inspect shows a hostile span name, message and status escaped', async (t) => {
  const batch = history(1, 1);
  const span = batch.resourceSpans[0].scopeSpans[0].spans[0];
  span.name = HOSTILE;
  span.status = { code: 2, message: `boom ${HOSTILE}` };
  span.attributes.set('llm.request.messages', { type: 'string', value: JSON.stringify([{ role: `user${HOSTILE}`, content: `hi ${HOSTILE}\u009b2J` }]) });
  span.attributes.set('llm.request.model', { type: 'string', value: `gpt-4${HOSTILE}` });
  const file = join(mkdtempSync(join(tmpdir(), 'tb-escape-')), 'x.json');
  writeFileSync(file, encodeOtlpJson(batch));
  const r = await runCli(['inspect', file]);
  t.equal(r.code, 0, r.stderr);
  const out = r.stdout.toString();
  t.notOk(CONTROL.test(out), 'no control character reaches the terminal');
  t.match(out, 'span a\\x1b]0;PWNED\\x07\\x1b[2Jb (');
  t.match(out, 'status: ERROR boom a\\x1b]0;PWNED');
  t.match(out, 'hi a\\x1b]0;PWNED\\x07\\x1b[2Jb\\x9b2J');
  t.match(out, 'model gpt-4a\\x1b]0;');
  const json = await runCli(['inspect', '--json', file]);
  t.notOk(CONTROL.test(json.stdout.toString()), '--json: none either');
  const [report] = JSON.parse(json.stdout.toString());
  t.equal(report.name, HOSTILE, 'and the JSON still holds the exact name');
  t.equal(report.error, `boom ${HOSTILE}`);
});

t.test("deadletter list shows an upstream's hostile reply escaped", async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'tb-escape-'));
  const dead = join(data, 'deadletter', 'weave');
  mkdirSync(dead, { recursive: true });
  writeFileSync(join(dead, '1.batch'), '');
  writeFileSync(join(dead, '1.json'), JSON.stringify({ reason: 'HTTP 400', status: 400, spans: 1, response: `{"detail":"${HOSTILE}"}`, at: '2026-01-01T00:00:00Z' }));
  const r = await runCli(['deadletter', 'list', '--data-dir', data]);
  t.equal(r.code, 0, r.stderr);
  t.notOk(CONTROL.test(r.stdout.toString().replace(/\t/g, '').replace(/\n/g, '')), 'no control character but the columns and lines');
  t.match(r.stdout.toString(), 'HTTP 400 {"detail":"a\\x1b]0;PWNED\\x07\\x1b[2Jb"}');
});
