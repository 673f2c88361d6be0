// Agent frameworks and SDKs, captured live (examples/traces) or hand-made from their source
// (test/fixtures/frameworks, Python-only): each span translated for Weave and for Langtrace, read
// back from their wire formats with each backend's reading rules, shows what a user must see.
import t from 'tap';
import { readFileSync } from 'node:fs';
import type { Span, SpanBatch } from '../../src/model/batch.js';
import { toPlain } from '../../src/model/values.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { checkBothBackends, seenByLangtrace, seenByWeave, spansOf } from '../helpers/live.js';

type Obj = Record<string, unknown>;
/** An attribute's value as plain JS (undefined when absent). */
const plainOf = (s: Span, key: string): unknown => {
  const v = s.attributes.get(key);
  return v && toPlain(v);
};
const load = (path: string): SpanBatch => decodeOtlpJson(readFileSync(new URL(`../../${path}`, import.meta.url)));

/** What one span must show: checked in both backends unless a field names one. */
interface Want {
  span: string;
  nth?: number;
  model?: string;
  weaveKind?: string;
  langtraceType?: string;
  input?: string[];
  output?: string[];
  images?: string[];
  reasoning?: string[];
  toolCalls?: string[];
  tokens?: { input: number; output: number };
  /** A tool's or framework span's arguments and result, as Langtrace's attribute panel shows them. */
  io?: { input?: string | RegExp; output?: string | RegExp };
  vendor?: string;
}

/** Reasoning texts in a backend's messages (OpenAI content arrays with a reasoning part). */
function reasoningIn(msgs: unknown): string[] {
  if (!Array.isArray(msgs)) return [];
  return msgs.flatMap((m) => (Array.isArray((m as Obj).content) ? ((m as Obj).content as Obj[]).filter((p) => p.type === 'reasoning').map((p) => String(p.text)) : []));
}

function pick(spans: Span[], name: string, nth = 0): number {
  const at = spans.map((s, i) => (s.name === name ? i : -1)).filter((i) => i >= 0)[nth];
  if (at === undefined) throw new Error(`no span ${name} #${nth}`);
  return at;
}

function check(t: Test, file: string, wants: Want[]): void {
  t.test(file, async (t) => {
    const source = load(file);
    const { weave, langtrace } = checkBothBackends(t, source, (s) => s.name);
    const src = spansOf(source);
    const w = spansOf(weave);
    for (const want of wants) {
      const i = pick(src, want.span, want.nth);
      const label = `${want.span}${want.nth ? ` #${want.nth}` : ''}`;
      const ws = seenByWeave(w[i]);
      const ls = seenByLangtrace(langtrace[i]);
      const lattrs = langtrace[i].attributes as Obj;
      const contains = (have: string[], need: string[] | undefined, what: string) => {
        for (const n of need ?? [])
          t.ok(
            have.some((h) => h.includes(n)),
            `${label}: ${what} shows "${n.slice(0, 40)}"`,
          );
      };
      if (want.model) t.same([ws.model, ls.model], [want.model, want.model], `${label}: the model in both`);
      if (want.weaveKind) t.equal(ws.kind, want.weaveKind, `${label}: Weave's span type`);
      if (want.langtraceType) t.equal(ls.kind, want.langtraceType, `${label}: Langtrace's span type`);
      for (const [name, seen] of [
        ['Weave', ws],
        ['Langtrace', ls],
      ] as const) {
        contains(seen.input, want.input, `${name}'s input`);
        contains(seen.output, want.output, `${name}'s output`);
        contains(seen.images, want.images, `${name}'s images`);
        contains(seen.toolCalls, want.toolCalls, `${name}'s tool calls`);
      }
      if (want.reasoning) {
        const wv = JSON.parse(String(plainOf(w[i], 'gen_ai.completion') ?? '[]'));
        const lc = (langtrace[i].events as Obj[]).find((e) => e.name === 'gen_ai.content.completion')?.attributes as Obj | undefined;
        contains(reasoningIn(wv), want.reasoning, "Weave's reasoning");
        contains(reasoningIn(JSON.parse(String(lc?.['gen_ai.completion'] ?? '[]'))), want.reasoning, "Langtrace's reasoning");
      }
      if (want.tokens) {
        t.same([ws.usage.input, ws.usage.output], [want.tokens.input, want.tokens.output], `${label}: Weave's tokens`);
        t.same([ls.usage.input, ls.usage.output], [want.tokens.input, want.tokens.output], `${label}: Langtrace's tokens, counted once`);
      }
      if (want.io?.input) t.match(String(lattrs['gen_ai.tool.call.arguments'] ?? lattrs['input.value']), want.io.input, `${label}: Langtrace shows the arguments`);
      if (want.io?.output) t.match(String(lattrs['gen_ai.tool.call.result'] ?? lattrs['output.value']), want.io.output, `${label}: Langtrace shows the result`);
      if (want.vendor) t.equal(lattrs['langtrace.service.name'], want.vendor, `${label}: Langtrace's vendor`);
    }
  });
}

type Test = typeof t;
const Q = 'What is the weather in Paris?';
const A = 'It is sunny in Paris.';
const CALL = 'get_weather {"city":"Paris"}';
const RESULT = '"temperature":21';
const PY_Q = 'in the city shown in this photo?';
const PY_A = 'it is 18 C and partly cloudy';
const PY_IMG = 'https://images.example.com/travel/eiffel-tower.jpg';
const PY_THINK = 'The photo shows the Eiffel Tower, so the city is Paris.';
const PY_SYS = 'You are a concise weather assistant.';
const PY_RESULT = 'partly cloudy';

check(t, 'examples/traces/langfuse.json', [
  {
    span: 'chat gpt-4o-mini',
    model: 'gpt-4o-mini-2024-07-18',
    weaveKind: 'llm',
    langtraceType: 'llm',
    input: ['You are a weather bot.', Q],
    toolCalls: [CALL],
    tokens: { input: 11, output: 7 },
  },
  { span: 'chat gpt-4o-mini', nth: 1, input: [RESULT], output: [A], tokens: { input: 11, output: 7 } },
  { span: 'get_weather', weaveKind: 'tool', langtraceType: 'framework', io: { input: '"city":"Paris"', output: RESULT } },
  { span: 'weather-agent', weaveKind: 'agent', langtraceType: 'framework' },
]);

for (const file of ['examples/traces/strands.json', 'examples/traces/strands-latest.json'])
  check(t, file, [
    { span: 'chat', model: 'gpt-4o-mini', weaveKind: 'llm', langtraceType: 'llm', input: ['You are a weather bot.', Q], toolCalls: [CALL], tokens: { input: 11, output: 7 } },
    { span: 'chat', nth: 1, input: [RESULT], output: [A] },
    { span: 'execute_agent_loop_cycle', weaveKind: 'chain', langtraceType: 'framework' },
    { span: 'execute_agent_loop_cycle', nth: 1, weaveKind: 'chain', langtraceType: 'framework' },
    { span: 'execute_tool get_weather', weaveKind: 'tool', langtraceType: 'framework', io: { input: '"city":"Paris"' } },
    { span: 'invoke_agent weather_agent', weaveKind: 'agent', langtraceType: 'framework', output: [A] },
  ]);

check(t, 'examples/traces/mastra.json', [
  {
    span: 'chat gpt-4o-mini',
    model: 'gpt-4o-mini',
    weaveKind: 'llm',
    langtraceType: 'llm',
    input: ['You are a weather bot.', Q],
    output: [A],
    tokens: { input: 22, output: 14 },
    vendor: 'openai',
  },
  { span: 'step: 0', langtraceType: 'framework', toolCalls: [CALL] },
  { span: 'tool.execute get_weather', weaveKind: 'tool', langtraceType: 'framework', io: { input: '"city":"Paris"', output: RESULT } },
  { span: 'agent.weather-agent', weaveKind: 'agent', langtraceType: 'framework', output: [A] },
]);

check(t, 'examples/traces/openai-agents.json', [
  { span: 'response', model: 'gpt-4o-mini-2024-07-18', langtraceType: 'llm', input: [Q], toolCalls: ['transfer_to_Weather_agent {}'], tokens: { input: 11, output: 7 } },
  { span: 'response', nth: 1, toolCalls: [CALL] },
  { span: 'response', nth: 2, input: [RESULT], output: [A] },
  { span: 'get_weather', weaveKind: 'tool', langtraceType: 'framework', io: { input: '"city":"Paris"', output: RESULT } },
  { span: 'Weather agent', weaveKind: 'agent', langtraceType: 'framework' },
]);

for (const provider of ['anthropic', 'google'])
  check(t, `examples/traces/vercel-ai-6-${provider}.json`, [
    { span: 'ai.generateText.doGenerate', langtraceType: 'llm', input: ['You are a weather bot.', Q], output: [A] },
    { span: 'ai.generateText.doGenerate', nth: 1, images: [provider === 'anthropic' ? 'https://example.com/cat.png' : 'data:image/png;base64,'] },
    { span: 'ai.generateObject.doGenerate', output: ['"conditions":"sunny"'] },
    { span: 'ai.streamObject.doStream', output: ['"conditions":"sunny"'] },
    { span: 'ai.generateText', langtraceType: 'framework' },
  ]);
check(t, 'examples/traces/vercel-ai-6-google.json', [{ span: 'ai.generateText.doGenerate', reasoning: ['The user asks about Paris.'], tokens: { input: 12, output: 14 } }]);

check(t, 'examples/traces/openinference-anthropic.json', [
  { span: 'Anthropic Messages', input: ['You are a weather bot.', 'What is in these pictures?'], images: ['https://example.com/cat.png'] },
  { span: 'Anthropic Messages', nth: 2, input: ['You are a weather bot.', 'sunny, 21°C'], output: [A] },
  { span: 'Anthropic Messages', nth: 3, reasoning: ['The user asks about Paris.'], output: [A] },
]);
check(t, 'examples/traces/openinference-bedrock.json', [
  { span: 'bedrock.converse', input: ['You are a weather bot.', 'What is in this picture?'], images: ['data:image/png;base64,'] },
  { span: 'bedrock.converse', nth: 2, input: ['You are a weather bot.', RESULT], output: [A] },
  { span: 'bedrock.invoke_model', input: ['You are a weather bot.', Q], output: [A] },
]);
check(t, 'examples/traces/openllmetry-mcp.json', [
  { span: 'mcp.client.session', langtraceType: 'framework' },
  { span: 'initialize.mcp', langtraceType: 'framework' },
  { span: 'tools/list.mcp', langtraceType: 'framework' },
  { span: 'get_weather.tool', weaveKind: 'tool', langtraceType: 'framework', io: { input: '"city":"Paris"' } },
]);
check(t, 'examples/traces/openllmetry-langchain.json', [{ span: 'execute_tool DynamicStructuredTool', weaveKind: 'tool', langtraceType: 'framework' }]);

check(t, 'test/fixtures/frameworks/pydantic-ai.json', [
  { span: 'chat gpt-4o-mini', model: 'gpt-4o-mini-2024-07-18', input: [PY_SYS, PY_Q], images: [PY_IMG], toolCalls: [CALL], tokens: { input: 412, output: 18 } },
  { span: 'chat gpt-4o-mini', nth: 1, input: [PY_RESULT], output: [PY_A] },
  { span: 'running tool', weaveKind: 'tool', langtraceType: 'framework', io: { input: '"city":"Paris"', output: PY_RESULT } },
  { span: 'running tools', weaveKind: 'chain', langtraceType: 'framework' },
  { span: 'agent run', weaveKind: 'agent', langtraceType: 'framework', input: [PY_SYS, PY_Q, PY_RESULT], output: [PY_A] },
  { span: 'chat claude-sonnet-4-5', model: 'claude-sonnet-4-5-20250929', images: ['data:image/png;base64,iVBOR'], reasoning: [PY_THINK], toolCalls: [CALL] },
  { span: 'invoke_agent weather_agent', input: [PY_SYS, PY_Q], output: [PY_A] },
]);
check(t, 'test/fixtures/frameworks/mlflow.json', [
  {
    span: 'Completions',
    model: 'gpt-4o-mini-2024-07-18',
    weaveKind: 'llm',
    langtraceType: 'llm',
    input: [PY_SYS, PY_Q],
    images: [PY_IMG],
    toolCalls: [CALL],
    tokens: { input: 436, output: 17 },
  },
  { span: 'Completions', nth: 1, input: [PY_RESULT], output: [PY_A], tokens: { input: 497, output: 26 } },
  { span: 'get_weather', weaveKind: 'tool', langtraceType: 'framework', io: { input: /"city": ?"Paris"/, output: PY_RESULT } },
  { span: 'run_agent', weaveKind: 'agent', langtraceType: 'framework', output: [PY_A] },
]);
check(t, 'test/fixtures/frameworks/google-adk.json', [
  {
    span: 'call_llm',
    model: 'gemini-2.5-flash',
    langtraceType: 'llm',
    input: [PY_SYS, PY_Q],
    images: [PY_IMG],
    reasoning: [PY_THINK],
    toolCalls: [CALL],
    tokens: { input: 412, output: 19 },
    vendor: 'gemini',
  },
  { span: 'call_llm', nth: 1, input: [PY_RESULT], output: [PY_A] },
  { span: 'execute_tool get_weather', weaveKind: 'tool', langtraceType: 'framework', io: { input: /"city": ?"Paris"/, output: PY_RESULT } },
  { span: 'invoke_agent weather_agent', weaveKind: 'agent', langtraceType: 'framework' },
]);
check(t, 'test/fixtures/frameworks/crewai.json', [
  { span: 'completion', model: 'gpt-4o-mini', langtraceType: 'llm', input: ['You are Weather reporter.'], output: ['Action: get_weather'], tokens: { input: 471, output: 28 } },
  { span: 'get_weather._use', weaveKind: 'tool', langtraceType: 'framework' },
]);
check(t, 'test/fixtures/frameworks/openai-agents-python.json', [
  { span: 'response', input: ['Route weather questions to the Weather Agent.', PY_Q], images: [PY_IMG], toolCalls: ['transfer_to_weather_agent'] },
  { span: 'response', nth: 1, model: 'o4-mini-2025-04-16', reasoning: ['The photo shows the Eiffel Tower'], toolCalls: [CALL], tokens: { input: 452, output: 86 } },
  { span: 'response', nth: 2, input: [PY_SYS, PY_RESULT], images: [PY_IMG], output: [PY_A] },
]);
for (const file of ['test/fixtures/frameworks/strands-python.json', 'test/fixtures/frameworks/strands-python-latest.json'])
  check(t, file, [
    {
      span: 'chat',
      model: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
      langtraceType: 'llm',
      input: [PY_SYS, PY_Q],
      reasoning: [PY_THINK],
      toolCalls: [CALL],
      tokens: { input: 1642, output: 118 },
    },
    { span: 'chat', nth: 1, input: [PY_RESULT], output: [PY_A] },
    { span: 'execute_event_loop_cycle', weaveKind: 'chain', langtraceType: 'framework' },
    { span: 'execute_tool get_weather', weaveKind: 'tool', langtraceType: 'framework', io: { output: PY_RESULT } },
    { span: 'invoke_agent weather_agent', weaveKind: 'agent', langtraceType: 'framework', output: [PY_A] },
  ]);

check(t, 'examples/traces/openllmetry-vertexai.json', [
  { span: 'vertexai.completion', model: 'gemini-2.5-flash', langtraceType: 'llm', input: ['You are a weather bot.', Q], output: [A], tokens: { input: 12, output: 8 } },
]);
check(t, 'examples/traces/openllmetry-llamaindex.json', [
  { span: 'chat gpt-4o-mini', model: 'gpt-4o-mini', langtraceType: 'llm', input: ['You are a weather bot.', Q], output: [A], tokens: { input: 11, output: 7 } },
  { span: 'vector_index_retriever.retrieve', langtraceType: 'framework' },
  { span: 'retriever_query_engine.query', langtraceType: 'framework', output: [A] },
]);
