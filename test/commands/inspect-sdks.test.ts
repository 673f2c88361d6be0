// `tracebridge inspect` on what OpenLLMetry and the Langtrace SDK really send.
import t from 'tap';
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import { fakeOpenAI, runScenarios, FAKE } from '../helpers/fake-openai.js';
import { captureServer } from '../helpers/capture-server.js';
import { runCli } from '../helpers/cli.js';

const require = createRequire(import.meta.url);
const OpenAIModule = require('openai');

t.test('OpenLLMetry (OTLP protobuf) and the Langtrace SDK (its native array, as JSON lines)', async (t) => {
  const api = await fakeOpenAI();
  t.teardown(api.close);
  const dir = mkdtempSync(join(tmpdir(), 'tb-inspect-'));

  // OpenLLMetry first, then the Langtrace SDK on a second client class: each patches its own.
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const instr = new OpenAIInstrumentation({ enrichTokens: false });
  instr.setTracerProvider(provider);
  instr.manuallyInstrument(OpenAIModule.OpenAI);
  await runScenarios(new OpenAIModule.OpenAI({ apiKey: 'sk-test', baseURL: api.url }));
  instr.disable();
  writeFileSync(join(dir, 'openllmetry.pb'), ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!);
  const ollm = await runCli(['inspect', join(dir, 'openllmetry.pb')]);
  t.equal(ollm.code, 0, ollm.stderr);
  t.match(ollm.stdout.toString(), /convention: openllmetry/);
  t.match(ollm.stdout.toString(), new RegExp(`Weave: {5}llm span; model ${FAKE.model}; tokens 11 in, 7 out, 18 total`));
  t.match(ollm.stdout.toString(), new RegExp(`Langtrace: llm span; model ${FAKE.model}; tokens 11 in, 7 out, 18 total; vendor openai`));

  const cap = await captureServer(() => ({ body: '{"message":"Traces added successfully"}' }));
  t.teardown(cap.close);
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  require('@langtrase/typescript-sdk').init({
    api_key: 'k',
    api_host: cap.url + '/api/trace',
    batch: false,
    disable_latest_version_check: true,
    instrumentations: { openai: OpenAIModule },
  });
  await runScenarios(new OpenAIModule.OpenAI({ apiKey: 'sk-test', baseURL: api.url }));
  // One request per span (batch: false): the three chat calls and the embedding.
  await cap.waitFor(4);
  writeFileSync(join(dir, 'langtrace.jsonl'), cap.requests.map((r) => r.body.toString()).join('\n') + '\n');
  const lt = await runCli(['inspect', join(dir, 'langtrace.jsonl')]);
  t.equal(lt.code, 0, lt.stderr);
  t.match(lt.stdout.toString(), /convention: langtrace/);
  t.match(lt.stdout.toString(), new RegExp(`Langtrace: llm span; model ${FAKE.model}; tokens 11 in, 7 out, 18 total; vendor openai`));
  t.match(lt.stdout.toString(), /assistant: It is sunny in Paris\./);
});
