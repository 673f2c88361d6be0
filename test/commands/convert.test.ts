// `tracebridge convert` end to end, through the built binary.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { decodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { findSpan } from '../helpers/spans.js';

const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url));

t.test('OTLP/JSON file to protobuf on stdout, format guessed', async (t) => {
  const r = await runCli(['convert', '--to', 'otlp-proto', new URL('../fixtures/langtrace-curl.json', import.meta.url).pathname]);
  t.equal(r.code, 0, r.stderr);
  const span = findSpan(decodeOtlpProto(r.stdout), 'openai.chat.completion');
  t.same(span.attributes.get('llm.request.model'), { type: 'string', value: 'gpt-4' });
});

t.test('gzipped stdin to Langtrace native', async (t) => {
  const r = await runCli(['convert', '--from', 'otlp-json', '--to', 'langtrace'], gzipSync(curl));
  t.equal(r.code, 0, r.stderr);
  const [span] = JSON.parse(r.stdout.toString());
  t.equal(span.name, 'openai.chat.completion');
  t.same(span.startTime, [1701555555, 0]);
  t.equal(span.attributes['llm.request.temperature'], 0.7);
  t.equal(span.kind, 2, 'OTLP CLIENT (3) is API kind 2');
});

t.test('Langtrace OTLP mode: one JSON line per resource, values as strings', async (t) => {
  const two = JSON.parse(curl.toString());
  two.resourceSpans.push(structuredClone(two.resourceSpans[0]));
  two.resourceSpans[1].resource.attributes[0].value.stringValue = 'other';
  const r = await runCli(['convert', '--to', 'langtrace-otlp-json'], JSON.stringify(two));
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(lines.length, 2);
  const attrs = lines[0].resourceSpans[0].scopeSpans[0].spans[0].attributes;
  t.same(attrs.find((a: { key: string }) => a.key === 'llm.request.temperature').value, { stringValue: '0.7' });
  t.same(attrs.find((a: { key: string }) => a.key === 'llm.usage.total_tokens').value, { intValue: 43 });
});

t.test('errors are one clear line and exit 2', async (t) => {
  const bad = await runCli(['convert', '--to', 'otlp-json'], '{"resourceSpans": 5}');
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^tracebridge: \.resourceSpans: expected an array/);
  const unknown = await runCli(['convert', '--to', 'yaml'], '{}');
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown --to format "yaml"/);
  const missing = await runCli(['convert'], '{}');
  t.equal(missing.code, 2);
  t.match(missing.stderr, /convert needs --to/);
});

t.test('--target rewrites the LLM attributes for a backend', async (t) => {
  const r = await runCli(['convert', '--to', 'langtrace', '--target', 'langtrace'], curl);
  t.equal(r.code, 0, r.stderr);
  const [span] = JSON.parse(r.stdout.toString());
  t.equal(span.attributes['langtrace.service.name'], 'openai');
  t.equal(span.attributes['gen_ai.usage.input_tokens'], 25);
  t.same(
    span.events.map((e: { name: string }) => e.name),
    ['gen_ai.content.prompt'],
  );
  const w = await runCli(['convert', '--to', 'otlp-json', '--target', 'weave'], curl);
  const attrs = JSON.parse(w.stdout.toString()).resourceSpans[0].scopeSpans[0].spans[0].attributes;
  t.ok(attrs.some((a: { key: string }) => a.key === 'gen_ai.prompt'));
  const bad = await runCli(['convert', '--to', 'otlp-json', '--target', 'honeycomb'], curl);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /unknown --target "honeycomb"/);
});

t.test('--mappings adds keys from a file, and a bad file is a clear error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-'));
  const file = join(dir, 'm.json');
  writeFileSync(file, JSON.stringify({ write: { weave: { requestModel: ['gen_ai.request.model', 'acme.model'] } } }));
  const r = await runCli(['convert', '--to', 'otlp-json', '--target', 'weave', '--mappings', file], curl);
  t.equal(r.code, 0, r.stderr);
  const attrs = JSON.parse(r.stdout.toString()).resourceSpans[0].scopeSpans[0].spans[0].attributes;
  t.same(attrs.find((a: { key: string }) => a.key === 'acme.model').value, { stringValue: 'gpt-4' });
  writeFileSync(file, JSON.stringify({ read: { langtrace: { x: 'nope' } } }));
  const bad = await runCli(['convert', '--to', 'otlp-json', '--target', 'weave', '--mappings', file], curl);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /unknown field "nope"/);
});
