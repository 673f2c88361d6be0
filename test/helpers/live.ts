// Shared checks for live instrumentation tests: a source batch, translated for Weave and for
// Langtrace and sent through each wire format, must read (by each backend's own rules) as the
// same LLM call the source record holds.
import type { Test } from 'tap';
import type { Span, SpanBatch } from '../../src/model/batch.js';
import { toPlain } from '../../src/model/values.js';
import { loadMappings } from '../../src/conventions/mappings.js';
import { readSpan } from '../../src/conventions/read/index.js';
import { translateBatch } from '../../src/conventions/translate.js';
import type { LlmCall, Message } from '../../src/conventions/record.js';
import { encodeOtlpProto, decodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { encodeLangtraceNative } from '../../src/wire/langtrace.js';
import { langtraceView, weaveView } from '../../src/inspect/views.js';

type Obj = Record<string, unknown>;

export interface Seen {
  model?: string;
  input: string[];
  output: string[];
  toolCalls: string[];
  usage: { input?: number; output?: number; total?: number };
  temperature?: number;
  maxTokens?: number;
}

/** Tool calls a UI shows: the tool_calls field, or (Langtrace) a JSON list of them as the content. */
function toolCallsOf(m: Obj): Obj[] | undefined {
  if (Array.isArray(m.tool_calls)) return m.tool_calls as Obj[];
  if (typeof m.content === 'string' && m.content.startsWith('[{')) {
    const v = JSON.parse(m.content);
    if (Array.isArray(v) && v.every((c) => c && typeof c === 'object' && c.function)) return v;
  }
  return undefined;
}
const texts = (msgs: unknown): string[] =>
  Array.isArray(msgs)
    ? msgs.filter((m) => !(toolCallsOf(m) && typeof m.content === 'string' && m.content.startsWith('[{'))).map((m) => (m as Obj).content).filter((c): c is string => typeof c === 'string')
    : [];
const calls = (msgs: unknown): string[] => (Array.isArray(msgs) ? msgs.flatMap((m) => toolCallsOf(m)?.map((c) => String((c.function as Obj).name)) ?? []) : []);

export function fromRecord(c: LlmCall): Seen {
  const t = (m?: Message[]) => (m ?? []).map((x) => x.content).filter((x): x is string => x !== undefined);
  return {
    model: c.responseModel ?? c.requestModel,
    input: t(c.input),
    output: t(c.output),
    toolCalls: (c.output ?? []).flatMap((m) => m.toolCalls?.map((x) => x.name) ?? []),
    usage:
      c.usage.input === undefined && c.usage.output === undefined
        ? {}
        : { input: c.usage.input, output: c.usage.output, total: c.usage.total ?? (c.usage.input ?? 0) + (c.usage.output ?? 0) },
    temperature: c.params.temperature,
    maxTokens: c.params.maxTokens,
  };
}

function plainAttrs(s: Span): Obj {
  return Object.fromEntries([...s.attributes].map(([k, v]) => [k, toPlain(v)]));
}

export function seenByWeave(s: Span): Seen {
  const v = weaveView(plainAttrs(s));
  const p = (v.parameters ?? {}) as Obj;
  return {
    model: v.model,
    input: texts(v.input),
    output: texts(v.output),
    toolCalls: calls(v.output),
    usage: v.usage.input === undefined && v.usage.output === undefined ? {} : v.usage,
    temperature: p.temperature as number | undefined,
    maxTokens: p.max_tokens as number | undefined,
  };
}

export function seenByLangtrace(span: Obj): Seen {
  const attrs = span.attributes as Obj;
  const v = langtraceView(attrs, span.events as never);
  return {
    model: v.model,
    input: texts(v.prompt),
    output: texts(v.completion),
    toolCalls: calls(v.completion),
    usage: v.usage.input === undefined && v.usage.output === undefined ? {} : v.usage,
    temperature: attrs['gen_ai.request.temperature'] as number | undefined,
    maxTokens: attrs['gen_ai.request.max_tokens'] as number | undefined,
  };
}

export function spansOf(b: SpanBatch): Span[] {
  return b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
}

/** Translates for both backends, through their wire formats, and compares each backend's view with the source. */
export function checkBothBackends(t: Test, source: SpanBatch, label: (s: Span) => string): { weave: SpanBatch; langtrace: Obj[] } {
  const mappings = loadMappings();
  const weave = decodeOtlpProto(encodeOtlpProto(translateBatch(source, 'weave')));
  const langtrace = JSON.parse(encodeLangtraceNative(translateBatch(source, 'langtrace'))) as Obj[];
  const src = spansOf(source);
  const w = spansOf(weave);
  src.forEach((s, i) => {
    const record = readSpan(s, '', mappings).ctx.call;
    const expected = fromRecord(record);
    t.same(seenByWeave(w[i]), expected, `${label(s)}: Weave shows what the source holds`);
    t.same(seenByLangtrace(langtrace[i]), expected, `${label(s)}: Langtrace shows what the source holds`);
  });
  return { weave, langtrace };
}
