// Agent frameworks that bring their own keys: Langfuse's SDK, MLflow tracing, Google ADK,
// pydantic-ai, Mastra, and the OTel 1.27 message events Strands Agents writes. Each fills the
// record; the originals stay (these readings are never called lossless).
import type { AnyValue, SpanEvent } from '../../model/batch.js';
import { asNumber, asString, jsonAttr, parseJson } from '../attrs.js';
import { getField, type Message, type ScalarField, type SpanRole } from '../record.js';
import type { ReadContext } from './context.js';
import { readMessagesByShape, resultText } from './shapes.js';
import { readSystemInstructions } from './messages.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** A value as JSON when it parses, else the text itself. */
function valueOf(v: AnyValue | undefined): unknown {
  const s = asString(v);
  if (s === undefined) return undefined;
  const p = parseJson(s);
  return p === undefined ? s : p;
}

/** An input or output: messages when it holds them, else the generic value (a tool's arguments or result). */
function io(ctx: ReadContext, slot: 'input' | 'output', raw: unknown, origin: string): void {
  if (raw === undefined || raw === null || raw === '') return;
  const role = ctx.call.role;
  if (role === 'tool') {
    const field = slot === 'input' ? 'tool.arguments' : 'tool.result';
    ctx.scalar(field, typeof raw === 'string' ? raw : resultText(raw), undefined);
    ctx.from(field, origin);
    return;
  }
  const msgs = readMessagesByShape(raw);
  if (msgs) ctx.structured(slot, msgs, [], false, [], origin);
  else ctx.structured(slot === 'input' ? 'inputValue' : 'outputValue', text(raw), [], false, [], origin);
}

const USAGE: Record<string, ScalarField> = {
  input: 'usage.input',
  input_tokens: 'usage.input',
  prompt_tokens: 'usage.input',
  prompt_token_count: 'usage.input',
  output: 'usage.output',
  output_tokens: 'usage.output',
  completion_tokens: 'usage.output',
  candidates_token_count: 'usage.output',
  total: 'usage.total',
  total_tokens: 'usage.total',
  cache_read_input_tokens: 'usage.cacheRead',
  input_cached_tokens: 'usage.cacheRead',
  cache_creation_input_tokens: 'usage.cacheWrite',
  reasoning_tokens: 'usage.reasoning',
  output_reasoning_tokens: 'usage.reasoning',
  thoughts_token_count: 'usage.reasoning',
};

function usage(ctx: ReadContext, v: unknown, origin: string): void {
  if (!isObj(v)) return;
  for (const [k, n] of Object.entries(v))
    if (USAGE[k] && typeof n === 'number' && Number.isInteger(n) && getField(ctx.call, USAGE[k]) === undefined) {
      ctx.scalar(USAGE[k], n, undefined);
      ctx.from(USAGE[k], origin);
    }
}

const PARAMS: Record<string, ScalarField> = {
  temperature: 'params.temperature',
  top_p: 'params.topP',
  top_k: 'params.topK',
  max_tokens: 'params.maxTokens',
  max_completion_tokens: 'params.maxTokens',
  max_output_tokens: 'params.maxTokens',
  frequency_penalty: 'params.frequencyPenalty',
  presence_penalty: 'params.presencePenalty',
  seed: 'params.seed',
};

function params(ctx: ReadContext, v: unknown): void {
  if (!isObj(v)) return;
  for (const [k, x] of Object.entries(v)) {
    const n = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
    if (PARAMS[k] && Number.isFinite(n)) ctx.scalar(PARAMS[k], n, undefined);
  }
}

const LANGFUSE_ROLE: Record<string, SpanRole> = {
  generation: 'llm',
  embedding: 'embedding',
  agent: 'agent',
  tool: 'tool',
  chain: 'chain',
  retriever: 'retriever',
  span: 'chain',
  event: 'chain',
  evaluator: 'chain',
  guardrail: 'chain',
};

/** Langfuse's SDK (JS v4, Python v3): `langfuse.observation.*`, `langfuse.trace.*`. */
export function readLangfuse(ctx: ReadContext): void {
  const a = ctx.attrs;
  const type = asString(a.get('langfuse.observation.type'));
  if (type) ctx.role(LANGFUSE_ROLE[type] ?? 'chain');
  const model = asString(a.get('langfuse.observation.model.name'));
  if (model) ctx.scalar('requestModel', model, undefined);
  usage(ctx, jsonAttr(a, 'langfuse.observation.usage_details'), 'langfuse.observation.usage_details');
  params(ctx, jsonAttr(a, 'langfuse.observation.model.parameters'));
  if (type === 'tool' || ctx.call.role === 'tool') {
    ctx.role('tool');
    if (!ctx.call.tool?.name && ctx.name) ctx.scalar('tool.name', ctx.name, undefined);
  }
  io(ctx, 'input', valueOf(a.get('langfuse.observation.input')), 'langfuse.observation.input');
  io(ctx, 'output', valueOf(a.get('langfuse.observation.output')), 'langfuse.observation.output');
  if (ctx.call.role === 'agent' && ctx.name) ctx.scalar('agent.name', ctx.name, undefined);
  for (const [k, f] of [
    ['langfuse.user.id', 'userId'],
    ['langfuse.session.id', 'sessionId'],
  ] as const) {
    const v = asString(a.get(k));
    if (v) ctx.scalar(f, v, k);
  }
}

/** MLflow stores every attribute value as JSON: `"\"gpt-4o-mini\""` is the string gpt-4o-mini. */
function mlflowValue(ctx: ReadContext, key: string): unknown {
  const s = asString(ctx.attrs.get(key));
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

const MLFLOW_ROLE: Record<string, SpanRole> = {
  LLM: 'llm',
  CHAT_MODEL: 'llm',
  EMBEDDING: 'embedding',
  AGENT: 'agent',
  TOOL: 'tool',
  RETRIEVER: 'retriever',
  RERANKER: 'retriever',
  CHAIN: 'chain',
};

/** MLflow tracing: `mlflow.spanType`, `mlflow.spanInputs` / `mlflow.spanOutputs`, `mlflow.chat.tokenUsage`. */
export function readMlflow(ctx: ReadContext): void {
  const type = mlflowValue(ctx, 'mlflow.spanType');
  if (typeof type === 'string') ctx.role(MLFLOW_ROLE[type] ?? 'chain');
  const model = mlflowValue(ctx, 'mlflow.llm.model') ?? (ctx.call.role === 'llm' ? mlflowValue(ctx, 'model') : undefined);
  if (typeof model === 'string') {
    ctx.scalar('requestModel', model, undefined);
    ctx.from('requestModel', 'mlflow.llm.model');
  }
  const provider = mlflowValue(ctx, 'mlflow.llm.provider');
  if (typeof provider === 'string') ctx.scalar('provider', provider, undefined);
  usage(ctx, mlflowValue(ctx, 'mlflow.chat.tokenUsage'), 'mlflow.chat.tokenUsage');
  const temperature = mlflowValue(ctx, 'temperature');
  if (ctx.call.role === 'llm' && typeof temperature === 'number') ctx.scalar('params.temperature', temperature, undefined);
  if (ctx.call.role === 'tool') {
    const name = mlflowValue(ctx, 'mlflow.spanFunctionName');
    ctx.scalar('tool.name', typeof name === 'string' ? name : ctx.name || undefined, undefined);
  }
  io(ctx, 'input', mlflowValue(ctx, 'mlflow.spanInputs'), 'mlflow.spanInputs');
  const output = mlflowValue(ctx, 'mlflow.spanOutputs');
  if (ctx.call.role === 'llm' && isObj(output) && typeof output.model === 'string') ctx.scalar('responseModel', output.model, undefined);
  io(ctx, 'output', output, 'mlflow.spanOutputs');
}

/** Google ADK: `gcp.vertex.agent.*` beside `gen_ai.*` (its gen_ai.system names ADK, not the provider). */
export function readGoogleAdk(ctx: ReadContext): void {
  const a = ctx.attrs;
  if (asString(a.get('gen_ai.system')) === 'gcp.vertex.agent') {
    const model = asString(a.get('gen_ai.request.model'));
    if (model?.startsWith('gemini')) ctx.scalar('provider', 'gemini', undefined);
  }
  const op = asString(a.get('gen_ai.operation.name'));
  if (op === 'execute_tool') ctx.role('tool');
  else if (a.has('gcp.vertex.agent.llm_request') && valueOf(a.get('gcp.vertex.agent.llm_request')) && op === undefined && ctx.name === 'call_llm') ctx.role('llm');
  const nonEmpty = (k: string) => {
    const v = valueOf(a.get(k));
    return isObj(v) && Object.keys(v).length === 0 ? undefined : v;
  };
  if (ctx.call.role === 'tool') {
    io(ctx, 'input', nonEmpty('gcp.vertex.agent.tool_call_args'), 'gcp.vertex.agent.tool_call_args');
    io(ctx, 'output', nonEmpty('gcp.vertex.agent.tool_response'), 'gcp.vertex.agent.tool_response');
    return;
  }
  io(ctx, 'input', nonEmpty('gcp.vertex.agent.llm_request'), 'gcp.vertex.agent.llm_request');
  const response = nonEmpty('gcp.vertex.agent.llm_response');
  io(ctx, 'output', response, 'gcp.vertex.agent.llm_response');
  if (isObj(response)) usage(ctx, response.usage_metadata, 'gcp.vertex.agent.llm_response');
}

/** pydantic-ai: agent runs (`pydantic_ai.all_messages`, `final_result`) and tool runs (`tool_arguments` / `tool_response`). */
export function readPydanticAi(ctx: ReadContext): void {
  const a = ctx.attrs;
  const agent = asString(a.get('agent_name'));
  if (agent || a.has('pydantic_ai.all_messages')) {
    ctx.role('agent');
    if (agent) ctx.scalar('agent.name', agent, undefined);
    const model = asString(a.get('model_name'));
    if (model) ctx.scalar('requestModel', model, undefined);
    const all = readMessagesByShape(jsonAttr(a, 'pydantic_ai.all_messages'));
    // Instructions (version 3) are not among the messages: the system prompt goes first.
    const system = readSystemInstructions(jsonAttr(a, 'gen_ai.system_instructions') ?? asString(a.get('gen_ai.system_instructions')))?.value;
    if (all) ctx.structured('input', system && !all.some((m) => m.role === 'system') ? [system, ...all] : all, [], false, [], 'pydantic_ai.all_messages');
    const result = valueOf(a.get('final_result'));
    if (result !== undefined) ctx.structured('output', [{ role: 'assistant', content: text(result) }], [], false, [], 'final_result');
  }
  if (a.has('tool_arguments') || a.has('tool_response')) {
    ctx.role('tool');
    const args = asString(a.get('tool_arguments'));
    if (args !== undefined) ctx.scalar('tool.arguments', args, undefined);
    const res = asString(a.get('tool_response'));
    if (res !== undefined) ctx.scalar('tool.result', res, undefined);
  }
  // "running tools" groups tool runs: a framework span, never an LLM call.
  if (ctx.name === 'running tools') ctx.role('chain');
}

const MESSAGE_EVENTS: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

/** An event's content: JSON content blocks or messages, else plain text. */
function eventMessages(role: string, v: AnyValue | undefined): Message[] {
  const s = asString(v);
  if (s === undefined || s === '') return [];
  const parsed = parseJson(s);
  const msgs = Array.isArray(parsed) ? (readMessagesByShape([{ role, content: parsed }]) ?? readMessagesByShape(parsed)) : undefined;
  return msgs ?? [{ role, content: s }];
}

/**
 * OTel 1.27's message events (`gen_ai.{system,user,assistant,tool}.message`, `gen_ai.choice`), as
 * Strands Agents writes them: `content` as a JSON list of content blocks. On a tool span the tool
 * message is the arguments and the choice the result.
 */
export function readMessageEvents(ctx: ReadContext): void {
  const events = ctx.events.filter((e) => MESSAGE_EVENTS[e.name] || e.name === 'gen_ai.choice');
  if (events.length === 0) return;
  if (ctx.call.role === 'tool' || asString(ctx.attrs.get('gen_ai.operation.name')) === 'execute_tool') return toolEvents(ctx, events);
  const input: Message[] = [];
  const output: Message[] = [];
  for (const e of events) {
    if (MESSAGE_EVENTS[e.name]) input.push(...eventMessages(asString(e.attributes.get('role')) ?? MESSAGE_EVENTS[e.name], e.attributes.get('content')));
    else {
      const msgs = eventMessages('assistant', e.attributes.get('message'));
      const finish = asString(e.attributes.get('finish_reason'));
      if (finish && msgs.length) msgs[msgs.length - 1].finishReason = finish;
      // A loop cycle's choice carries the results of the tools it ran.
      output.push(...msgs, ...eventMessages('tool', e.attributes.get('tool.result')));
    }
  }
  if (input.length) ctx.structured('input', input, [], false, [], 'events.gen_ai.*.message');
  if (output.length) ctx.structured('output', output, [], false, [], 'events.gen_ai.choice');
}

function toolEvents(ctx: ReadContext, events: SpanEvent[]): void {
  const args = events.find((e) => e.name === 'gen_ai.tool.message')?.attributes.get('content');
  if (asString(args) !== undefined) ctx.scalar('tool.arguments', asString(args)!, undefined);
  const result = events.find((e) => e.name === 'gen_ai.choice')?.attributes.get('message');
  const r = asString(result);
  if (r !== undefined) {
    const parsed = parseJson(r);
    ctx.scalar('tool.result', parsed === undefined ? r : resultText(parsed), undefined);
  }
}

const MASTRA_INPUT = ['mastra.agent_run.input', 'mastra.model_step.input', 'mastra.input', 'input'];
const MASTRA_OUTPUT = ['mastra.agent_run.output', 'mastra.model_step.output', 'mastra.model_chunk.output', 'mastra.output', 'output'];

/** Mastra's OTel exporter: `mastra.span.type` types the span; input and output are generic. */
export function readMastra(ctx: ReadContext): void {
  const a = ctx.attrs;
  const type = asString(a.get('mastra.span.type'));
  const role: SpanRole | undefined =
    type === 'llm_generation' || type === 'model_generation'
      ? 'llm'
      : type === 'tool_call' || type === 'mcp_tool_call'
        ? 'tool'
        : type === 'agent_run'
          ? 'agent'
          : type
            ? 'chain'
            : undefined;
  ctx.role(role);
  if (role === 'tool') {
    io(ctx, 'input', valueOf(a.get('gen_ai.tool.input') ?? a.get('input')), 'gen_ai.tool.input');
    io(ctx, 'output', valueOf(a.get('gen_ai.tool.output') ?? a.get('output')), 'gen_ai.tool.output');
    return;
  }
  if (role === 'agent') {
    const id = asString(a.get('agent.id'));
    if (id) ctx.scalar('agent.name', id, undefined);
  }
  // Mastra 1.x names them per span type; 0.x used plain `input` / `output`.
  const inKey = MASTRA_INPUT.find((k) => a.has(k));
  const outKey = MASTRA_OUTPUT.find((k) => a.has(k));
  if (inKey) io(ctx, 'input', valueOf(a.get(inKey)), inKey);
  if (outKey) io(ctx, 'output', valueOf(a.get(outKey)), outKey);
  const n = asNumber(a.get('gen_ai.usage.reasoning_tokens'));
  if (n !== undefined) ctx.scalar('usage.reasoning', n, undefined);
}
