// What @langtrase/typescript-sdk really sends decodes to the same spans as their OTLP equivalent.
import t from 'tap';
import { createRequire } from 'node:module';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { captureServer } from '../helpers/capture-server.js';
import { decodeLangtraceNative } from '../../src/wire/langtrace.js';
import { decodeOtlpProto } from '../../src/wire/otlp-proto.js';
import type { SpanBatch } from '../../src/model/batch.js';

// Load the SDK's own exporter and the OTel 1.x SDK it runs on, from its own dependency tree.
const sdkRequire = createRequire(createRequire(import.meta.url).resolve('@langtrase/typescript-sdk'));
const { LangTraceExporter } = sdkRequire('./extensions/langtraceexporter/langtrace_exporter.js');
const base = sdkRequire('@opentelemetry/sdk-trace-base');
const { Resource } = sdkRequire('@opentelemetry/resources');
const api = sdkRequire('@opentelemetry/api');

/** OTel 1.x ReadableSpans seen through the 2.x shape the current serialiser expects. */
function as2x(span: ReadableSpan & { instrumentationLibrary?: unknown; parentSpanId?: string }): ReadableSpan {
  return new Proxy(span, {
    get(target, key) {
      if (key === 'instrumentationScope') return target.instrumentationLibrary;
      if (key === 'parentSpanContext') return target.parentSpanId ? { traceId: target.spanContext().traceId, spanId: target.parentSpanId, traceFlags: 1 } : undefined;
      return Reflect.get(target, key);
    },
  });
}

const withoutFlags = (b: SpanBatch): SpanBatch => {
  for (const rs of b.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) s.flags = 0;
  return b;
};

t.test('native array from the Langtrace SDK exporter', async (t) => {
  const cap = await captureServer(() => ({ body: '{"message":"Traces added successfully"}' }));
  t.teardown(() => cap.close());
  const recorded: ReadableSpan[] = [];
  const remote = new LangTraceExporter('lt-key-123', cap.url + '/api/trace');
  const tee = {
    export(spans: ReadableSpan[], cb: (r: { code: number }) => void) {
      recorded.push(...spans);
      remote.export(spans, cb);
    },
    shutdown: () => Promise.resolve(),
  };
  const provider = new base.BasicTracerProvider({ resource: new Resource({ 'service.name': 'rag-app', 'service.instance': 7 }) });
  provider.addSpanProcessor(new base.SimpleSpanProcessor(tee));
  const tracer = provider.getTracer('@langtrase/typescript-sdk', '6.3.7');
  const root = tracer.startSpan('LangtraceRootSpan', { startTime: [1_710_000_000, 5] });
  const ctx = api.trace.setSpan(api.context.active(), root);
  const llm = tracer.startSpan(
    'openai.chat.completions.create',
    {
      kind: api.SpanKind.CLIENT,
      startTime: [1_710_000_000, 100_000_000],
      attributes: {
        'langtrace.service.name': 'OpenAI',
        'langtrace.service.type': 'llm',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.request.temperature': 0.3,
        'gen_ai.usage.input_tokens': 17,
        'gen_ai.request.stream': true,
      },
    },
    ctx,
  );
  llm.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': '[{"role":"user","content":"Say hi"}]' }, [1_710_000_000, 200_000_000]);
  llm.setStatus({ code: api.SpanStatusCode.OK });
  llm.end([1_710_000_001, 0]);
  root.end([1_710_000_002, 0]);

  const reqs = await cap.waitFor(2);
  t.equal(reqs[0].headers['user-agent'], 'LangTraceExporter', 'the SDK identifies itself');
  t.equal(reqs[0].headers['x-api-key'], 'lt-key-123');
  t.equal(recorded.length, 2);

  const nativeSpans = reqs.map((r) => decodeLangtraceNative(r.body));
  const otlp = recorded.map((s) => decodeOtlpProto(ProtobufTraceSerializer.serializeRequest([as2x(s)])!));
  t.equal(JSON.parse(reqs[0].body.toString()).length, 1, 'one span per request (SimpleSpanProcessor)');
  nativeSpans.forEach((n, i) => t.same(withoutFlags(n), withoutFlags(otlp[i]), `span ${i}: native == OTLP`));
  const llmSpan = nativeSpans[0].resourceSpans[0].scopeSpans[0].spans[0];
  t.equal(llmSpan.kind, 3, 'API kind CLIENT (2) is OTLP kind 3');
  t.same(llmSpan.attributes.get('gen_ai.usage.input_tokens'), { type: 'int', value: 17n }, 'types preserved: int');
  t.same(llmSpan.attributes.get('gen_ai.request.temperature'), { type: 'double', value: 0.3 }, 'types preserved: double');
  t.equal(llmSpan.startTimeUnixNano, 1_710_000_000_100_000_000n, 'HrTime to the nanosecond');
  t.equal(nativeSpans[0].resourceSpans[0].scopeSpans[0].scope.name, '@langtrase/typescript-sdk');
});
