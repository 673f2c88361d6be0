// The drop-in endpoint swap: an exporter written for one backend, pointed at tracebridge, reaches
// the other backend with its key in that backend's scheme, showing the same LLM call.
import t from 'tap';
import { createRequire } from 'node:module';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { fakeOpenAI, runScenarios, FAKE, QUESTION } from '../helpers/fake-openai.js';
import { byStart, fakeLangtrace, fakeWeave, langtraceSees, weaveSees } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY, drained } from '../helpers/proxy.js';

const require = createRequire(import.meta.url);
const OpenAIModule = require('openai');

t.test('a Weave exporter (OpenInference over OTLP protobuf) pointed at tracebridge reaches Langtrace', async (t) => {
  const api = await fakeOpenAI();
  const langtrace = await fakeLangtrace({ key: 'wandb-user-key' });
  const tb = await startProxy({ upstreams: [{ name: 'langtrace', type: 'langtrace', url: langtrace.url, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await langtrace.close();
    await api.close();
  });
  // Exactly what Weave's docs tell a user to configure, with only the host changed.
  const exporter = new ProtoExporter({
    url: `${tb.url}/otel/v1/traces`,
    headers: { Authorization: 'Basic ' + Buffer.from('api:wandb-user-key').toString('base64'), project_id: 'acme/shop' },
  });
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'shop' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  new OpenAIInstrumentation({ tracerProvider: provider }).manuallyInstrument(OpenAIModule);
  await runScenarios(new OpenAIModule.OpenAI({ apiKey: 'sk-test', baseURL: api.url }));
  await provider.forceFlush();
  const spans = byStart(await langtrace.waitForSpans(4));
  t.equal(spans.length, 4, 'every span arrives once');
  t.equal(langtrace.accepted[0].headers['x-api-key'], 'wandb-user-key', "the Basic password became Langtrace's x-api-key");
  t.notOk(langtrace.accepted[0].headers.authorization, 'no Authorization header goes on');
  t.equal(langtrace.accepted[0].headers['content-encoding'], undefined, 'never gzip to Langtrace');
  const view = langtraceSees(spans[0]);
  t.equal(view.model, FAKE.model);
  t.same(
    view.prompt.map((m: { content: string }) => m.content),
    ['You are a weather bot.', QUESTION],
  );
  t.equal(view.completion[0].content, FAKE.reply);
  t.same(view.usage, { input: 11, output: 7, total: 18 });
  t.equal(view.vendor, 'openai');
  t.equal(view.type, 'llm');
  t.notOk(
    tb.logs.some((l) => l.includes('wandb-user-key')),
    'the key is never logged',
  );
});

t.test('the Langtrace SDK pointed at tracebridge reaches Weave, with --weave-project', async (t) => {
  const api = await fakeOpenAI();
  const weave = await fakeWeave({ key: 'lt-user-key' });
  const tb = await startProxy({ upstreams: [{ name: 'weave', type: 'weave', url: weave.url, retry: FAST_RETRY }] }, { weaveProject: 'acme/support-bot' });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
    await api.close();
  });
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  require('@langtrase/typescript-sdk').init({
    api_key: 'lt-user-key',
    api_host: `${tb.url}/api/trace`,
    batch: false,
    disable_latest_version_check: true,
    instrumentations: { openai: OpenAIModule },
  });
  await runScenarios(new OpenAIModule.OpenAI({ apiKey: 'sk-test', baseURL: api.url }));
  const spans = await weave.waitForSpans(3);
  await drained(tb);
  const h = weave.accepted[0].headers;
  t.equal(h.authorization, 'Basic ' + Buffer.from('api:lt-user-key').toString('base64'), 'x-api-key became Basic api:KEY');
  t.equal(h['wandb-api-key'], 'lt-user-key');
  t.equal(h['project_id'], 'acme/support-bot');
  t.equal(h['content-encoding'], 'gzip');
  const rs = weave.accepted[0].batch.resourceSpans[0].resource.attributes;
  t.same(
    [rs.get('wandb.entity'), rs.get('wandb.project')],
    [
      { type: 'string', value: 'acme' },
      { type: 'string', value: 'support-bot' },
    ],
    'project on the resource too',
  );
  const chat = spans.find((s) => weaveSees(s).output);
  t.ok(chat, 'a chat span shows an output in Weave');
  const view = weaveSees(chat!);
  t.equal(view.model, FAKE.model);
  t.same(
    (view.input as { content: string }[]).map((m) => m.content),
    ['You are a weather bot.', QUESTION],
  );
  t.same(view.usage, { input: 11, output: 7, total: 18 });
  t.equal((view.parameters as { temperature: number }).temperature, 0.2);
});

t.test("Langtrace's cURL example, unchanged but for the host", async (t) => {
  const langtrace = await fakeLangtrace({ key: 'lt-key' });
  const tb = await startProxy({ upstreams: [{ name: 'langtrace', type: 'langtrace', url: langtrace.url, retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await langtrace.close();
  });
  const { readFileSync } = await import('node:fs');
  const res = await fetch(`${tb.url}/api/trace`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'lt-key' },
    body: readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url)),
  });
  t.equal(res.status, 200);
  t.same(await res.json(), { message: 'Traces added successfully' });
  const [span] = await langtrace.waitForSpans(1);
  const view = langtraceSees(span);
  t.equal(view.model, 'gpt-4');
  t.same(view.usage, { input: 25, output: 18, total: 43 });
  t.equal(view.prompt[1].content, "What's the weather in Paris?");
  t.equal(span.attributes.get('llm.request.temperature')?.type, 'double', 'a double, kept as a double');
});

t.test("a hand-written OTLP/JSON request with Weave's headers reaches Weave as protobuf", async (t) => {
  const weave = await fakeWeave({ key: 'wk' });
  const tb = await startProxy({ upstreams: [{ name: 'weave', type: 'weave', url: weave.url + '/otel/v1/traces', retry: FAST_RETRY }] });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  // Weave takes protobuf only; a JSON body written from its docs' headers works through tracebridge.
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'curl-demo' } }] },
        scopeSpans: [
          {
            scope: { name: 'manual' },
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                name: 'chat gpt-4o',
                kind: 3,
                startTimeUnixNano: '1730000000000000000',
                endTimeUnixNano: '1730000001000000000',
                attributes: [
                  { key: 'gen_ai.system', value: { stringValue: 'openai' } },
                  { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
                  { key: 'gen_ai.prompt.0.role', value: { stringValue: 'user' } },
                  { key: 'gen_ai.prompt.0.content', value: { stringValue: 'Hello Weave' } },
                  { key: 'gen_ai.completion.0.role', value: { stringValue: 'assistant' } },
                  { key: 'gen_ai.completion.0.content', value: { stringValue: 'Hello!' } },
                  { key: 'gen_ai.usage.prompt_tokens', value: { intValue: '4' } },
                  { key: 'gen_ai.usage.completion_tokens', value: { intValue: 2 } },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
  const res = await fetch(`${tb.url}/otel/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Basic ' + Buffer.from('api:wk').toString('base64'), project_id: 'me/demo' },
    body: JSON.stringify(body),
  });
  t.equal(res.status, 200);
  t.same(await res.json(), {}, 'an empty ExportTraceServiceResponse, as JSON since JSON came in');
  const [span] = await weave.waitForSpans(1);
  t.equal(weave.accepted[0].headers['content-type'], 'application/x-protobuf');
  const view = weaveSees(span);
  t.same(view.input, [{ role: 'user', content: 'Hello Weave' }]);
  t.same(view.output, [{ role: 'assistant', content: 'Hello!' }]);
  t.same(view.usage, { input: 4, output: 2, total: 6 });
  t.equal(span.traceId, '5b8efff798038103d269b633813fc60c', 'ids unchanged');
});
