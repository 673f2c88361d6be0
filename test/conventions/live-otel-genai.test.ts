// Plain OTel GenAI spans (current semconv and the older event form), made with the SDK the way a
// hand-instrumented app writes them, read the same in Weave and Langtrace.
import t from 'tap';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { checkBothBackends, fromRecord, spansOf } from '../helpers/live.js';
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
    attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4', 'gen_ai.usage.prompt_tokens': 9, 'gen_ai.usage.completion_tokens': 3, 'gen_ai.request.temperature': 1 },
  });
  older.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': JSON.stringify([{ role: 'user', content: 'Hello' }]) });
  older.addEvent('gen_ai.content.completion', { 'gen_ai.completion': JSON.stringify([{ role: 'assistant', content: 'Hi there' }]) });
  older.end();
  const batch = decodeOtlpProto(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!);
  const mappings = loadMappings();
  const [a, b] = spansOf(batch).map((s) => readSpan(s, '', mappings));
  t.equal(a.convention, 'otel-genai');
  t.equal(b.convention, 'otel-genai-legacy');
  t.same(fromRecord(a.ctx.call), { model: 'claude-sonnet-4-20250514', input: ['Be brief.', 'Weather in Oslo?'], output: [], toolCalls: ['get_weather'], usage: { input: 30, output: 12, total: 42 }, temperature: 0.5, maxTokens: 200 });
  t.equal(a.ctx.call.output?.[0].finishReason, 'tool_calls', 'OTel tool_call spelled the OpenAI way in the record');
  t.equal(a.ctx.call.output?.[0].toolCalls?.[0].arguments, '{"city":"Oslo"}', 'object arguments become JSON text');
  t.same(fromRecord(b.ctx.call), { model: 'gpt-4', input: ['Hello'], output: ['Hi there'], toolCalls: [], usage: { input: 9, output: 3, total: 12 }, temperature: 1, maxTokens: undefined });
  const { weave, langtrace } = checkBothBackends(t, batch, (s) => s.name);
  t.same(spansOf(weave)[1].events, [], 'the prompt/completion events became Weave attributes');
  t.same((langtrace[1].events as { name: string }[]).map((e) => e.name), ['gen_ai.content.prompt', 'gen_ai.content.completion'], 'and stay events for Langtrace');
});
