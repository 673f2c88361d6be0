// Captures the spans a real instrumentation makes for one round of LLM calls against a fake
// OpenAI server, and writes them to stdout as an OTLP protobuf request. One instrumentation
// per process: they patch the same OpenAI client.
//   tsx bench/capture.ts <openinference|openllmetry|langtrace> <output file>
import { writeFileSync } from 'node:fs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { fakeOpenAI, runScenarios } from '../test/helpers/fake-openai.js';
import { captureServer } from '../test/helpers/capture-server.js';
import { langtraceSdk, openaiModule, openinferenceOpenAI, openllmetryOpenAI } from '../test/helpers/bench-clients.js';
import { decodeLangtraceNative } from '../src/wire/langtrace.js';
import { encodeOtlpProto } from '../src/wire/otlp-proto.js';
import type { SpanBatch } from '../src/model/batch.js';

const OpenAIModule = openaiModule();
const which = process.argv[2];

async function main(): Promise<Uint8Array> {
  const api = await fakeOpenAI();
  try {
    const client = () => new OpenAIModule.OpenAI({ apiKey: 'sk-bench', baseURL: api.url });
    if (which === 'langtrace') {
      const cap = await captureServer(() => ({ body: '{"message":"Traces added successfully"}' }));
      langtraceSdk().init({
        api_key: 'lt',
        api_host: cap.url + '/api/trace',
        batch: false,
        disable_latest_version_check: true,
        instrumentations: { openai: OpenAIModule },
      });
      await runScenarios(client());
      await cap.waitFor(4);
      await cap.close();
      const batch: SpanBatch = { resourceSpans: cap.requests.flatMap((r) => decodeLangtraceNative(r.body).resourceSpans) };
      return encodeOtlpProto(batch);
    }
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
    if (which === 'openinference') {
      const OpenAIInstrumentation = await openinferenceOpenAI();
      new OpenAIInstrumentation({ tracerProvider: provider }).manuallyInstrument(OpenAIModule);
    } else if (which === 'openllmetry') {
      const OpenAIInstrumentation = await openllmetryOpenAI();
      const i = new OpenAIInstrumentation({ enrichTokens: false });
      i.setTracerProvider(provider);
      i.manuallyInstrument(OpenAIModule.OpenAI);
    } else throw new Error(`unknown instrumentation "${which}"`);
    await runScenarios(client());
    return ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!;
  } finally {
    await api.close();
  }
}

main().then(
  (bytes) => {
    writeFileSync(process.argv[3], bytes);
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`capture: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
