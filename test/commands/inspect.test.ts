// `tracebridge inspect` on real instrumentations' payloads: for each span, the convention and
// what Weave and Langtrace would show.
import t from 'tap';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { fakeOpenAI, runScenarios, FAKE, QUESTION } from '../helpers/fake-openai.js';
import { runCli } from '../helpers/cli.js';
import type { SpanReport } from '../../src/commands/inspect.js';

const OpenAIModule = createRequire(import.meta.url)('openai');

t.test('OpenInference spans: model, messages and usage for each backend', async (t) => {
  const api = await fakeOpenAI();
  t.teardown(api.close);
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  new OpenAIInstrumentation({ tracerProvider: provider }).manuallyInstrument(OpenAIModule);
  await runScenarios(new OpenAIModule.OpenAI({ apiKey: 'sk-test', baseURL: api.url }));
  const file = join(mkdtempSync(join(tmpdir(), 'tb-inspect-')), 'trace.pb');
  writeFileSync(file, ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!);

  const text = await runCli(['inspect', file]);
  t.equal(text.code, 0, text.stderr);
  const out = text.stdout.toString();
  t.match(out, /span OpenAI Chat Completions \([0-9a-f]{16}\) — convention: openinference/);
  t.match(out, new RegExp(`Weave: {5}model ${FAKE.model}; tokens 11 in, 7 out, 18 total`));
  t.match(out, new RegExp(`Langtrace: model ${FAKE.model}; tokens 11 in, 7 out, 18 total; vendor openai`));
  t.match(out, new RegExp(`user: ${QUESTION}`));
  t.match(out, /assistant: It is sunny in Paris\./);
  t.match(out, /\[tool calls: get_weather\]/);
  t.match(out, /4 spans; 4 with an LLM convention/);

  const json = await runCli(['inspect', '--json', file]);
  const reports = JSON.parse(json.stdout.toString()) as SpanReport[];
  t.equal(reports.length, 4);
  t.same(reports[0].weave.usage, { input: 11, output: 7, total: 18 });
  t.same(reports[0].langtrace.prompt.map((m) => m.content), ['You are a weather bot.', QUESTION]);
  t.same(reports[2].weave.tools, ['get_weather'], 'tool definitions shown');
});

t.test("Langtrace's cURL example, piped in", async (t) => {
  const { readFileSync } = await import('node:fs');
  const r = await runCli(['inspect'], readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url)));
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout.toString(), /convention: langtrace-docs/);
  t.match(r.stdout.toString(), /Weave: {5}model gpt-4; tokens 25 in, 18 out, 43 total; tools get_weather/);
  const empty = await runCli(['inspect'], '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' + 'a'.repeat(32) + '","spanId":"' + 'b'.repeat(16) + '","name":"GET /"}]}]}]}');
  t.match(empty.stdout.toString(), /convention: none[\s\S]*model \(none\)[\s\S]*1 spans; 0 with an LLM convention/, 'an empty-looking trace says why');
});
