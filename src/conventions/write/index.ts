// Writes the canonical record as a target profile reads it. Scalars come from mappings/write.json;
// messages, tools and the rest are written per profile below.
import type { AnyValue, Attributes, Span, SpanEvent } from '../../model/batch.js';
import { json, str, writeScalar } from '../attrs.js';
import type { Mappings, Profile } from '../mappings.js';
import { fieldGetter, SCALAR_FIELDS, type LlmCall, type ScalarField, type ScalarType, type ScalarValue } from '../record.js';
import type { Slot } from '../read/context.js';
import { writeOpenAiMessages, writeOtelMessages, writeToolsOpenAi, writeToolsOtel } from '../read/messages.js';
import { writeOpenInference } from './openinference.js';

export interface Written {
  attrs: Attributes;
  events: SpanEvent[];
  written: Set<Slot>;
}

type StructuredWriter = (call: LlmCall, out: Written, span: Span) => void;

const LLM_OPERATIONS = new Set(['chat', 'text_completion', 'generate_content', 'embeddings']);

const STRUCTURED_WRITERS: Record<Profile, StructuredWriter> = {
  weave(call, out) {
    // One form per key: JSON strings only, never dotted sub-keys beside them.
    if (call.input) set(out, 'input', 'gen_ai.prompt', json(writeOpenAiMessages(call.input)));
    if (call.output) set(out, 'output', 'gen_ai.completion', json(writeOpenAiMessages(call.output)));
    if (call.tools) set(out, 'tools', 'gen_ai.request.tools', json(writeToolsOpenAi(call.tools)));
  },
  langtrace(call, out, span) {
    if (call.input) {
      const messages = JSON.stringify(writeOpenAiMessages(call.input, { toolCallsInContent: true }));
      out.events.push(event('gen_ai.content.prompt', span.startTimeUnixNano, 'gen_ai.prompt', messages));
      // The documented (cURL) contract carries the request messages as an attribute too.
      out.attrs.set('llm.request.messages', str(messages));
      out.written.add('input');
    }
    if (call.output) {
      const messages = JSON.stringify(writeOpenAiMessages(call.output, { toolCallsInContent: true }));
      out.events.push(event('gen_ai.content.completion', span.endTimeUnixNano, 'gen_ai.completion', messages));
      out.written.add('output');
    }
    if (call.tools) {
      const tools = json(writeToolsOpenAi(call.tools));
      out.attrs.set('gen_ai.request.tools', tools);
      set(out, 'tools', 'llm.tools', tools);
    }
    const isLlm = (call.operation && LLM_OPERATIONS.has(call.operation)) || call.input || call.output || call.usage.input !== undefined;
    if (isLlm && !span.attributes.has('langtrace.service.type')) out.attrs.set('langtrace.service.type', str('llm'));
  },
  'otel-genai'(call, out) {
    if (call.input) set(out, 'input', 'gen_ai.input.messages', json(writeOtelMessages(call.input, false)));
    if (call.output) set(out, 'output', 'gen_ai.output.messages', json(writeOtelMessages(call.output, true)));
    if (call.tools) set(out, 'tools', 'gen_ai.tool.definitions', json(writeToolsOtel(call.tools)));
  },
  openinference: writeOpenInference,
};

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

export function writeCall(profile: Profile, call: LlmCall, mappings: Mappings, span: Span): Written {
  const out: Written = { attrs: new Map(), events: [], written: new Set() };
  for (const { field, get, type, keys } of table(mappings, profile)) {
    const v = get(call);
    if (v === undefined) continue;
    const value = writeScalar(v, type);
    for (const k of keys) out.attrs.set(k, value);
    out.written.add(field);
  }
  STRUCTURED_WRITERS[profile](call, out, span);
  return out;
}
