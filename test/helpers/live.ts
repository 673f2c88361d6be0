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
import { urlOfPart } from '../../src/conventions/read/messages.js';
import { encodeOtlpProto, decodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { encodeLangtraceNative } from '../../src/wire/langtrace.js';
import { langtraceView, weaveView } from '../../src/inspect/views.js';

type Obj = Record<string, unknown>;

interface Seen {
  kind?: string;
  model?: string;
  /** Each input message's text (a tool result's too); for a span without messages, its generic input. */
  input: string[];
  output: string[];
  /** Image references in the input messages (URLs or data URLs). */
  images: string[];
  /** Tool calls the output asks for, as `name arguments`. */
  toolCalls: string[];
  usage: { input?: number; output?: number; total?: number };
  temperature?: number;
  maxTokens?: number;
}

/** JSON text in one canonical spelling, so `{"a": 1}` and `{"a":1}` compare equal. */
const canon = (v: unknown): string => {
  if (typeof v !== 'string') return JSON.stringify(v);
  try {
    const p = JSON.parse(v);
    return typeof p === 'object' && p !== null ? JSON.stringify(p) : v;
  } catch {
    return v;
  }
};

/** Tool calls a UI shows: the tool_calls field, or (Langtrace) a JSON list of them as the content. */
function toolCallsOf(m: Obj): Obj[] | undefined {
  if (Array.isArray(m.tool_calls)) return m.tool_calls as Obj[];
  if (typeof m.content === 'string' && m.content.startsWith('[{')) {
    const v = JSON.parse(m.content);
    if (Array.isArray(v) && v.every((c) => c && typeof c === 'object' && c.function)) return v;
  }
  return undefined;
}
const isCallsText = (m: Obj) => toolCallsOf(m) !== undefined && typeof m.content === 'string' && m.content.startsWith('[{');
/** A message's text as a UI shows it: the string, or the text parts of a content array joined. */
function textOf(m: Obj): string | undefined {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) {
    const t = (m.content as Obj[]).filter((p) => p.type === 'text').map((p) => String(p.text));
    return t.length ? t.join('\n') : undefined;
  }
  return undefined;
}
const texts = (msgs: unknown): string[] =>
  Array.isArray(msgs)
    ? msgs
        .filter((m) => !isCallsText(m))
        .map(textOf)
        .filter((c): c is string => c !== undefined)
    : [];
const images = (msgs: unknown): string[] =>
  Array.isArray(msgs)
    ? msgs.flatMap((m) =>
        Array.isArray((m as Obj).content) ? ((m as Obj).content as Obj[]).filter((p) => p.type === 'image_url').map((p) => String((p.image_url as Obj).url)) : [],
      )
    : [];
const calls = (msgs: unknown): string[] =>
  Array.isArray(msgs) ? msgs.flatMap((m) => toolCallsOf(m)?.map((c) => `${(c.function as Obj).name} ${canon((c.function as Obj).arguments)}`) ?? []) : [];

const LANGTRACE_TYPE: Record<string, string> = { llm: 'llm', embedding: 'llm', retriever: 'vectordb', agent: 'framework', chain: 'framework', tool: 'framework' };

/** What a backend should show for a record: the ground truth each view is compared with. */
export function fromRecord(c: LlmCall, backend: 'weave' | 'langtrace' = 'weave'): Seen {
  const t = (m?: Message[]) => (m ?? []).map((x) => x.content).filter((x): x is string => x !== undefined);
  const generic = (v?: string) => (v === undefined ? [] : [canon(v)]);
  const llmType = backend === 'langtrace' ? (c.role ? LANGTRACE_TYPE[c.role] : 'framework') === 'llm' : true;
  // Langtrace shows a generic LLM input as a user message; others keep their generic input and output.
  // Weave shows the texts embedded and the documents found as the input and output.
  const embedded = backend === 'weave' && c.embeddings?.texts ? JSON.stringify(c.embeddings.texts) : undefined;
  const found = backend === 'weave' && c.documents ? JSON.stringify(c.documents) : undefined;
  const input = c.input ? t(c.input) : generic(c.tool?.arguments ?? c.inputValue ?? embedded);
  const output = c.output ? t(c.output) : generic(c.tool?.result ?? c.outputValue ?? found);
  const usage =
    c.usage.input === undefined && c.usage.output === undefined
      ? {}
      : {
          input: c.usage.input,
          output: c.usage.output,
          total: backend === 'weave' ? (c.usage.total ?? (c.usage.input ?? 0) + (c.usage.output ?? 0)) : (c.usage.input ?? 0) + (c.usage.output ?? 0),
        };
  return {
    kind: backend === 'weave' ? c.role : c.role ? LANGTRACE_TYPE[c.role] : 'framework',
    model: c.responseModel ?? c.requestModel,
    input,
    output,
    images: (c.input ?? []).flatMap((m) => (m.parts ?? []).filter((p) => p.type === 'image').map((p) => urlOfPart(p)!)),
    toolCalls: (c.output ?? []).flatMap((m) => m.toolCalls?.map((x) => `${x.name} ${canon(x.arguments)}`) ?? []),
    usage: llmType ? usage : {},
    temperature: c.params.temperature,
    maxTokens: c.params.maxTokens,
  };
}

function plainAttrs(s: Span): Obj {
  return Object.fromEntries([...s.attributes].map(([k, v]) => [k, toPlain(v)]));
}

/** A generic value as Weave shows it (JSON text parsed), in the canonical spelling. */
const generic = (v: unknown): string[] => (v === undefined ? [] : [canon(typeof v === 'string' ? v : JSON.stringify(v))]);

const isMessages = (v: unknown): v is Obj[] => Array.isArray(v) && v.length > 0 && v.every((m) => m && typeof m === 'object' && 'role' in m);

export function seenByWeave(s: Span): Seen {
  const v = weaveView(
    plainAttrs(s),
    s.events.map((e) => ({ name: e.name, attributes: Object.fromEntries([...e.attributes].map(([k, x]) => [k, toPlain(x)])) })),
  );
  const p = (v.parameters ?? {}) as Obj;
  return {
    kind: v.kind,
    model: v.model,
    input: isMessages(v.input) ? texts(v.input) : generic(v.input),
    output: isMessages(v.output) ? texts(v.output) : generic(v.output),
    images: images(v.input),
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
    kind: v.type,
    model: v.model,
    // An llm span shows its prompt panel; any other its attributes.
    input: v.prompt !== undefined ? texts(v.prompt) : v.type === 'llm' ? [] : generic(v.io.input),
    output: v.completion !== undefined ? texts(v.completion) : v.type === 'llm' ? [] : generic(v.io.output),
    images: images(v.prompt),
    toolCalls: calls(v.completion),
    usage: v.usage.input === undefined && v.usage.output === undefined ? {} : v.usage,
    temperature: attrs['gen_ai.request.temperature'] as number | undefined,
    maxTokens: attrs['gen_ai.request.max_tokens'] as number | undefined,
  };
}

function scopeOf(b: SpanBatch, span: Span): string {
  for (const rs of b.resourceSpans) for (const ss of rs.scopeSpans) if (ss.spans.includes(span)) return ss.scope.name;
  return '';
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
    const record = readSpan(s, scopeOf(source, s), mappings).ctx.call;
    t.same(seenByWeave(w[i]), fromRecord(record, 'weave'), `${label(s)}: Weave shows what the source holds`);
    t.same(seenByLangtrace(langtrace[i]), fromRecord(record, 'langtrace'), `${label(s)}: Langtrace shows what the source holds`);
    t.equal(w[i].parentSpanId, s.parentSpanId, `${label(s)}: Weave keeps the parent`);
    t.equal(langtrace[i].parentSpanId ?? '', s.parentSpanId, `${label(s)}: Langtrace keeps the parent`);
  });
  return { weave, langtrace };
}
