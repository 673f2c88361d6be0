// OpenInference's OpenAI instrumentation, live against a fake OpenAI server.
import t from 'tap';
import { createRequire } from 'node:module';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { fakeOpenAI, runScenarios, FAKE, QUESTION, SYSTEM } from '../helpers/fake-openai.js';
import { checkBothBackends, fromRecord, spansOf } from '../helpers/live.js';
import { decodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { readSpan } from '../../src/conventions/read/index.js';
import { loadMappings } from '../../src/conventions/mappings.js';

const OpenAIModule = createRequire(import.meta.url)('openai');

t.test('OpenInference spans read the same in Weave and Langtrace', async (t) => {
  const api = await fakeOpenAI();
  t.teardown(api.close);
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const instrumentation = new OpenAIInstrumentation({ tracerProvider: provider });
  instrumentation.manuallyInstrument(OpenAIModule);
  await runScenarios(new OpenAIModule.OpenAI({ apiKey: 'sk-test', baseURL: api.url }));
  const spans = memory.getFinishedSpans();
  t.equal(spans.length, 4, 'chat, stream, tools, embeddings');
  const batch = decodeOtlpProto(ProtobufTraceSerializer.serializeRequest(spans)!);
  const mappings = loadMappings();
  const [chat, stream, tools, embed] = spansOf(batch).map((s) => readSpan(s, '', mappings));
  t.equal(chat.convention, 'openinference');
  // The source holds the real call: anchor the comparison to ground truth.
  t.same(fromRecord(chat.ctx.call), {
    kind: 'llm',
    model: FAKE.model,
    images: [],
    input: [SYSTEM, QUESTION],
    output: [FAKE.reply],
    toolCalls: [],
    usage: { input: 11, output: 7, total: 18 },
    temperature: 0.2,
    maxTokens: 50,
  });
  t.same(fromRecord(stream.ctx.call).output, [FAKE.reply], 'streamed reply assembled');
  t.same(fromRecord(tools.ctx.call).toolCalls, ['get_weather {"city":"Paris"}']);
  t.equal(tools.ctx.call.tools?.[0].name, 'get_weather', 'tool definitions read');
  t.equal(embed.ctx.call.operation, 'embeddings');
  checkBothBackends(t, batch, (s) => s.name);
});
