// OpenInference (OpenAI with images, streaming and tools; LangChain.js with a tool) and
// OpenLLMetry's Anthropic instrumentation, live against the fake LLM server, read in both backends.
import t from 'tap';
import { anthropicSpans, langchainSpans, openInferenceSpans, toBatch, IMAGE_BASE64, IMAGE_URL } from '../helpers/clients.js';
import { checkBothBackends, fromRecord, seenByLangtrace, seenByWeave, spansOf } from '../helpers/live.js';
import { FAKE, FAKE_ANTHROPIC, QUESTION, SYSTEM } from '../helpers/fake-openai.js';
import { readSpan } from '../../src/conventions/read/index.js';
import { loadMappings } from '../../src/conventions/mappings.js';
import { translateBatch } from '../../src/conventions/translate.js';
import { toPlain } from '../../src/model/values.js';

const mappings = loadMappings();
const DATA_URL = `data:image/png;base64,${IMAGE_BASE64}`;

t.test('OpenInference OpenAI: images, a stream, a tool call', async (t) => {
  const batch = toBatch(await openInferenceSpans());
  const [image, stream, tools] = spansOf(batch).map((s) => readSpan(s, '', mappings).ctx.call);
  t.same(
    image.input?.[0].parts,
    [
      { type: 'text', text: 'What is in these pictures?' },
      { type: 'image', uri: IMAGE_URL },
      { type: 'image', data: IMAGE_BASE64, mimeType: 'image/png' },
    ],
    'text and both images read, the data URL split',
  );
  t.same(fromRecord(image).images, [IMAGE_URL, DATA_URL]);
  t.equal(stream.requestModel, 'gpt-4o-mini', 'a stream: the requested model');
  t.equal(stream.responseModel, undefined, 'and no response model the source never had');
  t.equal(image.requestModel, 'gpt-4o-mini', 'request model from the invocation parameters');
  t.equal(image.responseModel, FAKE.model, 'response model from llm.model_name');
  t.same(fromRecord(tools).toolCalls, ['get_weather {"city":"Paris"}']);
  const { weave, langtrace } = checkBothBackends(t, batch, (s) => `OpenInference ${s.name}`);
  t.same(seenByWeave(spansOf(weave)[0]).images, [IMAGE_URL, DATA_URL], 'Weave: both images');
  t.same(seenByLangtrace(langtrace[0]).images, [IMAGE_URL, DATA_URL], 'Langtrace: both images');
  t.same(seenByLangtrace(langtrace[0]).input, ['What is in these pictures?'], 'and the text');
  const w = Object.fromEntries([...spansOf(weave)[1].attributes].map(([k, v]) => [k, toPlain(v)]));
  t.equal(w['gen_ai.request.model'], 'gpt-4o-mini', 'Weave: request model kept apart');
  t.equal(w['gen_ai.response.model'], undefined, 'Weave: no invented response model for a stream');
});

t.test('LangChain.js through OpenInference: a tool call, the tool run, the answer', async (t) => {
  const batch = toBatch(await langchainSpans());
  const spans = spansOf(batch);
  const scope = batch.resourceSpans[0].scopeSpans[0].scope.name;
  const read = spans.map((s) => readSpan(s, scope, mappings).ctx.call);
  const byKind = (role: string) => read.filter((c) => c.role === role);
  t.equal(byKind('llm').length, 2, 'two chat model calls');
  const [ask, answer] = byKind('llm');
  const [run] = byKind('tool');
  t.equal(ask.provider, 'openai', "the provider from LangChain's metadata (ls_provider)");
  t.same(fromRecord(ask).toolCalls, ['get_weather {"city":"Paris"}']);
  t.equal(run.tool?.name, 'get_weather');
  t.match(run.tool?.result, /It is sunny in Paris/, 'the tool result');
  t.same(
    answer.input?.map((m) => m.role),
    ['system', 'user', 'assistant', 'tool'],
    'the answer sees the call and its result',
  );
  const { langtrace } = checkBothBackends(t, batch, (s) => `LangChain ${s.name}`);
  const lt = langtrace.map((s) => s.attributes as Record<string, unknown>);
  t.same(
    lt.filter((a) => a['langtrace.service.type'] === 'llm').map((a) => a['langtrace.service.name']),
    ['openai', 'openai'],
    'Langtrace: a vendor on every LLM span',
  );
  const askLt = seenByLangtrace(langtrace[read.indexOf(ask)]);
  t.same(askLt.toolCalls, ['get_weather {"city":"Paris"}'], 'Langtrace: the tool call (LangChain sends empty text beside it) is not empty');
  t.same(askLt.input, [SYSTEM, QUESTION]);
});

t.test("OpenLLMetry's Anthropic instrumentation: tool use and its result", async (t) => {
  const batch = toBatch(await anthropicSpans());
  const [ask, answer] = spansOf(batch).map((s) => readSpan(s, '@traceloop/instrumentation-anthropic', mappings).ctx.call);
  t.same(fromRecord(ask), {
    kind: 'llm',
    model: FAKE_ANTHROPIC.model,
    input: [SYSTEM, QUESTION],
    output: ['Let me check.'],
    images: [],
    toolCalls: ['get_weather {"city":"Paris"}'],
    usage: { input: 20, output: 9, total: 29 },
    temperature: undefined,
    maxTokens: 100,
  });
  t.equal(answer.input?.[3].toolCallId, 'toolu_01', 'the tool result answers the call');
  t.equal(answer.input?.[3].content, 'sunny, 21°C');
  checkBothBackends(t, batch, (s) => `Anthropic ${s.name}`);
  const lt = translateBatch(batch, 'langtrace').resourceSpans[0].scopeSpans[0].spans[0].attributes;
  t.notOk(lt.has('gen_ai.usage.cached_tokens'), 'Langtrace: cached tokens not written where Langtrace adds them to the total again');
  t.same(lt.get('gen_ai.usage.cache_read.input_tokens'), { type: 'int', value: 5n }, 'but kept as a detail');
  t.same(lt.get('llm.path'), { type: 'string', value: '/v1/messages' }, 'llm.path for Anthropic messages');
});
