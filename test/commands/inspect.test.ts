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
import { inspect } from '../../src/commands/inspect.js';
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
  t.match(out, new RegExp(`Weave: {5}llm span; model ${FAKE.model}; tokens 11 in, 7 out, 18 total`));
  t.match(out, new RegExp(`Langtrace: llm span; model ${FAKE.model}; tokens 11 in, 7 out, 18 total; vendor openai`));
  t.match(out, new RegExp(`user: ${QUESTION}`));
  t.match(out, /assistant: It is sunny in Paris\./);
  t.match(out, /\[tool calls: get_weather\(\{"city":"Paris"\}\)\]/);
  t.match(out, /4 spans; 4 with an LLM convention/);

  const json = await runCli(['inspect', '--json', file]);
  const reports = JSON.parse(json.stdout.toString()) as SpanReport[];
  t.equal(reports.length, 4);
  t.same(reports[0].weave.usage, { input: 11, output: 7, total: 18 });
  t.same(
    reports[0].langtrace.prompt.map((m) => m.content),
    ['You are a weather bot.', QUESTION],
  );
  t.same(reports[2].weave.tools, ['get_weather'], 'tool definitions shown');
});

t.test("Langtrace's cURL example, piped in", async (t) => {
  const { readFileSync } = await import('node:fs');
  const r = await runCli(['inspect'], readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url)));
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout.toString(), /convention: langtrace-docs/);
  t.match(r.stdout.toString(), /Weave: {5}llm span; model gpt-4; tokens 25 in, 18 out, 43 total; tools get_weather/);
  const empty = await runCli(['inspect'], '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' + 'a'.repeat(32) + '","spanId":"' + 'b'.repeat(16) + '","name":"GET /"}]}]}]}');
  t.match(empty.stdout.toString(), /convention: none[\s\S]*model \(none\)[\s\S]*1 spans; 0 with an LLM convention/, 'an empty-looking trace says why');
});

t.test('inspect on captured client traces shows what the writers produce: images, tool runs, span types', async (t) => {
  // In-process: the command's own function, on the captured files.
  const run = async (args: { input: string; json?: boolean }) => {
    let text = '';
    await inspect({ inputs: [args.input], json: args.json }, (s) => (text += s));
    return text;
  };
  const out = await run({ input: 'examples/traces/openinference-openai.json' });
  t.match(
    out,
    /Weave: {5}llm span;[^\n]*\n {4}inputs:\n {6}user: What is in these pictures\? \[image https:\/\/example\.com\/cat\.png\] \[image data:image\/png;base64,/,
    'Weave: the text and both images',
  );
  t.match(out, /prompt:\n {6}user: What is in these pictures\? \[image https:\/\/example\.com\/cat\.png\]/, 'Langtrace: the same');
  const ai = await run({ input: 'examples/traces/vercel-ai-6.json', json: true });
  const reports = JSON.parse(ai) as Array<{
    name: string;
    weave: { kind?: string; input: Array<{ content: string }> };
    langtrace: { type?: string; prompt: Array<{ content: string }> };
  }>;
  const tool = reports.find((r) => r.name === 'ai.toolCall')!;
  t.same([tool.weave.kind, tool.langtrace.type], ['tool', 'framework']);
  t.same(
    tool.langtrace.prompt.map((m) => m.content),
    ['{"city":"Paris"}'],
    'a tool run shows its arguments in Langtrace',
  );
  const outer = reports.find((r) => r.name === 'ai.generateText')!;
  t.same(
    outer.weave.input.map((m) => m.content),
    ['You are a weather bot.', 'What is the weather in Paris?'],
    'the outer prompt as the messages written, not the raw ai.prompt',
  );
});
