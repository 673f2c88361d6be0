// The structured part of each convention's reader (messages, tools, parameters, documents).
// Scalar keys come from mappings/read.json; this is what a table cannot say.
import { asNumber, asString, jsonAttr } from '../attrs.js';
import type { Convention } from '../mappings.js';
import type { ScalarField } from '../record.js';
import type { ReadContext } from './context.js';
import { readOpenInferenceMessages, readOpenLlmetryMessages } from './flattened.js';
import { readOpenAiMessages, readOtelMessages, readSystemInstructions, readTools } from './messages.js';

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

const LLM_REQUEST_TYPE: Record<string, string> = { chat: 'chat', completion: 'text_completion', embedding: 'embeddings', rerank: 'rerank' };

export const STRUCTURED_READERS: Record<Convention, Reader> = {
  'otel-genai'(ctx) {
    const input = readOtelMessages(jsonAttr(ctx.attrs, 'gen_ai.input.messages'));
    const system = readSystemInstructions(jsonAttr(ctx.attrs, 'gen_ai.system_instructions') ?? asString(ctx.attrs.get('gen_ai.system_instructions')));
    if (input || system) {
      const msgs = [...(system ? [system.value] : []), ...(input?.value ?? [])];
      const keys = [...(input ? ['gen_ai.input.messages'] : []), ...(system ? ['gen_ai.system_instructions'] : [])];
      ctx.structured('input', msgs, keys, (input?.lossless ?? true) && (system?.lossless ?? true));
    }
    const output = readOtelMessages(jsonAttr(ctx.attrs, 'gen_ai.output.messages'));
    if (output) ctx.structured('output', output.value, ['gen_ai.output.messages'], output.lossless);
    jsonTools(ctx, 'gen_ai.tool.definitions');
  },
  'otel-genai-legacy'(ctx) {
    contentEvents(ctx);
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
    const inv = jsonAttr(ctx.attrs, 'llm.invocation_parameters');
    if (inv && typeof inv === 'object' && !Array.isArray(inv)) {
      const entries = Object.entries(inv as Record<string, unknown>);
      const model = asString(ctx.attrs.get('llm.model_name'));
      const lossless = entries.every(([k, v]) => k in OI_PARAMS || (k === 'model' && v === model));
      for (const [k, v] of entries) {
        const field = OI_PARAMS[k];
        if (!field) continue;
        const value = field === 'params.stopSequences' ? (typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(String) : undefined) : v;
        if (value !== undefined && (typeof value !== 'object' || Array.isArray(value)))
          ctx.scalar(field, value as never, lossless ? 'llm.invocation_parameters' : undefined);
      }
    }
    const kind = asString(ctx.attrs.get('openinference.span.kind'));
    // A coarse category: only a fallback when no convention names the operation itself.
    const named = ctx.attrs.has('gen_ai.operation.name') || ctx.attrs.has('llm.request.type');
    if (kind && !named && OI_KIND_TO_OPERATION[kind.toUpperCase()]) ctx.scalar('operation', OI_KIND_TO_OPERATION[kind.toUpperCase()], undefined);
    const finish = asString(ctx.attrs.get('llm.finish_reason'));
    if (finish) ctx.scalar('finishReasons', [finish], undefined);
    const docs = ctx.list('retrieval.documents');
    if (docs.items.length)
      ctx.structured(
        'documents',
        docs.items.map((d) => ({ id: asString(d.get('document.id')), content: asString(d.get('document.content')), score: asNumber(d.get('document.score')) })),
        [],
        false,
      );
    const emb = ctx.list('embedding.embeddings');
    if (emb.items.length) {
      const texts = emb.items.map((e) => asString(e.get('embedding.text'))).filter((t): t is string => t !== undefined);
      if (texts.length) ctx.structured('embeddings', { texts }, [], false);
    }
  },
  openllmetry(ctx) {
    for (const [slot, prefixes] of [
      ['input', ['gen_ai.prompt', 'llm.prompts']],
      ['output', ['gen_ai.completion', 'llm.completions']],
    ] as const) {
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
  },
  langtrace(ctx) {
    contentEvents(ctx);
    jsonTools(ctx, 'gen_ai.request.tools');
  },
  'langtrace-docs'(ctx) {
    jsonMessages(ctx, 'input', 'llm.request.messages');
    jsonTools(ctx, 'llm.tools');
  },
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
