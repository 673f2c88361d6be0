// ReadableSpans made by the real OpenTelemetry SDK, plus hand-made ones carrying the attribute
// kinds the SDK's API refuses (kvlist, bytes), so the real exporters serialise every value type.
import { SpanKind, SpanStatusCode, context, trace, type Attributes as OtelAttributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Span as ModelSpan, SpanBatch, AnyValue } from '../../src/model/batch.js';

export function sdkSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'shop', 'service.version': '1.2.3', 'deployment.replicas': 3 }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('checkout-lib', '0.9.1');
  const root = tracer.startSpan('workflow', { kind: SpanKind.SERVER, startTime: [1_700_000_000, 123_456_789] });
  const ctx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: [1_700_000_000, 200_000_001],
      attributes: {
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.request.stream': false,
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        numbers: [1, 2, 3],
        flags: [true, false],
        ratios: [0.5, 1.5],
      },
      links: [{ context: root.spanContext(), attributes: { 'link.kind': 'follows' } }],
    },
    ctx,
  );
  child.addEvent('gen_ai.content.prompt', { 'gen_ai.prompt': '[{"role":"user","content":"hi"}]' }, [1_700_000_000, 300_000_000]);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  child.end([1_700_000_001, 999_999_999]);
  root.setStatus({ code: SpanStatusCode.OK });
  root.end([1_700_000_002, 1]);
  return memory.getFinishedSpans();
}

/** A span the SDK would refuse to build: kvlist and bytes values, as some instrumentations emit through the exporter. */
export function exoticSpan(base: ReadableSpan): ReadableSpan {
  const attributes = {
    ...base.attributes,
    nested: { inner: 'x', depth: 2, deeper: { ok: true } },
    raw: new Uint8Array([0, 1, 2, 254, 255]),
    big: 9_007_199_254_740_991,
  } as unknown as OtelAttributes;
  return new Proxy(base, {
    get: (target, key) => (key === 'attributes' ? attributes : key === 'name' ? 'exotic' : Reflect.get(target, key)),
  });
}

const NS = 1_000_000_000n;
export const hrToNs = (t: [number, number]) => BigInt(t[0]) * NS + BigInt(t[1]);

/** Plain JS view of an AnyValue, for comparing with SDK attributes. */
export function plain(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  switch (v.type) {
    case 'int':
      return Number(v.value);
    case 'array':
      return v.value.map(plain);
    case 'kvlist':
      return Object.fromEntries([...v.value].map(([k, x]) => [k, plain(x)]));
    case 'empty':
      return null;
    default:
      return v.value;
  }
}

export function findSpan(batch: SpanBatch, name: string): ModelSpan {
  for (const rs of batch.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) if (s.name === name) return s;
  throw new Error(`no span named ${name}`);
}

let nextSpan = 0;

/** Posts one OTLP/JSON span with an id of its own to a proxy's /v1/traces. */
export function postOneSpan(base: string): Promise<Response> {
  const id = (++nextSpan).toString(16).padStart(16, '0');
  const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id.repeat(2), spanId: id, name: 'op', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] });
  return fetch(`${base}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}
