// `inspect` and `convert` take folders like `replay`: inspect reads several files and folders
// (each file's spans under its name), convert writes a folder's files into one output and
// refuses arguments it cannot use.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { decodeOtlpJson, encodeOtlpJson } from '../../src/wire/otlp-json.js';
import { encodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { history } from './history.js';

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-inputs-'));
  mkdirSync(join(dir, 'export', 'nested'), { recursive: true });
  writeFileSync(join(dir, 'export', 'a.json'), encodeOtlpJson(history(1, 2)));
  writeFileSync(join(dir, 'export', 'nested', 'b.pb'), encodeOtlpProto(history(11, 3)));
  writeFileSync(join(dir, 'c.json'), encodeOtlpJson(history(21, 1)));
  return dir;
}

t.test('inspect: several files and folders, each file by name', async (t) => {
  const dir = folder();
  const r = await runCli(['inspect', join(dir, 'export'), join(dir, 'c.json')]);
  t.equal(r.code, 0, r.stderr);
  const out = r.stdout.toString();
  t.match(out, /6 spans; 6 with an LLM convention\n$/, 'every span of every file');
  const names = [...out.matchAll(/^== (.*)$/gm)].map((m) => m[1]);
  t.same(names, [join(dir, 'export', 'a.json'), join(dir, 'export', 'nested', 'b.pb'), join(dir, 'c.json')], 'files in order, folders walked');
  t.match(out, /question 21/);
  const one = await runCli(['inspect', join(dir, 'export')]);
  t.equal(one.code, 0, 'inspect DIR works');
  t.match(one.stdout.toString(), /5 spans/);
  const json = JSON.parse((await runCli(['inspect', '--json', join(dir, 'export'), join(dir, 'c.json')])).stdout.toString()) as unknown[];
  t.equal(json.length, 6, '--json: one report per span');
  writeFileSync(join(dir, 'export', 'zz.json'), '{"resourceSpans": 7}');
  const bad = await runCli(['inspect', join(dir, 'export')]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, new RegExp(`^tracebridge: ${join(dir, 'export', 'zz.json')}: `), 'a bad file is named');
});

t.test('convert: a folder into one output; extra arguments refused', async (t) => {
  const dir = folder();
  const out = join(dir, 'all.json');
  const r = await runCli(['convert', '--to', 'otlp-json', join(dir, 'export'), out]);
  t.equal(r.code, 0, r.stderr);
  const ids = decodeOtlpJson(readFileSync(out, 'utf8')).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => Number.parseInt(s.spanId, 16))));
  t.same(ids, [1, 2, 11, 12, 13], "every file's spans, in order");
  const extra = await runCli(['convert', '--to', 'otlp-json', join(dir, 'c.json'), join(dir, 'export', 'a.json'), out]);
  t.equal(extra.code, 2);
  t.match(extra.stderr, /convert takes one input \(a file, a folder or -\) and one output, not 3 arguments: put several inputs in one folder/);
});
