// OpenLLMetry's (Traceloop) OpenAI instrumentation, live against a fake OpenAI server.
import t from 'tap';
import { createRequire } from 'node:module';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import { fakeOpenAI, runScenarios, FAKE, QUESTION, SYSTEM } from '../helpers/fake-openai.js';
import { checkBothBackends, fromRecord, spansOf } from '../helpers/live.js';
import { decodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { readSpan } from '../../src/conventions/read/index.js';
import { loadMappings } from '../../src/conventions/mappings.js';

const OpenAIModule = createRequire(import.meta.url)('openai');

t.test('OpenLLMetry spans read the same in Weave and Langtrace', async (t) => {
  const api = await fakeOpenAI();
  t.teardown(api.close);
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const instrumentation = new OpenAIInstrumentation({ enrichTokens: false });
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument(OpenAIModule.OpenAI);
  await runScenarios(new OpenAIModule.OpenAI({ apiKey: 'sk-test', baseURL: api.url }));
  const spans = memory.getFinishedSpans();
  t.ok(spans.length >= 3, `spans captured (${spans.length})`);
  const batch = decodeOtlpProto(ProtobufTraceSerializer.serializeRequest(spans)!);
  const mappings = loadMappings();
  const scope = batch.resourceSpans[0].scopeSpans[0].scope.name;
  t.match(scope, /^@traceloop\//);
  const read = spansOf(batch).map((s) => readSpan(s, scope, mappings));
  const [chat, stream, tools] = read;
  t.equal(chat.convention, 'openllmetry', 'detected by its scope');
  t.equal(readSpan(spansOf(batch)[0], '', mappings).convention, 'otel-genai', 'its keys are OTel GenAI current ones');
  const seen = fromRecord(chat.ctx.call);
  t.equal(seen.model, FAKE.model);
  t.same(seen.input, [SYSTEM, QUESTION]);
  t.same(seen.output, [FAKE.reply]);
  t.same(seen.usage, { input: 11, output: 7, total: 18 });
  t.equal(seen.temperature, 0.2);
  t.equal(seen.maxTokens, 50);
  t.same(fromRecord(stream.ctx.call).output, [FAKE.reply], 'streamed reply assembled');
  t.same(fromRecord(tools.ctx.call).toolCalls, ['get_weather {"city":"Paris"}']);
  checkBothBackends(t, batch, (s) => s.name);
});
