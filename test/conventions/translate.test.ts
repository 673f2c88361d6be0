// Translation rules: the seed example from Langtrace's docs, Weave's one-form-per-key rule, the
// known lossy points (each showing what is kept), detection precedence and mapping overrides.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { emptySpan, type AnyValue, type Span } from '../../src/model/batch.js';
import { toPlain } from '../../src/model/values.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { detect } from '../../src/conventions/detect.js';
import { loadMappings, MappingError } from '../../src/conventions/mappings.js';
import { readSpan } from '../../src/conventions/read/index.js';
import { translateBatch, translateBatches, translateSpan } from '../../src/conventions/translate.js';
import { weaveView } from '../../src/inspect/views.js';
import { spansOf } from '../helpers/live.js';
import { arbBatch } from '../helpers/arbitrary.js';

const mappings = loadMappings();
const v = (x: unknown): AnyValue =>
  typeof x === 'string'
    ? { type: 'string', value: x }
    : typeof x === 'boolean'
      ? { type: 'bool', value: x }
      : Number.isInteger(x)
        ? { type: 'int', value: BigInt(x as number) }
        : { type: 'double', value: x as number };
const span = (attrs: Record<string, unknown>): Span => ({ ...emptySpan(), attributes: new Map(Object.entries(attrs).map(([k, x]) => [k, v(x)])) });
const plain = (s: Span) => Object.fromEntries([...s.attributes].map(([k, x]) => [k, toPlain(x)]));
const to = (s: Span, p: Parameters<typeof translateSpan>[2]) => plain(translateSpan(s, '', p, mappings).span);

t.test("Langtrace's cURL example shows up whole in Weave", async (t) => {
  const batch = decodeOtlpJson(readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url)));
  const [out] = spansOf(translateBatch(batch, 'weave'));
  const view = weaveView(plain(out));
  t.equal(view.model, 'gpt-4');
  t.same(view.input, [
    { role: 'system', content: 'You are a weather bot.' },
    { role: 'user', content: "What's the weather in Paris?" },
  ]);
  t.same(view.usage, { input: 25, output: 18, total: 43 });
  t.equal(view.system, 'openai');
  t.equal((view.parameters as Record<string, unknown>).temperature, 0.7);
  t.equal((view.parameters as Record<string, unknown>).max_tokens, 150);
  t.same(
    ((view.parameters as Record<string, unknown>).tools as { function: { name: string } }[]).map((x) => x.function.name),
    ['get_weather'],
    'tools shown with the parameters',
  );
  t.equal(plain(out)['llm.path'], '/v1/chat/completions', 'a key with no Weave slot stays as it came');
  t.notOk('llm.request.messages' in plain(out), 'translated keys are replaced, not duplicated');
});

t.test('Weave: never a JSON string and dotted sub-keys under one key', async (t) => {
  const s = span({
    'gen_ai.system': 'openai',
    'gen_ai.prompt.0.role': 'user',
    'gen_ai.prompt.0.content': 'hi',
    'gen_ai.prompt.name': 'greeting-template',
    'llm.request.type': 'chat',
  });
  const out = to(s, 'weave');
  t.doesNotThrow(() => weaveView(out), 'Weave would accept the span');
  t.equal(out['gen_ai.prompt'], '[{"role":"user","content":"hi"}]');
  t.equal(out['tracebridge.original.gen_ai.prompt.name'], 'greeting-template', 'a clashing original is kept under a new name');
  t.notOk(Object.keys(out).some((k) => k.startsWith('gen_ai.prompt.')));
});

t.test('lossy points: what cannot round-trip is kept as it came', async (t) => {
  const pair = to(span({ 'openinference.span.kind': 'LLM', 'llm.provider': 'azure', 'llm.system': 'openai', 'llm.model_name': 'gpt-4o' }), 'otel-genai');
  t.equal(pair['gen_ai.provider.name'], 'azure', 'provider: one OTel value from the host');
  t.equal(pair['llm.system'], 'openai', 'and the API shape stays');

  const oi = to(
    span({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.id': 'r1',
      'gen_ai.operation.name': 'text_completion',
    }),
    'openinference',
  );
  t.equal(oi['llm.model_name'], 'gpt-4o-2024-08-06', 'one model name: the response model');
  t.equal(JSON.parse(oi['llm.invocation_parameters'] as string).model, 'gpt-4o', 'the request model goes where OpenInference keeps it');
  t.equal(oi['gen_ai.response.id'], 'r1', 'OpenInference has no response id: it stays');
  t.equal(oi['gen_ai.operation.name'], 'text_completion', 'LLM covers two operations: the precise one stays');

  const inv = to(span({ 'openinference.span.kind': 'LLM', 'llm.invocation_parameters': '{"temperature":0.1,"logit_bias":{"50256":-100}}' }), 'otel-genai');
  t.equal(inv['gen_ai.request.temperature'], 0.1, 'known provider-native names become typed attributes');
  t.equal(inv['llm.invocation_parameters'], '{"temperature":0.1,"logit_bias":{"50256":-100}}', 'unknown ones keep the blob');

  const parts = JSON.stringify([
    {
      role: 'user',
      parts: [
        { type: 'text', content: 'Describe' },
        { type: 'uri', uri: 'https://example.com/cat.png', modality: 'image' },
      ],
    },
  ]);
  const lt = to(span({ 'gen_ai.provider.name': 'openai', 'gen_ai.input.messages': parts }), 'langtrace');
  t.same(
    JSON.parse(lt['llm.request.messages'] as string)[0].content,
    [
      { type: 'text', text: 'Describe' },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
    ],
    'message parts become an OpenAI content array, image included',
  );
  t.equal(lt['gen_ai.input.messages'], undefined, 'so the original is replaced');
  const file = JSON.stringify([{ role: 'user', parts: [{ type: 'file', file_id: 'file-1', mime_type: 'application/pdf' }] }]);
  const oiFile = to(span({ 'gen_ai.provider.name': 'openai', 'gen_ai.input.messages': file }), 'openinference');
  t.equal(oiFile['gen_ai.input.messages'], file, 'a part OpenInference has no slot for (a file): the original stays');

  const total = to(span({ 'langtrace.service.name': 'openai', 'gen_ai.usage.input_tokens': 3, 'gen_ai.usage.output_tokens': 4, 'gen_ai.usage.total_tokens': 7 }), 'otel-genai');
  t.equal(total['gen_ai.usage.total_tokens'], 7, 'OTel has no total: it stays');

  const args = to(
    span({
      'gen_ai.system': 'openai',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.tool_calls.0.name': 'f',
      'gen_ai.completion.0.tool_calls.0.arguments': 'not json',
      'gen_ai.completion.0.finish_reason': 'tool_calls',
      'llm.request.type': 'chat',
    }),
    'otel-genai',
  );
  const out = JSON.parse(args['gen_ai.output.messages'] as string);
  t.same(out[0].parts[0], { type: 'tool_call', name: 'f', arguments: 'not json' }, 'arguments that are not a JSON object stay text');
  t.equal(out[0].finish_reason, 'tool_call', "finish reason in OTel's spelling");
});

t.test('detection precedence', async (t) => {
  const d = (a: Record<string, unknown>, scope = '') => detect(span(a).attributes, scope);
  t.equal(d({ 'openinference.span.kind': 'LLM', 'langtrace.service.name': 'x', 'llm.usage.total_tokens': 1 }), 'openinference', '1. openinference.span.kind');
  t.equal(d({ 'langtrace.service.name': 'openai', 'llm.usage.total_tokens': 1 }), 'langtrace', '2. any langtrace.* key');
  t.equal(d({ 'llm.request.messages': '[]', 'llm.usage.total_tokens': 1 }), 'langtrace-docs', "3. Langtrace docs' un-indexed JSON strings");
  t.equal(d({ 'llm.prompts': '[]' }), 'langtrace-legacy');
  t.equal(d({ 'llm.prompts.0.role': 'user', 'llm.vendor': 'openai' }), 'openllmetry', 'indexed llm.prompts is early OpenLLMetry');
  t.equal(d({ 'llm.request.type': 'chat' }), 'openllmetry', '4. OpenLLMetry keys');
  t.equal(d({ 'gen_ai.request.model': 'm' }, '@arizeai/openinference-instrumentation-openai'), 'openinference', '5. scope name');
  t.equal(d({ 'gen_ai.request.model': 'm' }, '@traceloop/instrumentation-openai'), 'openllmetry');
  t.equal(d({ 'llm.input_messages.0.message.role': 'user' }), 'openinference', '6. OpenInference list shape');
  t.equal(d({ 'gen_ai.input.messages': '[]' }), 'otel-genai', '7. OTel GenAI current');
  t.equal(d({ 'gen_ai.system': 'openai' }), 'otel-genai-legacy', '8. any other gen_ai.*');
  t.equal(d({ 'http.method': 'GET' }), undefined, 'no LLM convention');
  const plainHttp = span({ 'http.method': 'GET', 'url.path': '/x' });
  t.equal(translateSpan(plainHttp, '', 'langtrace', mappings).span, plainHttp, 'spans with no LLM convention pass through untouched');
});

t.test('mapping tables: overrides and validation', async (t) => {
  const custom = loadMappings({
    read: { 'otel-genai': { 'acme.model': 'requestModel' } },
    write: { weave: { requestModel: ['gen_ai.request.model', 'acme.model'], 'usage.total': null } },
  });
  const s = span({ 'gen_ai.provider.name': 'openai', 'acme.model': 'm1', 'gen_ai.usage.input_tokens': 1, 'gen_ai.usage.output_tokens': 2 });
  t.equal(readSpan(s, '', custom).ctx.call.requestModel, 'm1', 'a user-added read key');
  const out = plain(translateSpan(s, '', 'weave', custom).span);
  t.equal(out['gen_ai.request.model'], 'm1');
  t.equal(out['acme.model'], 'm1', 'a user-added write key');
  t.notOk('llm.usage.total_tokens' in out, 'a removed entry is not written');
  t.throws(() => loadMappings({ read: { 'otel-genai': { k: 'modle' } } }), MappingError);
  t.throws(() => loadMappings({ read: { 'otel-genai': { k: 'modle' } } }), /unknown field "modle"/);
  t.throws(() => loadMappings({ write: { honeycomb: {} } }), /unknown name "honeycomb"/);
  t.throws(() => loadMappings({ write: { weave: { requestModel: 'x' as never } } }), /expected a list of attribute keys/);
});

t.test('embedded texts and retrieved documents are rewritten for each target', async (t) => {
  const emb = span({
    'openinference.span.kind': 'EMBEDDING',
    'embedding.model_name': 'text-embedding-3-small',
    'embedding.embeddings.0.embedding.text': 'sunny Paris',
    'embedding.embeddings.1.embedding.text': 'rainy Oslo',
  });
  const lt = to(emb, 'langtrace');
  t.equal(lt['gen_ai.request.embedding_inputs'], '["sunny Paris","rainy Oslo"]', 'Langtrace: its embedding_inputs');
  t.equal(lt['langtrace.service.type'], 'llm');
  t.equal(lt['embedding.embeddings.0.embedding.text'], undefined, 'the OpenInference list is replaced');
  const back = to(translateSpan(emb, '', 'langtrace', mappings).span, 'openinference');
  t.equal(back['embedding.embeddings.1.embedding.text'], 'rainy Oslo', 'and comes back to OpenInference');
  const docs = JSON.stringify([{ id: 'd1', content: 'Paris is sunny.', score: 0.9 }]);
  const ret = span({ 'gen_ai.operation.name': 'retrieval', 'gen_ai.provider.name': 'pinecone', 'gen_ai.retrieval.documents': docs });
  const oi = to(ret, 'openinference');
  t.same(
    [oi['openinference.span.kind'], oi['retrieval.documents.0.document.id'], oi['retrieval.documents.0.document.content'], oi['retrieval.documents.0.document.score']],
    ['RETRIEVER', 'd1', 'Paris is sunny.', 0.9],
  );
  t.equal(to(ret, 'langtrace')['gen_ai.request.documents'], docs, 'Langtrace: its documents key');
  t.equal(to(ret, 'langtrace')['langtrace.service.type'], 'vectordb', 'typed vectordb');
  t.equal(to(span(oi), 'weave')['gen_ai.retrieval.documents'], docs, 'OpenInference → Weave: the documents as OTel writes them');
});

t.test('translateBatches gives each profile what translateBatch gives it alone, reading each span once', async (t) => {
  const dir = new URL('../../examples/traces/', import.meta.url);
  const batches = readdirSync(dir).map((f) => decodeOtlpJson(readFileSync(new URL(f, dir))));
  const profiles = ['weave', 'langtrace', 'otel-genai', 'openinference'] as const;
  for (const batch of batches) {
    const stats = { conventions: new Map() };
    const together = translateBatches(batch, [...profiles], mappings, stats);
    profiles.forEach((p, i) => t.ok(isDeepStrictEqual(together[i], translateBatch(batch, p, mappings)), `${p}: the same batch`));
    const spans = spansOf(batch).length;
    t.equal(
      [...stats.conventions.values()].reduce((a, b) => a + b, 0),
      spans,
      `each of the ${spans} spans counted once`,
    );
  }
  fc.assert(
    fc.property(arbBatch(), (batch) =>
      isDeepStrictEqual(translateBatches(batch, ['weave', 'langtrace'], mappings), [translateBatch(batch, 'weave', mappings), translateBatch(batch, 'langtrace', mappings)]),
    ),
    { numRuns: 100 },
  );
  const stats = { conventions: new Map() };
  t.same(translateBatches(batches[0], [], mappings, stats), [], 'no profile: nothing read');
  t.equal(stats.conventions.size, 0);
});

t.test('Weave shows the texts embedded and the documents retrieved, which it has no keys for', async (t) => {
  const many = span({ 'ai.operationId': 'ai.embedMany', 'ai.model.id': 'text-embedding-3-small' });
  many.attributes.set('ai.values', { type: 'array', value: ['"sunny Paris"', '"rainy Oslo"'].map((s) => ({ type: 'string', value: s }) as AnyValue) });
  t.same(weaveView(to(many, 'weave')).input, ['sunny Paris', 'rainy Oslo'], 'embedMany: each value');
  const oi = span({ 'openinference.span.kind': 'EMBEDDING', 'embedding.model_name': 'm', 'embedding.embeddings.0.embedding.text': 'hello' });
  t.same(weaveView(to(oi, 'weave')).input, ['hello'], 'OpenInference embedding texts');
  const ret = span({ 'openinference.span.kind': 'RETRIEVER', 'retrieval.documents.0.document.id': 'd1', 'retrieval.documents.0.document.content': 'Paris is sunny.' });
  t.same(weaveView(to(ret, 'weave')).output, [{ id: 'd1', content: 'Paris is sunny.' }], 'OpenInference retrieved documents');
});

t.test('the AI SDK provider id beside OpenInference keys is the provider, not the API', async (t) => {
  const s = span({ 'openinference.span.kind': 'LLM', 'llm.provider': 'anthropic.messages', 'ai.model.provider': 'anthropic.messages', 'llm.model_name': 'claude' });
  t.equal(to(s, 'langtrace')['langtrace.service.name'], 'anthropic');
});

t.test('empty attribute values are no tool call (the OpenInference Vercel processor writes them)', async (t) => {
  const s = span({
    'openinference.span.kind': 'LLM',
    'llm.input_messages.0.message.role': 'user',
    'llm.input_messages.0.message.content': 'hi',
    'llm.input_messages.0.message.tool_calls.0.tool_call.function.name': '',
    'llm.input_messages.0.message.tool_calls.0.tool_call.function.arguments': '',
  });
  t.same(JSON.parse(String(to(s, 'weave')['gen_ai.prompt'])), [{ role: 'user', content: 'hi' }], 'a user message, with no phantom call');
  t.notMatch(String(to(s, 'langtrace')['llm.request.messages']), /"function"/);
});

t.test("Mastra 1.x's per-type keys: a model step's request body and answer, an agent run's input and output", async (t) => {
  const step = span({
    'mastra.span.type': 'model_step',
    'mastra.model_step.input': JSON.stringify({
      body: {
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather in Paris?' },
        ],
      },
    }),
    'mastra.model_step.output': JSON.stringify({ text: 'Sunny.', toolCalls: [] }),
  });
  const w = weaveView(to(step, 'weave'));
  t.same(
    w.input,
    [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
    ],
    'the request body read as messages',
  );
  t.same(w.output, [{ role: 'assistant', content: 'Sunny.' }]);
  t.equal(to(step, 'langtrace')['langtrace.service.type'], 'framework', 'a step: its tokens are its generation’s');
  const run = span({
    'mastra.span.type': 'agent_run',
    'agent.id': 'weather',
    'mastra.agent_run.input': 'Weather in Paris?',
    'mastra.agent_run.output': JSON.stringify({ text: 'Sunny.' }),
  });
  const r = weaveView(to(run, 'weave'));
  t.same([r.kind, r.input, r.output], ['agent', 'Weather in Paris?', [{ role: 'assistant', content: 'Sunny.' }]]);
});

t.test('otel-genai-additive (the default for other OTLP backends): OTel GenAI keys beside every original', async (t) => {
  const s = span({
    'openinference.span.kind': 'LLM',
    'llm.model_name': 'gpt-4o-mini',
    'llm.input_messages.0.message.role': 'user',
    'llm.input_messages.0.message.content': 'hi',
    'llm.token_count.prompt': 3,
  });
  const add = to(s, 'otel-genai-additive');
  t.same(JSON.parse(String(add['gen_ai.input.messages'])), [{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }], 'OTel GenAI messages added');
  t.equal(add['gen_ai.usage.input_tokens'], 3);
  t.same(
    [add['llm.input_messages.0.message.content'], add['llm.model_name'], add['llm.token_count.prompt']],
    ['hi', 'gpt-4o-mini', 3],
    "and OpenInference's keys kept, which Phoenix reads",
  );
  const replace = to(s, 'otel-genai');
  t.equal(replace['llm.input_messages.0.message.content'], undefined, 'otel-genai still replaces them');
});
