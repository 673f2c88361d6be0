// Which convention a span is written in. OpenInference, OpenLLMetry and Langtrace all use `llm.`,
// so the order of these rules matters (see README, "Conventions").
import type { Attributes } from '../model/batch.js';
import type { Convention } from './mappings.js';
import { memoByKey } from './memo.js';

const INDEXED = /^(gen_ai\.prompt|gen_ai\.completion|llm\.prompts|llm\.completions)\.\d+\./;

const LANGTRACE = 1;
const OPENLLMETRY = 2;
const GENAI = 4;
const CURRENT = 8;
const INDEXED_LLM = 16;
const OI_SHAPE = 32;
const VERCEL = 64;
const GENERIC_IO = 128;
const LANGFUSE = 256;
const MLFLOW = 512;
const ADK = 1024;
const MASTRA = 2048;
const PYDANTIC = 4096;

const keyFlags = memoByKey((key: string): number => {
  let f = 0;
  if (key.startsWith('langtrace.')) f |= LANGTRACE;
  else if (key.startsWith('traceloop.') || key === 'llm.request.type' || key.startsWith('llm.usage.') || key === 'llm.is_streaming' || key === 'gen_ai.is_streaming')
    f |= OPENLLMETRY;
  if (INDEXED.test(key)) f |= INDEXED_LLM;
  if (key.startsWith('llm.input_messages.') || key.startsWith('llm.output_messages.') || key.startsWith('llm.token_count.') || key === 'llm.model_name') f |= OI_SHAPE;
  if (key === 'ai.operationId' || key === 'ai.model.id' || key === 'ai.toolCall.name' || key === 'ai.prompt' || key === 'ai.prompt.messages') f |= VERCEL;
  if (key === 'input.value' || key === 'output.value') f |= GENERIC_IO;
  if (key.startsWith('langfuse.observation.') || key.startsWith('langfuse.trace.')) f |= LANGFUSE;
  else if (key.startsWith('mlflow.span') || key.startsWith('mlflow.chat.') || key.startsWith('mlflow.llm.')) f |= MLFLOW;
  else if (key.startsWith('gcp.vertex.agent.')) f |= ADK;
  else if (key.startsWith('mastra.')) f |= MASTRA;
  else if (key === 'pydantic_ai.all_messages' || key === 'tool_arguments' || key === 'tool_response') f |= PYDANTIC;
  if (key.startsWith('gen_ai.')) {
    f |= GENAI;
    if (
      key === 'gen_ai.input.messages' ||
      key === 'gen_ai.output.messages' ||
      key === 'gen_ai.provider.name' ||
      key === 'gen_ai.system_instructions' ||
      key === 'gen_ai.tool.definitions'
    )
      f |= CURRENT;
  }
  return f;
});

/** OTel GenAI's event form: the content of an inference as attributes of one span event. */
export const DETAILS_EVENT = 'gen_ai.client.inference.operation.details';

export function detect(attrs: Attributes, scopeName = '', eventNames: string[] = []): Convention | undefined {
  if (attrs.has('openinference.span.kind')) return 'openinference';
  let flags = 0;
  for (const key of attrs.keys()) flags |= keyFlags(key);
  const langtrace = (flags & LANGTRACE) !== 0;
  const openllmetry = (flags & OPENLLMETRY) !== 0;
  const genai = (flags & GENAI) !== 0;
  const current = (flags & CURRENT) !== 0;
  const indexedLlm = (flags & INDEXED_LLM) !== 0;
  const oiShape = (flags & OI_SHAPE) !== 0;
  if (langtrace) return 'langtrace';
  // The AI SDK's step spans carry gen_ai.* keys too; its ai.* keys are the fuller record.
  if (flags & VERCEL) return 'vercel-ai';
  // Frameworks with keys of their own, often beside gen_ai.* ones (read after them to fill).
  if (flags & LANGFUSE) return 'langfuse';
  if (flags & MLFLOW) return 'mlflow';
  if (flags & ADK || scopeName === 'gcp.vertex.agent') return 'google-adk';
  if (flags & MASTRA) return 'mastra';
  if (flags & PYDANTIC || /^pydantic[-_.]ai/.test(scopeName)) return 'pydantic-ai';
  // Langtrace's documented dialect and its legacy SDKs use un-indexed JSON strings.
  if (attrs.get('llm.request.messages')?.type === 'string' || (attrs.has('llm.vendor') && !indexedLlm)) return 'langtrace-docs';
  if (attrs.get('llm.prompts')?.type === 'string' || attrs.has('llm.token.counts') || attrs.has('llm.model')) return 'langtrace-legacy';
  if (openllmetry) return 'openllmetry';
  if (/^(@arizeai\/openinference|openinference\.instrumentation)/.test(scopeName)) return 'openinference';
  if (/^(@traceloop\/|opentelemetry\.instrumentation\.)/.test(scopeName)) return 'openllmetry';
  if (/^(@langtrase\/|langtrace)/.test(scopeName)) return 'langtrace';
  if (indexedLlm) return 'openllmetry';
  if (oiShape) return 'openinference';
  if (current || eventNames.includes(DETAILS_EVENT)) return 'otel-genai';
  if (genai || eventNames.some((n) => n.startsWith('gen_ai.'))) return 'otel-genai-legacy';
  // input.value / output.value alone (as in Weave's own OTel example): OpenInference's generic keys.
  if (flags & GENERIC_IO) return 'openinference';
  return undefined;
}

/** Reading order: the detected convention first, the others after it to fill what it lacks. */
// pydantic-ai's and Mastra's keys are too plain (`model_name`, `input`) to read on spans not theirs.
const FALLBACK_ORDER: Convention[] = [
  'otel-genai',
  'openinference',
  'openllmetry',
  'langtrace',
  'otel-genai-legacy',
  'langtrace-docs',
  'langtrace-legacy',
  'vercel-ai',
  'langfuse',
  'mlflow',
  'google-adk',
];

const ORDERS = new Map<Convention | undefined, readonly Convention[]>();

export function readingOrder(primary: Convention | undefined): readonly Convention[] {
  let order = ORDERS.get(primary);
  if (!order) ORDERS.set(primary, (order = primary ? [primary, ...FALLBACK_ORDER.filter((c) => c !== primary)] : FALLBACK_ORDER));
  return order;
}
