// The Langtrace SDK's own OpenAI instrumentation and exporter, live: what it sends to /api/trace
// (native array) is decoded, translated, and read by each backend's rules.
import t from 'tap';
import { createRequire } from 'node:module';
import { fakeOpenAI, runScenarios, FAKE, QUESTION, SYSTEM } from '../helpers/fake-openai.js';
import { captureServer } from '../helpers/capture-server.js';
import { byStart } from '../helpers/upstreams.js';
import { checkBothBackends, fromRecord, spansOf } from '../helpers/live.js';
import { decodeLangtraceNative } from '../../src/wire/langtrace.js';
import { readSpan } from '../../src/conventions/read/index.js';
import { loadMappings } from '../../src/conventions/mappings.js';
import type { SpanBatch } from '../../src/model/batch.js';

const require = createRequire(import.meta.url);
const OpenAIModule = require('openai');

t.test('Langtrace SDK spans read the same in Weave and Langtrace', async (t) => {
  const api = await fakeOpenAI();
  t.teardown(api.close);
  const cap = await captureServer(() => ({ body: '{"message":"Traces added successfully"}' }));
  t.teardown(cap.close);
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const Langtrace = require('@langtrase/typescript-sdk');
  Langtrace.init({
    api_key: 'lt-test',
    api_host: cap.url + '/api/trace',
    batch: false,
    disable_latest_version_check: true,
    instrumentations: { openai: OpenAIModule },
  });
  await runScenarios(new OpenAIModule.OpenAI({ apiKey: 'sk-test', baseURL: api.url }));
  // One request per span (batch: false): the three chat calls and the embedding.
  await cap.waitFor(4);
  t.equal(cap.requests[0].headers['user-agent'], 'LangTraceExporter');
  const batches = cap.requests.map((r) => decodeLangtraceNative(r.body));
  const batch: SpanBatch = { resourceSpans: batches.flatMap((b) => b.resourceSpans) };
  const mappings = loadMappings();
  // Requests may arrive out of order: take the spans in the order the calls were made.
  const read = byStart(spansOf(batch)).map((s) => ({ span: s, ...readSpan(s, '', mappings) }));
  const chats = read.filter((r) => r.span.name.includes('chat'));
  t.ok(chats.length >= 3, `chat spans (${read.map((r) => r.span.name).join(', ')})`);
  t.equal(chats[0].convention, 'langtrace');
  const seen = fromRecord(chats[0].ctx.call);
  t.equal(seen.model, FAKE.model);
  t.same(seen.input, [SYSTEM, QUESTION]);
  t.same(seen.output, [FAKE.reply]);
  t.same(seen.usage, { input: 11, output: 7, total: 18 });
  t.equal(seen.temperature, 0.2);
  t.equal(chats[0].ctx.call.provider, 'openai');
  t.same(fromRecord(chats[2].ctx.call).toolCalls, ['get_weather {"city":"Paris"}']);
  checkBothBackends(t, batch, (s) => s.name);
});
