// The canonical LLM-call record: what every reader produces and every writer consumes.
// Conventions differ in spelling; this record is the one meaning they all map to.

export interface ToolCall {
  id?: string;
  name: string;
  /** JSON text, as every convention but OTel's current one carries it. */
  arguments: string;
}

/**
 * One piece of a message that is not plain text only: an image, audio or file (by URI, inline
 * base64 data or a provider's file id), reasoning text, or text beside them. A message with
 * parts holds its whole content in them, in order; `content` then holds the text parts joined.
 */
export interface Part {
  type: 'text' | 'image' | 'audio' | 'video' | 'file' | 'reasoning';
  text?: string;
  uri?: string;
  /** Base64, as OTel's blob part and data URLs carry it. */
  data?: string;
  fileId?: string;
  mimeType?: string;
}

export interface Message {
  role: string;
  content?: string;
  parts?: Part[];
  toolCalls?: ToolCall[];
  /** For role "tool": the call this message answers. */
  toolCallId?: string;
  /** Output messages only, in OpenAI's spelling ("tool_calls", not OTel's "tool_call"). */
  finishReason?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  parameters?: unknown;
}

export interface Document {
  id?: string;
  content?: string;
  score?: number;
}

/** What a span is, whatever the convention calls it: each target types it its own way. */
export type SpanRole = 'llm' | 'embedding' | 'agent' | 'tool' | 'chain' | 'retriever';

export interface ToolRun {
  name?: string;
  id?: string;
  description?: string;
  /** JSON text. */
  arguments?: string;
  result?: string;
}

export interface LlmCall {
  role?: SpanRole;
  provider?: string;
  operation?: string;
  requestModel?: string;
  responseModel?: string;
  responseId?: string;
  input?: Message[];
  output?: Message[];
  finishReasons?: string[];
  params: {
    temperature?: number;
    topP?: number;
    topK?: number;
    maxTokens?: number;
    frequencyPenalty?: number;
    presencePenalty?: number;
    seed?: number;
    stopSequences?: string[];
    stream?: boolean;
  };
  tools?: ToolDefinition[];
  usage: {
    input?: number;
    output?: number;
    total?: number;
    cacheRead?: number;
    cacheWrite?: number;
    reasoning?: number;
  };
  sessionId?: string;
  userId?: string;
  /** Langtrace docs' llm.path: the API path called. */
  path?: string;
  embeddings?: { texts?: string[]; dimension?: number };
  documents?: Document[];
  /** A tool run (OTel execute_tool, OpenInference TOOL, the AI SDK's ai.toolCall). */
  tool?: ToolRun;
  agent?: { name?: string; id?: string; description?: string };
  /** Generic input/output (OpenInference input.value, OpenLLMetry traceloop.entity.*), for spans without messages. */
  inputValue?: string;
  outputValue?: string;
}

/** The scalar fields a mapping table may name, with the type their attribute holds. */
export const SCALAR_FIELDS = {
  provider: 'string',
  operation: 'string',
  requestModel: 'string',
  responseModel: 'string',
  responseId: 'string',
  sessionId: 'string',
  userId: 'string',
  path: 'string',
  finishReasons: 'string[]',
  'params.temperature': 'number',
  'params.topP': 'number',
  'params.topK': 'number',
  'params.maxTokens': 'int',
  'params.frequencyPenalty': 'number',
  'params.presencePenalty': 'number',
  'params.seed': 'int',
  'params.stopSequences': 'string[]',
  'params.stream': 'bool',
  'usage.input': 'int',
  'usage.output': 'int',
  'usage.total': 'int',
  'usage.cacheRead': 'int',
  'usage.cacheWrite': 'int',
  'usage.reasoning': 'int',
  'embeddings.dimension': 'int',
  'tool.name': 'string',
  'tool.id': 'string',
  'tool.description': 'string',
  'tool.arguments': 'string',
  'tool.result': 'string',
  'agent.name': 'string',
  'agent.id': 'string',
  'agent.description': 'string',
} as const;

export type ScalarField = keyof typeof SCALAR_FIELDS;
export type ScalarType = (typeof SCALAR_FIELDS)[ScalarField];
export type ScalarValue = string | number | boolean | string[];

/**
 * Static property accesses, one per field (each site stays monomorphic): fields are read and
 * written for every attribute of every span, where a keyed lookup by path would be megamorphic.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ACCESS: { [F in ScalarField]: [(c: LlmCall) => ScalarValue | undefined, (c: LlmCall, v: any) => void] } = {
  provider: [(c) => c.provider, (c, v) => (c.provider = v)],
  operation: [(c) => c.operation, (c, v) => (c.operation = v)],
  requestModel: [(c) => c.requestModel, (c, v) => (c.requestModel = v)],
  responseModel: [(c) => c.responseModel, (c, v) => (c.responseModel = v)],
  responseId: [(c) => c.responseId, (c, v) => (c.responseId = v)],
  sessionId: [(c) => c.sessionId, (c, v) => (c.sessionId = v)],
  userId: [(c) => c.userId, (c, v) => (c.userId = v)],
  path: [(c) => c.path, (c, v) => (c.path = v)],
  finishReasons: [(c) => c.finishReasons, (c, v) => (c.finishReasons = v)],
  'params.temperature': [(c) => c.params?.temperature, (c, v) => ((c.params ??= {}).temperature = v)],
  'params.topP': [(c) => c.params?.topP, (c, v) => ((c.params ??= {}).topP = v)],
  'params.topK': [(c) => c.params?.topK, (c, v) => ((c.params ??= {}).topK = v)],
  'params.maxTokens': [(c) => c.params?.maxTokens, (c, v) => ((c.params ??= {}).maxTokens = v)],
  'params.frequencyPenalty': [(c) => c.params?.frequencyPenalty, (c, v) => ((c.params ??= {}).frequencyPenalty = v)],
  'params.presencePenalty': [(c) => c.params?.presencePenalty, (c, v) => ((c.params ??= {}).presencePenalty = v)],
  'params.seed': [(c) => c.params?.seed, (c, v) => ((c.params ??= {}).seed = v)],
  'params.stopSequences': [(c) => c.params?.stopSequences, (c, v) => ((c.params ??= {}).stopSequences = v)],
  'params.stream': [(c) => c.params?.stream, (c, v) => ((c.params ??= {}).stream = v)],
  'usage.input': [(c) => c.usage?.input, (c, v) => ((c.usage ??= {}).input = v)],
  'usage.output': [(c) => c.usage?.output, (c, v) => ((c.usage ??= {}).output = v)],
  'usage.total': [(c) => c.usage?.total, (c, v) => ((c.usage ??= {}).total = v)],
  'usage.cacheRead': [(c) => c.usage?.cacheRead, (c, v) => ((c.usage ??= {}).cacheRead = v)],
  'usage.cacheWrite': [(c) => c.usage?.cacheWrite, (c, v) => ((c.usage ??= {}).cacheWrite = v)],
  'usage.reasoning': [(c) => c.usage?.reasoning, (c, v) => ((c.usage ??= {}).reasoning = v)],
  'embeddings.dimension': [(c) => c.embeddings?.dimension, (c, v) => ((c.embeddings ??= {}).dimension = v)],
  'tool.name': [(c) => c.tool?.name, (c, v) => ((c.tool ??= {}).name = v)],
  'tool.id': [(c) => c.tool?.id, (c, v) => ((c.tool ??= {}).id = v)],
  'tool.description': [(c) => c.tool?.description, (c, v) => ((c.tool ??= {}).description = v)],
  'tool.arguments': [(c) => c.tool?.arguments, (c, v) => ((c.tool ??= {}).arguments = v)],
  'tool.result': [(c) => c.tool?.result, (c, v) => ((c.tool ??= {}).result = v)],
  'agent.name': [(c) => c.agent?.name, (c, v) => ((c.agent ??= {}).name = v)],
  'agent.id': [(c) => c.agent?.id, (c, v) => ((c.agent ??= {}).id = v)],
  'agent.description': [(c) => c.agent?.description, (c, v) => ((c.agent ??= {}).description = v)],
};

export function getField(call: LlmCall, field: ScalarField): ScalarValue | undefined {
  return ACCESS[field][0](call);
}

/** The getter for one field, for callers that look the same fields up on every span. */
export function fieldGetter(field: ScalarField): (call: LlmCall) => ScalarValue | undefined {
  return ACCESS[field][0];
}

export function setField(call: LlmCall, field: ScalarField, value: ScalarValue): void {
  ACCESS[field][1](call, value);
}
