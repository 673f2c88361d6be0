// Reads one span into the canonical record: the detected convention first, then the others
// to fill what it lacks (a span may mix conventions).
import { sortShort } from '../order.js';
import type { AnyValue, Span } from '../../model/batch.js';
import { asString, readScalar } from '../attrs.js';
import { detect, readingOrder } from '../detect.js';
import type { Convention, Mappings } from '../mappings.js';
import { SCALAR_FIELDS, type LlmCall, type ScalarField, type SpanRole } from '../record.js';
import { ReadContext } from './context.js';
import { STRUCTURED_READERS } from './conventions.js';
import { mergeCarriers } from './carriers.js';

export interface ReadResult {
  convention: Convention | undefined;
  ctx: ReadContext;
}

type Hit = { rank: number; key: string; fields: ScalarField[]; value: AnyValue };

const byRank = (a: Hit, b: Hit) => a.rank - b.rank;

/** Each convention's place in the reading order, per detected convention (computed once). */
const PLACES = new Map<Convention | undefined, Record<Convention, number>>();
function placeIn(primary: Convention | undefined): Record<Convention, number> {
  let p = PLACES.get(primary);
  if (!p) PLACES.set(primary, (p = Object.fromEntries(readingOrder(primary).map((c, i) => [c, i])) as Record<Convention, number>));
  return p;
}

interface ReadOptions {
  /** Note where each field came from (`ctx.origins`, for `inspect`); on unless turned off. */
  origins?: boolean;
}

const NO_EVENTS: string[] = [];

export function readSpan(span: Span, scopeName: string, mappings: Mappings, options?: ReadOptions): ReadResult {
  const convention = detect(span.attributes, scopeName, span.events.length ? span.events.map((e) => e.name) : NO_EVENTS);
  const ctx = new ReadContext(span.attributes, span.events, span.name, options?.origins ?? true);
  const order = readingOrder(convention);
  const place = placeIn(convention);
  // One lookup per attribute, bucketed by the convention's place in the reading order.
  const buckets: Array<Hit[] | undefined> = [];
  span.attributes.forEach((value, key) => {
    const hits = mappings.byKey.get(key);
    if (hits)
      for (const h of hits) {
        const at = place[h.convention];
        if (at !== undefined) (buckets[at] ??= []).push({ rank: h.rank, key, fields: h.fields, value });
      }
  });
  for (let i = 0; i < order.length; i++) {
    // Within one convention, its table's order decides which key wins.
    const bucket = buckets[i];
    if (bucket) for (const h of sortShort(bucket, byRank)) for (const f of h.fields) ctx.scalar(f, readScalar(h.value, SCALAR_FIELDS[f]), h.key);
    STRUCTURED_READERS[order[i]](ctx);
  }
  // OpenInference's one model name stands for the request model too.
  if (ctx.call.requestModel === undefined && ctx.call.responseModel !== undefined && (span.attributes.has('llm.model_name') || span.attributes.has('embedding.model_name')))
    ctx.scalar('requestModel', ctx.call.responseModel, undefined);
  // Providers are compared lower-case everywhere (Langtrace's SDK writes "OpenAI").
  // "openai.chat", "anthropic.messages" (the AI SDK's provider ids, also in gen_ai.system beside it): the provider is before the dot.
  if (ctx.call.provider) ctx.call.provider = ctx.call.provider.toLowerCase().replace(API_SUFFIX, '');
  // Strands names itself where the provider goes: no vendor, so no provider (the key stays).
  if (ctx.call.provider === 'strands-agents') {
    ctx.call.provider = undefined;
    ctx.sources.delete('provider');
  }
  if (convention !== undefined) {
    const framework = asString(span.attributes.get('langtrace.service.type')) === 'framework' || isLoopCycle(span);
    ctx.role(roleOf(ctx.call, framework, span.attributes.has('input.value') || span.attributes.has('output.value')));
    mergeCarriers(ctx);
  }
  // Empty text beside tool calls is no text: streamed calls carry "", others null. Gemini's
  // "model" turn (OpenLLMetry's Vertex AI keeps it) is the assistant's.
  for (const list of [ctx.call.input, ctx.call.output])
    if (list)
      for (const m of list) {
        if (m.toolCalls && m.content === '' && !m.parts) delete m.content;
        if (m.role === 'model') m.role = 'assistant';
      }
  return { convention, ctx };
}

const API_SUFFIX = /\.(chat|messages|responses|completion|completions|embedding|embeddings|generative-ai)$/;

/** An agent loop's cycle (Strands): it holds the messages of its LLM calls, but is not one. */
function isLoopCycle(span: Span): boolean {
  return span.name.endsWith('_loop_cycle') || span.attributes.has('agent_loop.cycle_id') || span.attributes.has('event_loop.cycle_id');
}

const OPERATION_ROLE: Record<string, SpanRole> = {
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  embeddings: 'embedding',
  execute_tool: 'tool',
  invoke_agent: 'agent',
  create_agent: 'agent',
  retrieval: 'retriever',
  rerank: 'retriever',
};

/** A role no convention named: from the operation, else from what the span holds. */
function roleOf(call: LlmCall, framework: boolean, genericLlm: boolean): SpanRole | undefined {
  if (call.operation && OPERATION_ROLE[call.operation]) return OPERATION_ROLE[call.operation];
  if (call.tool?.name !== undefined || call.tool?.arguments !== undefined) return 'tool';
  if (call.agent?.name !== undefined) return 'agent';
  if (framework) return 'chain';
  if (call.input || call.output || call.usage.input !== undefined || call.requestModel !== undefined || call.responseModel !== undefined) return 'llm';
  if (call.embeddings) return 'embedding';
  if (call.documents) return 'retriever';
  // OpenInference's generic input and output with nothing else (Weave's own OTel example is an
  // LLM call written so); any other generic values (an MCP request, a task) are an application span.
  if (call.inputValue !== undefined || call.outputValue !== undefined) return genericLlm ? 'llm' : 'chain';
  return undefined;
}
