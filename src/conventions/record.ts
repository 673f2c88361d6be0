// The canonical LLM-call record: what every reader produces and every writer consumes.
// Conventions differ in spelling; this record is the one meaning they all map to.

export interface ToolCall {
  id?: string;
  name: string;
  /** JSON text, as every convention but OTel's current one carries it. */
  arguments: string;
}

export interface Message {
  role: string;
  content?: string;
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

export interface LlmCall {
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
  /** Generic input/output (OpenInference input.value, OpenLLMetry traceloop.entity.*): read, never rewritten. */
  inputValue?: string;
  outputValue?: string;
}

export function emptyCall(): LlmCall {
  return { params: {}, usage: {} };
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
} as const;

export type ScalarField = keyof typeof SCALAR_FIELDS;
export type ScalarType = (typeof SCALAR_FIELDS)[ScalarField];
export type ScalarValue = string | number | boolean | string[];

const PATHS = new Map(Object.keys(SCALAR_FIELDS).map((f) => [f, f.split('.') as [string, string | undefined]]));

type Holder = Record<string, Record<string, ScalarValue> | ScalarValue | undefined>;
/** One getter per field, built once: reading a field is a property access, not a path walk. */
const GETTERS = new Map(
  [...PATHS].map(([f, [a, b]]) => [f, b === undefined ? (c: Holder) => c[a] as ScalarValue | undefined : (c: Holder) => (c[a] as Record<string, ScalarValue> | undefined)?.[b]]),
);

export function getField(call: LlmCall, field: ScalarField): ScalarValue | undefined {
  return GETTERS.get(field)!(call as unknown as Holder);
}

export function setField(call: LlmCall, field: ScalarField, value: ScalarValue): void {
  const [a, b] = PATHS.get(field)!;
  const holder = call as unknown as Record<string, unknown>;
  if (b === undefined) holder[a] = value;
  else ((holder[a] ??= {}) as Record<string, ScalarValue>)[b] = value;
}

