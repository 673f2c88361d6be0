// Plain OTel GenAI spans (current semconv and the older event form), made with the SDK the way a
// hand-instrumented app writes them, read the same in Weave and Langtrace.
import t from 'tap';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { checkBothBackends, fromRecord, seenByLangtrace, seenByWeave, spansOf } from '../helpers/live.js';
import { decodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { readSpan } from '../../src/conventions/read/index.js';
import { loadMappings } from '../../src/conventions/mappings.js';

t.test('OTel GenAI current and older spans', async (t) => {
  const memory = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer('my-app');
  const current = tracer.startSpan('chat claude-sonnet', {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'claude-sonnet-4',
      'gen_ai.response.model': 'claude-sonnet-4-20250514',
      'gen_ai.request.temperature': 0.5,
      'gen_ai.request.max_tokens': 200,
      'gen_ai.usage.input_tokens': 30,
      'gen_ai.usage.output_tokens': 12,
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Be brief.' }]),
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Weather in Oslo?' }] }]),
      'gen_ai.output.messages': JSON.stringify([
        { role: 'assistant', parts: [{ type: 'tool_call', id: 't1', name: 'get_weather', arguments: { city: 'Oslo' } }], finish_reason: 'tool_call' },
      ]),
      'gen_ai.tool.definitions': JSON.stringify([{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }]),
    },
  });
  current.end();
  const older = tracer.startSpan('chat gpt-4', {
    attributes: {
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4',
      'gen_ai.usage.prompt_tokens': 9,
      'gen_ai.usage.completion_tokens': 3,
      'gen_ai.request.temperature': 1,
    },
  });
  older.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': JSON.stringify([{ role: 'user', content: 'Hello' }]) });
  older.addEvent('gen_ai.content.completion', { 'gen_ai.completion': JSON.stringify([{ role: 'assistant', content: 'Hi there' }]) });
  older.end();
  const batch = decodeOtlpProto(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!);
  const mappings = loadMappings();
  const [a, b] = spansOf(batch).map((s) => readSpan(s, '', mappings));
  t.equal(a.convention, 'otel-genai');
  t.equal(b.convention, 'otel-genai-legacy');
  t.same(fromRecord(a.ctx.call), {
    kind: 'llm',
    model: 'claude-sonnet-4-20250514',
    input: ['Be brief.', 'Weather in Oslo?'],
    output: [],
    images: [],
    toolCalls: ['get_weather {"city":"Oslo"}'],
    usage: { input: 30, output: 12, total: 42 },
    temperature: 0.5,
    maxTokens: 200,
  });
  t.equal(a.ctx.call.output?.[0].finishReason, 'tool_calls', 'OTel tool_call spelled the OpenAI way in the record');
  t.equal(a.ctx.call.output?.[0].toolCalls?.[0].arguments, '{"city":"Oslo"}', 'object arguments become JSON text');
  t.same(fromRecord(b.ctx.call), {
    kind: 'llm',
    images: [],
    model: 'gpt-4',
    input: ['Hello'],
    output: ['Hi there'],
    toolCalls: [],
    usage: { input: 9, output: 3, total: 12 },
    temperature: 1,
    maxTokens: undefined,
  });
  const { weave, langtrace } = checkBothBackends(t, batch, (s) => s.name);
  t.same(spansOf(weave)[1].events, [], 'the prompt/completion events became Weave attributes');
  t.same(
    (langtrace[1].events as { name: string }[]).map((e) => e.name),
    ['gen_ai.content.prompt', 'gen_ai.content.completion'],
    'and stay events for Langtrace',
  );
});

t.test('OTel GenAI agents, tool runs and event-form content (hand-made per the spec: no JS package emits them)', async (t) => {
  const memory = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer('my-agent');
  const { context, trace } = await import('@opentelemetry/api');
  const agent = tracer.startSpan('invoke_agent weather-bot', {
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'openai',
      'gen_ai.agent.name': 'weather-bot',
      'gen_ai.agent.id': 'agent-1',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 14,
    },
  });
  const inAgent = trace.setSpan(context.active(), agent);
  const chat = tracer.startSpan(
    'chat gpt-4o',
    {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 40,
        'gen_ai.usage.output_tokens': 14,
        'gen_ai.usage.cache_read.input_tokens': 30,
      },
    },
    inAgent,
  );
  chat.addEvent('gen_ai.client.inference.operation.details', {
    'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Be brief.' }]),
    'gen_ai.input.messages': JSON.stringify([
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'Weather in Oslo?' },
          { type: 'uri', modality: 'image', uri: 'https://example.com/oslo.jpg' },
        ],
      },
    ]),
    'gen_ai.output.messages': JSON.stringify([
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'Need the tool.' },
          { type: 'tool_call', id: 't1', name: 'get_weather', arguments: { city: 'Oslo' } },
        ],
        finish_reason: 'tool_call',
      },
    ]),
  });
  chat.end();
  const tool = tracer.startSpan(
    'execute_tool get_weather',
    {
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'get_weather',
        'gen_ai.tool.call.id': 't1',
        'gen_ai.tool.type': 'function',
        'gen_ai.tool.call.arguments': '{"city":"Oslo"}',
        'gen_ai.tool.call.result': '{"temp":-3}',
      },
    },
    inAgent,
  );
  tool.end();
  agent.end();
  // Weave's own OTel example: a span with nothing but input.value and output.value.
  const manual = tracer.startSpan('my-llm-call', { attributes: { 'input.value': 'What is the capital of France?', 'output.value': 'Paris' } });
  manual.end();
  const batch = decodeOtlpProto(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!);
  const [c, run, a, m] = spansOf(batch).map((s) => readSpan(s, 'my-agent', loadMappings()).ctx.call);
  t.equal(c.role, 'llm');
  t.same(
    c.input?.map((x) => x.content),
    ['Be brief.', 'Weather in Oslo?'],
    'event-form content read',
  );
  t.same(c.input?.[1].parts?.[1], { type: 'image', uri: 'https://example.com/oslo.jpg' }, 'with its image');
  t.same(c.output?.[0].parts, [{ type: 'reasoning', text: 'Need the tool.' }], 'reasoning kept as a part');
  t.same([run.role, run.tool?.name, run.tool?.arguments, run.tool?.result], ['tool', 'get_weather', '{"city":"Oslo"}', '{"temp":-3}']);
  t.same([a.role, a.agent?.name], ['agent', 'weather-bot']);
  t.same([m.role, m.inputValue, m.outputValue], ['llm', 'What is the capital of France?', 'Paris'], "Weave's manual example");
  const { weave, langtrace } = checkBothBackends(t, batch, (s) => s.name);
  const lt = langtrace.map((s) => s.attributes as Record<string, unknown>);
  t.same(
    lt.map((x) => x['langtrace.service.type']),
    ['llm', 'framework', 'framework', 'llm'],
    'Langtrace: the agent and the tool are not LLM calls (their tokens are not counted twice)',
  );
  t.equal(lt[0]['gen_ai.usage.cached_tokens'], undefined, 'cached tokens not where Langtrace adds them to input + output again');
  t.equal(lt[0]['gen_ai.usage.cache_read.input_tokens'], 30, 'but kept as a detail');
  t.equal(seenByLangtrace(langtrace[0]).usage.total, 54, 'Langtrace total: 54, not 84');
  t.same(seenByLangtrace(langtrace[1]).input, ['{"city":"Oslo"}'], 'Langtrace: the tool run shows its arguments');
  t.same(seenByLangtrace(langtrace[3]).input, ['What is the capital of France?'], "Langtrace: Weave's manual example shows its prompt");
  t.same(seenByLangtrace(langtrace[3]).output, ['Paris'], 'and its completion');
  const w = spansOf(weave);
  t.same(seenByWeave(w[1]).kind, 'tool', 'Weave: typed a tool');
  t.same(seenByWeave(w[1]).output, ['{"temp":-3}'], 'Weave: the tool result');
  t.same(seenByWeave(w[0]).images, ['https://example.com/oslo.jpg'], 'Weave: the image');
  t.equal(w[0].events.length, 0, 'the details event became Weave attributes');
  t.equal(w[0].parentSpanId, spansOf(batch)[2].spanId, 'Weave: the chat stays under its agent');
});
