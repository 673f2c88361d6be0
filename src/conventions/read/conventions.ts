// The structured part of each convention's reader (messages, tools, parameters, documents).
// Scalar keys come from mappings/read.json; this is what a table cannot say.
import type { Attributes, SpanEvent } from '../../model/batch.js';
import { asNumber, asString, jsonAttr, parseJson } from '../attrs.js';
import { DETAILS_EVENT } from '../detect.js';
import type { Convention } from '../mappings.js';
import type { ScalarField, SpanRole } from '../record.js';
import type { ReadContext } from './context.js';
import { readOpenInferenceMessages, readOpenLlmetryMessages } from './flattened.js';
import { readOpenAiMessages, readOtelMessages, readSystemInstructions, readTools } from './messages.js';
import { readVercel } from './vercel.js';
import { readGoogleAdk, readLangfuse, readMastra, readMessageEvents, readMlflow, readPydanticAi } from './frameworks.js';

type Reader = (ctx: ReadContext) => void;

function jsonMessages(ctx: ReadContext, slot: 'input' | 'output', key: string): void {
  const r = readOpenAiMessages(jsonAttr(ctx.attrs, key));
  if (r) ctx.structured(slot, r.value, [key], r.lossless);
}

function jsonTools(ctx: ReadContext, key: string): void {
  const r = readTools(jsonAttr(ctx.attrs, key));
  if (r) ctx.structured('tools', r.value, [key], r.lossless);
}

/** Old OTel GenAI and Langtrace: prompt/completion as span events holding a JSON attribute. */
function contentEvents(ctx: ReadContext): void {
  if (ctx.events.length === 0) return;
  for (const [slot, name, key] of [
    ['input', 'gen_ai.content.prompt', 'gen_ai.prompt'],
    ['output', 'gen_ai.content.completion', 'gen_ai.completion'],
  ] as const) {
    const events = ctx.events.filter((e) => e.name === name);
    if (events.length !== 1) continue;
    const v = events[0].attributes.get(key);
    const r = readOpenAiMessages(v?.type === 'string' ? safeParse(v.value) : undefined);
    // The event is replaceable only if it holds nothing but that one attribute.
    if (r) ctx.structured(slot, r.value, [], r.lossless && events[0].attributes.size === 1, events);
  }
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

const OI_PARAMS: Record<string, ScalarField> = {
  temperature: 'params.temperature',
  top_p: 'params.topP',
  top_k: 'params.topK',
  max_tokens: 'params.maxTokens',
  max_completion_tokens: 'params.maxTokens',
  frequency_penalty: 'params.frequencyPenalty',
  presence_penalty: 'params.presencePenalty',
  seed: 'params.seed',
  stop: 'params.stopSequences',
  stream: 'params.stream',
};

const OI_KIND_TO_OPERATION: Record<string, string> = {
  LLM: 'chat',
  EMBEDDING: 'embeddings',
  TOOL: 'execute_tool',
  AGENT: 'invoke_agent',
  RETRIEVER: 'retrieval',
  RERANKER: 'rerank',
};

const OI_KIND_TO_ROLE: Record<string, SpanRole> = {
  LLM: 'llm',
  EMBEDDING: 'embedding',
  TOOL: 'tool',
  AGENT: 'agent',
  CHAIN: 'chain',
  RETRIEVER: 'retriever',
  RERANKER: 'retriever',
  GUARDRAIL: 'chain',
  EVALUATOR: 'chain',
  PROMPT: 'chain',
};

const WEAVE_KINDS = new Set<string>(['llm', 'embedding', 'agent', 'tool', 'chain', 'retriever']);
// An MCP client session (`session`) is a framework span too, never an LLM call.
const TRACELOOP_KIND_TO_ROLE: Record<string, SpanRole> = { workflow: 'chain', task: 'chain', agent: 'agent', tool: 'tool', session: 'chain' };
// `framework` covers agents, chains and tools: what the span holds tells which (see roleOf).
const LANGTRACE_TYPE_TO_ROLE: Record<string, SpanRole> = { llm: 'llm', vectordb: 'retriever' };

const CONTENT_KEYS = new Set(['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions']);

/**
 * OTel GenAI current content: from span attributes, or from the attributes of its details
 * events (Strands splits system, input and output over several of them).
 */
function otelContent(ctx: ReadContext, attrs: Attributes, events: SpanEvent[]): void {
  const input = readOtelMessages(jsonAttr(attrs, 'gen_ai.input.messages'));
  const system = readSystemInstructions(jsonAttr(attrs, 'gen_ai.system_instructions') ?? asString(attrs.get('gen_ai.system_instructions')));
  const fromEvents = events.length > 0;
  // The events are replaceable only when they hold nothing but the content.
  const whole = events.every((e) => [...e.attributes.keys()].every((k) => CONTENT_KEYS.has(k)));
  const keys = (ks: string[]) => (fromEvents ? [] : ks);
  const replaced = fromEvents && whole ? events : [];
  if (input || system) {
    // pydantic-ai repeats the system prompt as the first input message.
    const repeated = system && input?.value[0]?.role === 'system' && input.value[0].content === system.value.content;
    const msgs = [...(system && !repeated ? [system.value] : []), ...(input?.value ?? [])];
    const ks = [...(input ? ['gen_ai.input.messages'] : []), ...(system ? ['gen_ai.system_instructions'] : [])];
    ctx.structured('input', msgs, keys(ks), (input?.lossless ?? true) && (system?.lossless ?? true) && whole, replaced);
  }
  const output = readOtelMessages(jsonAttr(attrs, 'gen_ai.output.messages'));
  if (output) ctx.structured('output', output.value, keys(['gen_ai.output.messages']), output.lossless && whole, replaced);
}

/** The content of every details event on a span, as one set of attributes (the first of each key wins). */
function detailsContent(ctx: ReadContext): void {
  const details = ctx.events.filter((e) => e.name === DETAILS_EVENT);
  if (details.length === 0) return;
  const merged: Attributes = new Map();
  for (const e of details) for (const [k, v] of e.attributes) if (CONTENT_KEYS.has(k) && !merged.has(k)) merged.set(k, v);
  otelContent(ctx, merged, details);
}

/**
 * `input.value` / `output.value`: a tool's arguments and result, or any other span's generic
 * input and output. Without a span kind (Weave's own example), messages in `input.value` are read as messages.
 */
function genericValues(ctx: ReadContext, named: SpanRole | undefined): void {
  const role = named ?? (ctx.call.tool ? 'tool' : ctx.call.agent ? 'agent' : undefined);
  const input = asString(ctx.attrs.get('input.value'));
  const output = asString(ctx.attrs.get('output.value'));
  if (role === 'tool') {
    if (input !== undefined) ctx.scalar('tool.arguments', input, 'input.value');
    if (output !== undefined) ctx.scalar('tool.result', output, 'output.value');
    return;
  }
  if (input !== undefined && role === undefined) {
    // The same parse as jsonAttr's for a string value (a number's text is never JSON here).
    const msgs = readOpenAiMessages(ctx.attrs.get('input.value')?.type === 'string' ? ctx.json('input.value') : parseJson(input));
    if (msgs && msgs.value.length) ctx.structured('input', msgs.value, ['input.value'], msgs.lossless);
  }
  if (input !== undefined && !ctx.has('input')) ctx.structured('inputValue', input, ['input.value'], true);
  if (output !== undefined) ctx.structured('outputValue', output, ['output.value'], true);
}

/** Retrieved documents as a JSON list of {id, content, score}. */
function readDocuments(ctx: ReadContext, key: string): void {
  const v = jsonAttr(ctx.attrs, key);
  if (!Array.isArray(v)) return;
  const known = new Set(['id', 'content', 'score']);
  const docs = v
    .filter((d) => d && typeof d === 'object')
    .map((d: Record<string, unknown>) => ({
      ...(d.id !== undefined ? { id: String(d.id) } : {}),
      ...(typeof d.content === 'string' ? { content: d.content } : {}),
      ...(typeof d.score === 'number' ? { score: d.score } : {}),
    }));
  ctx.structured(
    'documents',
    docs,
    [key],
    v.every((d) => d && typeof d === 'object' && Object.keys(d).every((k) => known.has(k))),
  );
}

/** LangChain.js through OpenInference: the provider and settings only in its `metadata` JSON. */
function langchainMetadata(ctx: ReadContext): void {
  const meta = jsonAttr(ctx.attrs, 'metadata');
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return;
  const m = meta as Record<string, unknown>;
  if (typeof m.ls_provider === 'string') ctx.scalar('provider', m.ls_provider, undefined);
  if (typeof m.ls_model_name === 'string') ctx.scalar('requestModel', m.ls_model_name, undefined);
  if (typeof m.ls_temperature === 'number') ctx.scalar('params.temperature', m.ls_temperature, undefined);
  if (typeof m.ls_max_tokens === 'number') ctx.scalar('params.maxTokens', m.ls_max_tokens, undefined);
}

const LLM_REQUEST_TYPE: Record<string, string> = { chat: 'chat', completion: 'text_completion', embedding: 'embeddings', rerank: 'rerank' };

const OPENLLMETRY_LISTS = [
  ['input', ['gen_ai.prompt', 'llm.prompts']],
  ['output', ['gen_ai.completion', 'llm.completions']],
] as const;

export const STRUCTURED_READERS: Record<Convention, Reader> = {
  'otel-genai'(ctx) {
    otelContent(ctx, ctx.attrs, []);
    if (ctx.events.length) detailsContent(ctx);
    jsonTools(ctx, 'gen_ai.tool.definitions');
    readDocuments(ctx, 'gen_ai.retrieval.documents');
  },
  'otel-genai-legacy'(ctx) {
    contentEvents(ctx);
    readMessageEvents(ctx);
    // Weave's own keys, as tracebridge writes them for Weave.
    const kind = asString(ctx.attrs.get('weave.span.kind'));
    if (kind && WEAVE_KINDS.has(kind)) ctx.role(kind as SpanRole);
    // Weave's own reading keys, as tracebridge writes them for Weave.
    if (ctx.attrs.get('gen_ai.prompt')?.type === 'string') jsonMessages(ctx, 'input', 'gen_ai.prompt');
    if (ctx.attrs.get('gen_ai.completion')?.type === 'string') jsonMessages(ctx, 'output', 'gen_ai.completion');
    jsonTools(ctx, 'gen_ai.request.tools');
  },
  openinference(ctx) {
    const input = readOpenInferenceMessages(ctx.list('llm.input_messages'));
    if (input) ctx.structured('input', input.value, input.keys, input.lossless);
    const output = readOpenInferenceMessages(ctx.list('llm.output_messages'));
    if (output) ctx.structured('output', output.value, output.keys, output.lossless);
    const tools = ctx.list('llm.tools');
    if (tools.items.length) {
      const schemas = tools.items.map((t) => {
        const s = t.get('tool.json_schema');
        return s?.type === 'string' ? safeParse(s.value) : undefined;
      });
      const r = readTools(schemas);
      if (r) ctx.structured('tools', r.value, tools.keys, r.lossless && tools.items.every((t) => t.size === 1));
    }
    const kind = asString(ctx.attrs.get('openinference.span.kind'))?.toUpperCase();
    const role = kind ? OI_KIND_TO_ROLE[kind] : undefined;
    ctx.role(role);
    const inv = ctx.json('llm.invocation_parameters');
    if (inv && typeof inv === 'object' && !Array.isArray(inv)) {
      const entries = Object.entries(inv as Record<string, unknown>);
      const requested = (inv as Record<string, unknown>).model;
      if (typeof requested === 'string') {
        // llm.model_name is the response model once the response is read; a stream's is only the request's.
        if ((inv as Record<string, unknown>).stream === true && ctx.call.responseModel === requested && ctx.sources.get('responseModel')?.includes('llm.model_name')) {
          ctx.call.responseModel = undefined;
          ctx.sources.delete('responseModel');
          ctx.scalar('requestModel', requested, 'llm.model_name');
        } else ctx.scalar('requestModel', requested, undefined);
      }
      const lossless = entries.every(([k]) => k in OI_PARAMS || k === 'model');
      for (const [k, v] of entries) {
        const field = OI_PARAMS[k];
        if (!field) continue;
        const value = field === 'params.stopSequences' ? (typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(String) : undefined) : v;
        if (value !== undefined && (typeof value !== 'object' || Array.isArray(value))) ctx.scalar(field, value as never, lossless ? 'llm.invocation_parameters' : undefined);
      }
    }
    // A coarse category: only a fallback when no convention names the operation itself.
    const named = ctx.attrs.has('gen_ai.operation.name') || ctx.attrs.has('llm.request.type');
    if (kind && !named && OI_KIND_TO_OPERATION[kind]) ctx.scalar('operation', OI_KIND_TO_OPERATION[kind], undefined);
    genericValues(ctx, role ?? ctx.call.role);
    langchainMetadata(ctx);
    const finish = asString(ctx.attrs.get('llm.finish_reason'));
    if (finish) ctx.scalar('finishReasons', [finish], undefined);
    const docs = ctx.list('retrieval.documents');
    if (docs.items.length) {
      const known = new Set(['document.id', 'document.content', 'document.score']);
      ctx.structured(
        'documents',
        docs.items.map((d) => {
          const id = asString(d.get('document.id'));
          const content = asString(d.get('document.content'));
          const score = asNumber(d.get('document.score'));
          return { ...(id !== undefined ? { id } : {}), ...(content !== undefined ? { content } : {}), ...(score !== undefined ? { score } : {}) };
        }),
        docs.keys,
        docs.items.every((d) => [...d.keys()].every((k) => known.has(k))),
      );
    }
    const emb = ctx.list('embedding.embeddings');
    if (emb.items.length) {
      const texts = emb.items.map((e) => asString(e.get('embedding.text'))).filter((t): t is string => t !== undefined);
      // Replaceable when it holds the texts alone (vectors have no slot elsewhere).
      const textOnly = emb.items.every((e) => e.size === 1 && e.has('embedding.text'));
      if (texts.length) ctx.structured('embeddings', { texts }, emb.keys, textOnly);
    }
  },
  openllmetry(ctx) {
    for (const [slot, prefixes] of OPENLLMETRY_LISTS) {
      for (const p of prefixes) {
        const r = readOpenLlmetryMessages(ctx.list(p));
        if (r) ctx.structured(slot, r.value, r.keys, r.lossless);
      }
    }
    const fns = ctx.list('llm.request.functions');
    if (fns.items.length) {
      const r = readTools(fns.items.map((f) => ({ name: asString(f.get('name')), description: asString(f.get('description')), parameters: asString(f.get('parameters')) })));
      const known = new Set(['name', 'description', 'parameters']);
      if (r) ctx.structured('tools', r.value, fns.keys, r.lossless && fns.items.every((f) => [...f.keys()].every((k) => known.has(k))));
    }
    const type = asString(ctx.attrs.get('llm.request.type'));
    if (type && LLM_REQUEST_TYPE[type]) ctx.scalar('operation', LLM_REQUEST_TYPE[type], 'llm.request.type');
    const kind = asString(ctx.attrs.get('traceloop.span.kind'));
    // "task" is any unit of work: a named operation (execute_tool) says more.
    if (kind && !(kind === 'task' && ctx.attrs.has('gen_ai.operation.name'))) ctx.role(TRACELOOP_KIND_TO_ROLE[kind]);
    const input = asString(ctx.attrs.get('traceloop.entity.input'));
    const output = asString(ctx.attrs.get('traceloop.entity.output'));
    if (ctx.call.role === 'tool' || asString(ctx.attrs.get('gen_ai.operation.name')) === 'execute_tool') {
      const name = asString(ctx.attrs.get('traceloop.entity.name'));
      if (name) ctx.scalar('tool.name', name, undefined);
      if (input !== undefined) ctx.scalar('tool.arguments', input, undefined);
      if (output !== undefined) ctx.scalar('tool.result', output, undefined);
    }
    if (input !== undefined && !ctx.has('input')) ctx.structured('inputValue', input, [], false);
    if (output !== undefined && !ctx.has('output')) ctx.structured('outputValue', output, [], false);
  },
  langtrace(ctx) {
    const inputs = jsonAttr(ctx.attrs, 'gen_ai.request.embedding_inputs');
    if (Array.isArray(inputs) && inputs.every((x) => typeof x === 'string')) ctx.structured('embeddings', { texts: inputs }, ['gen_ai.request.embedding_inputs'], true);
    readDocuments(ctx, 'gen_ai.request.documents');
    const type = asString(ctx.attrs.get('langtrace.service.type'));
    if (type) ctx.role(LANGTRACE_TYPE_TO_ROLE[type]);
    contentEvents(ctx);
    jsonTools(ctx, 'gen_ai.request.tools');
  },
  'langtrace-docs'(ctx) {
    jsonMessages(ctx, 'input', 'llm.request.messages');
    jsonTools(ctx, 'llm.tools');
  },
  'vercel-ai': readVercel,
  langfuse: readLangfuse,
  mlflow: readMlflow,
  'google-adk': readGoogleAdk,
  'pydantic-ai': readPydanticAi,
  mastra: readMastra,
  'langtrace-legacy'(ctx) {
    if (ctx.attrs.get('llm.prompts')?.type === 'string') jsonMessages(ctx, 'input', 'llm.prompts');
    if (ctx.attrs.get('llm.responses')?.type === 'string') jsonMessages(ctx, 'output', 'llm.responses');
    const counts = jsonAttr(ctx.attrs, 'llm.token.counts') as Record<string, unknown> | undefined;
    if (counts && typeof counts === 'object') {
      const lossless = Object.keys(counts).every((k) => ['input_tokens', 'output_tokens', 'total_tokens'].includes(k));
      const key = lossless ? 'llm.token.counts' : undefined;
      for (const [k, f] of [
        ['input_tokens', 'usage.input'],
        ['output_tokens', 'usage.output'],
        ['total_tokens', 'usage.total'],
      ] as const)
        if (typeof counts[k] === 'number') ctx.scalar(f, counts[k] as number, key);
    }
  },
};
