// One Weave call (CallSchema from /calls/stream_query) as one span that tracebridge's readers
// understand: OpenInference's kind, model, token counts and input.value / output.value holding
// the call's inputs and output as JSON (messages and OpenAI choices are read from them by shape).
import type { AnyValue, Attributes, Span, SpanEvent } from '../../model/batch.js';
import { emptySpan } from '../../model/batch.js';
import { fromPlain } from '../../model/values.js';
import { spanIdOf, traceIdOf } from './ids.js';
import { isoToNanos } from './times.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface WeaveCall {
  id: string;
  trace_id: string;
  parent_id?: string | null;
  op_name: string;
  display_name?: string | null;
  thread_id?: string | null;
  started_at: string;
  ended_at?: string | null;
  attributes?: Obj | null;
  inputs?: Obj | null;
  output?: unknown;
  summary?: { usage?: Record<string, Obj> } | null;
  exception?: string | null;
}

/** `weave:///entity/project/op/NAME:digest` → NAME; a plain name as it is. */
export function opName(ref: string): string {
  const m = /^weave:\/\/\/[^/]+\/[^/]+\/op\/([^:]+)(?::.*)?$/.exec(ref);
  return m ? m[1] : ref;
}

const str = (k: string, v: string): [string, AnyValue] => [k, { type: 'string', value: v }];
const int = (k: string, v: number): [string, AnyValue] => [k, { type: 'int', value: BigInt(Math.round(v)) }];
const json = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

const PROVIDERS: Array<[RegExp, string]> = [
  [/openai|gpt-|o[134]-|\bo[134]\b/i, 'openai'],
  [/anthropic|claude/i, 'anthropic'],
  [/mistral/i, 'mistralai'],
  [/cohere/i, 'cohere'],
  [/groq/i, 'groq'],
  [/gemini|google/i, 'google'],
];

const providerOf = (...names: Array<string | undefined>) => PROVIDERS.find(([re]) => names.some((n) => n && re.test(n)))?.[1];

interface Usage {
  model?: string;
  input?: number;
  output?: number;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * Tokens only for a call whose own output carries usage (a leaf LLM call): a parent's
 * summary.usage adds up its descendants', so counting it would count their tokens again.
 */
function usageOf(call: WeaveCall): Usage | undefined {
  const out = isObj(call.output) ? call.output : undefined;
  if (!out || !isObj(out.usage)) return undefined;
  const own = out.usage;
  const entries = Object.entries(call.summary?.usage ?? {}).filter(([, u]) => isObj(u));
  const [model, u] = entries.length === 1 ? entries[0] : [typeof out.model === 'string' ? out.model : undefined, own];
  return {
    model: typeof out.model === 'string' ? out.model : model,
    input: num(u.prompt_tokens) ?? num(u.input_tokens),
    output: num(u.completion_tokens) ?? num(u.output_tokens),
  };
}

const isLlm = (call: WeaveCall) =>
  Array.isArray(call.inputs?.messages) || Array.isArray(call.inputs?.contents) || (isObj(call.output) && (Array.isArray(call.output.choices) || isObj(call.output.usage)));

/** The attributes for a call made by Weave's SDK (not over OTel). */
function callAttributes(call: WeaveCall, name: string): Attributes {
  const a: Array<[string, AnyValue]> = [];
  const llm = isLlm(call);
  a.push(str('openinference.span.kind', llm ? 'LLM' : 'CHAIN'));
  const usage = usageOf(call);
  const model = usage?.model ?? (typeof call.inputs?.model === 'string' ? call.inputs.model : undefined);
  if (llm && model) a.push(str('llm.model_name', model));
  const provider = llm ? providerOf(call.op_name, model) : undefined;
  if (provider) a.push(str('llm.provider', provider));
  if (usage?.input !== undefined) a.push(int('llm.token_count.prompt', usage.input));
  if (usage?.output !== undefined) a.push(int('llm.token_count.completion', usage.output));
  if (usage?.input !== undefined && usage.output !== undefined) a.push(int('llm.token_count.total', usage.input + usage.output));
  if (call.inputs && Object.keys(call.inputs).length) a.push(str('input.value', json(call.inputs)), str('input.mime_type', 'application/json'));
  if (call.output !== undefined && call.output !== null)
    a.push(str('output.value', json(call.output)), str('output.mime_type', typeof call.output === 'string' ? 'text/plain' : 'application/json'));
  if (call.display_name) a.push(str('wandb.display_name', name));
  if (call.thread_id) a.push(str('session.id', call.thread_id));
  for (const [k, v] of Object.entries(call.attributes ?? {}))
    if (k !== 'weave' && k !== 'otel_span' && v !== undefined && v !== null) a.push(str(`weave.attributes.${k}`, json(v)));
  return new Map(a);
}

/** Dotted keys for nested objects (Weave keeps an OTel span's attributes un-flattened). */
function flatten(o: Obj, prefix = '', out: Attributes = new Map()): Attributes {
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null) continue;
    if (isObj(v) && Object.keys(v).length) flatten(v, `${prefix}${k}.`, out);
    else out.set(prefix + k, fromPlain(Array.isArray(v) && v.some((x) => typeof x === 'object') ? JSON.stringify(v) : v));
  }
  return out;
}

/** A call that came in over OTel: the span's own attributes, as Weave kept them. */
function otelAttributes(call: WeaveCall): Attributes | undefined {
  const dump = call.attributes?.otel_span;
  if (isObj(dump) && isObj(dump.attributes) && Object.keys(dump.attributes).length) return flatten(dump.attributes);
  return undefined;
}

/** Weave's exception: JSON text with type and message (or plain text). */
function exceptionOf(text: string): { type?: string; message: string; stack?: string } {
  try {
    const e = JSON.parse(text) as unknown;
    if (isObj(e))
      return {
        type: typeof e.type === 'string' ? e.type : undefined,
        message: String(e.message ?? e.value ?? text),
        stack: typeof e.traceback === 'string' ? e.traceback : undefined,
      };
    return { message: typeof e === 'string' ? e : text };
  } catch {
    return { message: text };
  }
}

function exceptionEvent(e: { type?: string; message: string; stack?: string }, at: bigint): SpanEvent {
  const attrs: Array<[string, AnyValue]> = [str('exception.message', e.message)];
  if (e.type) attrs.push(str('exception.type', e.type));
  if (e.stack) attrs.push(str('exception.stacktrace', e.stack));
  return { timeUnixNano: at, name: 'exception', attributes: new Map(attrs), droppedAttributesCount: 0 };
}

/** The call as a span; undefined when it has no readable start time. */
export function callToSpan(call: WeaveCall): Span | undefined {
  const start = isoToNanos(call.started_at ?? '');
  if (start === undefined || !call.id || !call.trace_id) return undefined;
  const end = (call.ended_at ? isoToNanos(call.ended_at) : undefined) ?? start;
  const name = call.display_name || opName(call.op_name ?? '') || 'call';
  const attributes = otelAttributes(call) ?? callAttributes(call, name);
  attributes.set('weave.call_id', { type: 'string', value: call.id });
  attributes.set('weave.trace_id', { type: 'string', value: call.trace_id });
  const span: Span = { ...emptySpan(), traceId: traceIdOf(call.trace_id), spanId: spanIdOf(call.id), name, kind: 1, startTimeUnixNano: start, endTimeUnixNano: end, attributes };
  if (call.parent_id) span.parentSpanId = spanIdOf(call.parent_id);
  if (call.exception) {
    const e = exceptionOf(call.exception);
    span.status = { code: 2, message: e.type ? `${e.type}: ${e.message}` : e.message };
    span.events = [exceptionEvent(e, end)];
  }
  return span;
}
