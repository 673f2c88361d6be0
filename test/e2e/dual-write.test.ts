// Dual-write: every span reaches both backends exactly once, each with its own key, and neither
// key ever reaches the other backend.
import t from 'tap';
import { createRequire } from 'node:module';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import { fakeOpenAI, runScenarios, FAKE } from '../helpers/fake-openai.js';
import { byStart, fakeLangtrace, fakeWeave, langtraceSees, weaveSees } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY, drained } from '../helpers/proxy.js';
import { ConfigError } from '../../src/config/load.js';

const require = createRequire(import.meta.url);
const OpenAIModule = require('openai');

t.test('OpenLLMetry over OTLP/JSON, written to Weave and Langtrace at once', async (t) => {
  const api = await fakeOpenAI();
  const weave = await fakeWeave({ key: 'W-KEY' });
  const langtrace = await fakeLangtrace({ key: 'L-KEY' });
  const tb = await startProxy(
    {
      upstreams: [
        { name: 'weave', type: 'weave', url: weave.url, project: 'acme/prod', retry: FAST_RETRY },
        { name: 'langtrace', type: 'langtrace', url: langtrace.url, retry: FAST_RETRY },
      ],
    },
    {},
    { WANDB_API_KEY: 'W-KEY', LANGTRACE_API_KEY: 'L-KEY' },
  );
  t.teardown(async () => {
    await tb.close();
    await Promise.all([weave.close(), langtrace.close(), api.close()]);
  });
  const exporter = new JsonExporter({ url: `${tb.url}/v1/traces`, headers: { authorization: 'Bearer CLIENT-KEY' } });
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const instr = new OpenAIInstrumentation({ enrichTokens: false });
  instr.setTracerProvider(provider);
  instr.manuallyInstrument(OpenAIModule.OpenAI);
  await runScenarios(new OpenAIModule.OpenAI({ apiKey: 'sk-test', baseURL: api.url }));
  await provider.forceFlush();
  const [w, l] = (await Promise.all([weave.waitForSpans(3), langtrace.waitForSpans(3)])).map(byStart);
  await drained(tb);
  t.equal(weave.spans().length, 3, 'Weave: every span exactly once');
  t.equal(langtrace.spans().length, 3, 'Langtrace: every span exactly once');
  t.same(new Set(w.map((s) => s.spanId)), new Set(l.map((s) => s.spanId)), 'the same spans at both');

  const wh = JSON.stringify(weave.hits.map((h) => h.headers));
  const lh = JSON.stringify(langtrace.hits.map((h) => h.headers));
  t.ok(wh.includes('W-KEY') && !wh.includes('L-KEY') && !wh.includes('CLIENT-KEY'), "Weave sees only Weave's key");
  t.ok(lh.includes('L-KEY') && !lh.includes('W-KEY') && !lh.includes('CLIENT-KEY'), "Langtrace sees only Langtrace's key");
  for (const log of tb.logs) t.notMatch(log, /W-KEY|L-KEY|CLIENT-KEY/, 'no key in the logs');

  const wv = weaveSees(w[0]);
  const lv = langtraceSees(l[0]);
  t.equal(wv.model, FAKE.model);
  t.equal(lv.model, FAKE.model);
  t.same(wv.usage, { input: 11, output: 7, total: 18 });
  t.same(lv.usage, { input: 11, output: 7, total: 18 });
  t.equal((wv.output as { content: string }[])[0].content, FAKE.reply);
  t.equal(lv.completion[0].content, FAKE.reply);
});

t.test("with two upstreams, one backend's key goes to the other only when configured", async (t) => {
  await t.rejects(
    startProxy(
      {
        upstreams: [
          { name: 'weave', type: 'weave', url: 'http://127.0.0.1:9', project: 'a/b' },
          { name: 'langtrace', type: 'langtrace', url: 'http://127.0.0.1:9' },
        ],
      },
      {},
      { WANDB_API_KEY: 'W' },
    ),
    new ConfigError(
      'upstream "langtrace" has no key of its own: set LANGTRACE_API_KEY or its auth.key. With several upstreams the inbound key is not passed on unless you say so (auth.mode: passthrough).',
    ),
  );
  // Explicit passthrough: the caller's key goes to Langtrace, Weave keeps its own.
  const weave = await fakeWeave({ key: 'W-KEY' });
  const langtrace = await fakeLangtrace({ key: 'CALLER' });
  const tb = await startProxy(
    {
      upstreams: [
        { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', retry: FAST_RETRY },
        { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'passthrough' }, retry: FAST_RETRY },
      ],
    },
    {},
    { WANDB_API_KEY: 'W-KEY' },
  );
  t.teardown(async () => {
    await tb.close();
    await Promise.all([weave.close(), langtrace.close()]);
  });
  const { readFileSync } = await import('node:fs');
  const res = await fetch(`${tb.url}/api/trace`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'CALLER' },
    body: readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url)),
  });
  t.equal(res.status, 200);
  await Promise.all([weave.waitForSpans(1), langtrace.waitForSpans(1)]);
  t.equal(langtrace.accepted[0].headers['x-api-key'], 'CALLER');
  t.notOk(JSON.stringify(weave.hits.map((h) => h.headers)).includes('CALLER'), "the caller's key does not reach Weave");
});

t.test('multi-tenant key map', async (t) => {
  const weave = await fakeWeave({ key: 'W-TENANT-A' });
  const tb = await startProxy({
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, auth: { mode: 'map', keys: { 'proxy-key-a': { key: 'W-TENANT-A', project: 'tenant-a/app' } } }, retry: FAST_RETRY },
    ],
  });
  t.teardown(async () => {
    await tb.close();
    await weave.close();
  });
  const { readFileSync } = await import('node:fs');
  const body = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url));
  const ok = await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer proxy-key-a' }, body });
  t.equal(ok.status, 200);
  await weave.waitForSpans(1);
  t.equal(weave.accepted[0].headers['project_id'], 'tenant-a/app');
  const bad = await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer stranger' }, body });
  t.equal(bad.status, 401);
  t.same(await bad.json(), { code: 16, message: 'API key not recognised' });
});
