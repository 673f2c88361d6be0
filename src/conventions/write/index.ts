// Writes the canonical record as a target profile reads it. Scalars come from mappings/write.json;
// messages, tools and the rest are written per profile below.
import type { AnyValue, Attributes, Span, SpanEvent } from '../../model/batch.js';
import { json, str, writeScalar } from '../attrs.js';
import type { Message } from '../record.js';
import type { Mappings, Profile } from '../mappings.js';
import { fieldGetter, SCALAR_FIELDS, type LlmCall, type ScalarField, type ScalarType, type ScalarValue, type SpanRole } from '../record.js';
import type { Slot } from '../read/context.js';
import { writeOpenAiMessages, writeOtelMessages, writeToolsOpenAi, writeToolsOtel } from '../read/messages.js';
import { writeOpenInference } from './openinference.js';
import { writeGenericIo } from './generic.js';

export interface Written {
  attrs: Attributes;
  events: SpanEvent[];
  written: Set<Slot>;
}

type StructuredWriter = (call: LlmCall, out: Written, span: Span, memo?: MessagesJson) => void;

/** JSON text of message lists already written for this span (every profile is written from one reading). */
type MessagesJson = Map<Message[], string>;

/** True when no turn would carry its tool calls as content: both OpenAI forms are then the same text. */
const sameInBothForms = (msgs: Message[]) => !msgs.some((m) => m.toolCalls && !m.content && !m.parts);

/** OpenAI-shaped messages as JSON text, written once per list when Weave's and Langtrace's forms agree. */
function openAiJson(msgs: Message[], toolCallsInContent: boolean, memo: MessagesJson | undefined): string {
  const shared = memo !== undefined && (!toolCallsInContent || sameInBothForms(msgs));
  let text = shared ? memo.get(msgs) : undefined;
  if (text === undefined) {
    text = JSON.stringify(writeOpenAiMessages(msgs, { toolCallsInContent }));
    if (shared) memo.set(msgs, text);
  }
  return text;
}

/** Langtrace's span types: only `llm` spans get the prompt/completion panel and count tokens and cost. */
const LANGTRACE_TYPE: Record<SpanRole, string> = { llm: 'llm', embedding: 'llm', retriever: 'vectordb', agent: 'framework', chain: 'framework', tool: 'framework' };

const OTEL_OPERATION: Partial<Record<SpanRole, string>> = { tool: 'execute_tool', agent: 'invoke_agent' };

function writeOtelGenai(call: LlmCall, out: Written): void {
  if (call.input) set(out, 'input', 'gen_ai.input.messages', json(writeOtelMessages(call.input, false)));
  if (call.output) set(out, 'output', 'gen_ai.output.messages', json(writeOtelMessages(call.output, true)));
  if (call.tools) set(out, 'tools', 'gen_ai.tool.definitions', json(writeToolsOtel(call.tools)));
  if (call.documents) set(out, 'documents', 'gen_ai.retrieval.documents', json(call.documents));
  const op = call.operation ?? (call.role ? OTEL_OPERATION[call.role] : undefined);
  if (op !== undefined && !out.attrs.has('gen_ai.operation.name')) out.attrs.set('gen_ai.operation.name', str(op));
}

const STRUCTURED_WRITERS: Record<Profile, StructuredWriter> = {
  weave(call, out, _span, memo) {
    // One form per key: JSON strings only, never dotted sub-keys beside them.
    if (call.input) set(out, 'input', 'gen_ai.prompt', str(openAiJson(call.input, false, memo)));
    if (call.output) set(out, 'output', 'gen_ai.completion', str(openAiJson(call.output, false, memo)));
    if (call.tools) set(out, 'tools', 'gen_ai.request.tools', json(writeToolsOpenAi(call.tools)));
    writeGenericIo(call, out);
    // Weave reads no embedding or retrieval keys: the texts embedded and the documents found are its input and output.
    if (call.embeddings?.texts && !out.attrs.has('input.value') && !call.input) out.attrs.set('input.value', json(call.embeddings.texts));
    if (call.documents && !out.attrs.has('output.value') && !call.output) out.attrs.set('output.value', json(call.documents));
    if (call.role) out.attrs.set('weave.span.kind', str(call.role));
    if (call.documents) set(out, 'documents', 'gen_ai.retrieval.documents', json(call.documents));
  },
  langtrace(call, out, span, memo) {
    // A span nothing marks as an LLM call (no messages, model or tokens) is an application span.
    const type = call.role ? LANGTRACE_TYPE[call.role] : 'framework';
    let input = call.input;
    let output = call.output;
    // An LLM call known only by its generic input and output still gets Langtrace's prompt panel.
    if (type === 'llm') {
      if (!input && call.inputValue !== undefined) input = [{ role: 'user', content: call.inputValue }];
      if (!output && call.outputValue !== undefined) output = [{ role: 'assistant', content: call.outputValue }];
    } else writeGenericIo(call, out);
    if (input) {
      const messages = openAiJson(input, true, memo);
      out.events.push(event('gen_ai.content.prompt', span.startTimeUnixNano, 'gen_ai.prompt', messages));
      // The documented (cURL) contract carries the request messages as an attribute too.
      out.attrs.set('llm.request.messages', str(messages));
      out.written.add(call.input ? 'input' : 'inputValue');
    }
    if (output) {
      const messages = openAiJson(output, true, memo);
      out.events.push(event('gen_ai.content.completion', span.endTimeUnixNano, 'gen_ai.completion', messages));
      out.written.add(call.output ? 'output' : 'outputValue');
    }
    if (call.tools) {
      const tools = json(writeToolsOpenAi(call.tools));
      out.attrs.set('gen_ai.request.tools', tools);
      set(out, 'tools', 'llm.tools', tools);
    }
    if (call.embeddings?.texts) set(out, 'embeddings', 'gen_ai.request.embedding_inputs', json(call.embeddings.texts));
    if (call.documents) set(out, 'documents', 'gen_ai.request.documents', json(call.documents));
    if (!span.attributes.has('langtrace.service.type')) out.attrs.set('langtrace.service.type', str(type));
    if (type === 'llm' && !out.attrs.has('llm.path')) {
      const path = apiPath(call);
      if (path) out.attrs.set('llm.path', str(path));
    }
  },
  'otel-genai': writeOtelGenai,
  'otel-genai-additive': writeOtelGenai,
  openinference: writeOpenInference,
};

/**
 * The API path of an LLM call, for Langtrace's documented `llm.path`: as the source said
 * (`url.path`, `http.route`, `llm.path`), else the provider's well-known path for the operation.
 */
const KNOWN_PATHS: Record<string, Record<string, string>> = {
  openai: { chat: '/v1/chat/completions', text_completion: '/v1/completions', embeddings: '/v1/embeddings' },
  anthropic: { chat: '/v1/messages' },
  mistral: { chat: '/v1/chat/completions', embeddings: '/v1/embeddings' },
  groq: { chat: '/openai/v1/chat/completions' },
};

export function apiPath(call: LlmCall): string | undefined {
  if (call.path) return call.path;
  const op = call.operation ?? (call.role === 'embedding' ? 'embeddings' : call.role === 'llm' && (call.input || call.output) ? 'chat' : undefined);
  return op && call.provider ? KNOWN_PATHS[call.provider]?.[op] : undefined;
}

function set(out: Written, slot: Slot, key: string, value: AnyValue): void {
  out.attrs.set(key, value);
  out.written.add(slot);
}

function event(name: string, time: bigint, key: string, value: string): SpanEvent {
  return { name, timeUnixNano: time, attributes: new Map([[key, str(value)]]), droppedAttributesCount: 0 };
}

type CompiledTable = Array<{ field: ScalarField; get: (call: LlmCall) => ScalarValue | undefined; type: ScalarType; keys: string[] }>;
const compiled = new WeakMap<Mappings['write'][Profile], CompiledTable>();

function table(mappings: Mappings, profile: Profile): CompiledTable {
  const raw = mappings.write[profile];
  let t = compiled.get(raw);
  if (!t) compiled.set(raw, (t = raw.map(([field, keys]) => ({ field, get: fieldGetter(field), type: SCALAR_FIELDS[field], keys }))));
  return t;
}

/** `memo`: shared by the profiles written from one reading of the span. */
export function writeCall(profile: Profile, call: LlmCall, mappings: Mappings, span: Span, memo?: MessagesJson): Written {
  const out: Written = { attrs: new Map(), events: [], written: new Set() };
  for (const { field, get, type, keys } of table(mappings, profile)) {
    const v = get(call);
    if (v === undefined) continue;
    const value = writeScalar(v, type);
    for (const k of keys) out.attrs.set(k, value);
    out.written.add(field);
  }
  STRUCTURED_WRITERS[profile](call, out, span, memo);
  return out;
}
