// What a backend shows of a span's input or output, as a set of pieces of text (message texts,
// reasoning, image references, tool names, arguments and results), so that one reading can be
// checked to show at least what another does. Used to merge sources and to never write less
// than the raw span would show.
import type { Message } from './record.js';
import { readMessagesByShape } from './read/shapes.js';

type Obj = Record<string, unknown>;

/** Pieces at least this long are found by a sample of their characters, then compared whole. */
const LONG_PIECE = 64;
/** Long pieces with the same sample compared whole, at most. */
const MAX_ALIKE = 8;

/** A number from a long piece's length and 17 of its characters, spread over it. */
function sampled(s: string): number {
  let h = s.length;
  const step = s.length >>> 4;
  for (let i = 0; i < s.length; i += step) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * A set of pieces of text. Message texts are read afresh for every span, and V8 hashes every
 * character of a string the first time it is looked up in a Set (about 1.5 ns a character):
 * a long piece is found here by a sample of its characters and compared whole, which is a
 * memory comparison.
 */
export class Units implements Iterable<string> {
  private readonly short = new Set<string>();
  private long: Map<number, string[]> | undefined;
  private longCount = 0;

  constructor(from?: Iterable<string>) {
    if (from) for (const u of from) this.add(u);
  }

  get size(): number {
    return this.short.size + this.longCount;
  }

  add(u: string): this {
    if (u.length < LONG_PIECE) {
      this.short.add(u);
      return this;
    }
    const key = sampled(u);
    const same = (this.long ??= new Map()).get(key);
    if (same?.includes(u)) return this;
    // Pieces alike where sampled (made so, or repetitive text) go to the hashed set past a few,
    // so that no input makes a lookup compare more than a few pieces.
    if (same && same.length >= MAX_ALIKE) this.short.add(u);
    else {
      if (same) same.push(u);
      else this.long.set(key, [u]);
      this.longCount++;
    }
    return this;
  }

  has(u: string): boolean {
    if (u.length < LONG_PIECE) return this.short.has(u);
    const same = this.long?.get(sampled(u));
    if (!same) return false;
    return same.includes(u) || (same.length >= MAX_ALIKE && this.short.has(u));
  }

  *[Symbol.iterator](): Iterator<string> {
    yield* this.short;
    if (this.long) for (const list of this.long.values()) yield* list;
  }
}

/** Keys whose values are labels, not content a user reads for what was said. */
const LABELS = new Set([
  'role',
  'type',
  'id',
  'model',
  'index',
  'object',
  'finish_reason',
  'finishReason',
  'stop_reason',
  'status',
  'format',
  'mime_type',
  'mimeType',
  'media_type',
  'mediaType',
  'modality',
  'lc',
  'tool_call_id',
  'toolCallId',
  'call_id',
  'callId',
  'tool_use_id',
  'toolUseId',
  // Metadata beside the content: timings, provider details, usage (tokens are compared apart).
  'timestamp',
  'providerMetadata',
  'response_metadata',
  'usage',
  'usage_metadata',
  'usageMetadata',
  'created',
  'system_fingerprint',
  'service_tier',
  'logprobs',
  'additional_kwargs',
  'truncation',
  'effort',
  'model_name',
  'model_version',
  'modelVersion',
  'thought_signature',
  'signature',
  'tools',
  'tool_choice',
  'toolChoice',
  'detail',
  'metadata',
]);

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;

/** String leaves of a JSON value, outside label keys. */
function leaves(v: unknown, out: Units, key?: string, numbers = true): void {
  if (key !== undefined && LABELS.has(key)) return;
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^[[{]/.test(t)) {
      const inner = tryParse(t);
      if (inner !== t) return leaves(inner, out, undefined, numbers);
    }
    // "<replaced>": what Strands writes for bytes it could not serialise, no content.
    if (t && !ISO_TIME.test(t) && t !== '<replaced>') out.add(t);
  } else if (numbers && typeof v === 'number' && key !== undefined) out.add(String(v));
  else if (Array.isArray(v)) for (const x of v) leaves(x, out, key, numbers);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v as Obj)) leaves(x, out, k, numbers);
}

/** A tool call's arguments: the string leaves of their JSON, or the text itself. */
function argumentUnits(args: string, out: Units): void {
  try {
    leaves(JSON.parse(args), out);
  } catch {
    if (args.trim()) out.add(args.trim());
  }
}

export function messageUnits(msgs: Message[] | undefined, out = new Units()): Units {
  for (const m of msgs ?? []) {
    if (m.parts) {
      for (const p of m.parts) {
        const t = (p.text ?? p.data ?? p.uri ?? p.fileId)?.trim();
        if (t) out.add(t);
      }
    } else if (m.content?.trim()) {
      // A tool result or a text that is itself JSON shows its contents.
      if (/^[[{]/.test(m.content.trim())) argumentUnits(m.content, out);
      else out.add(m.content.trim());
    }
    for (const c of m.toolCalls ?? []) {
      if (c.name) out.add(c.name);
      argumentUnits(c.arguments, out);
    }
  }
  return out;
}

/** What a value shows: its messages' pieces when it holds messages, else its text or string leaves. */
export function valueUnits(v: unknown): Units {
  const parsed = typeof v === 'string' && /^\s*[[{]/.test(v) ? tryParse(v) : v;
  const msgs = readMessagesByShape(parsed);
  if (!msgs) {
    const out = new Units();
    leaves(parsed, out);
    return out;
  }
  const out = messageUnits(msgs);
  for (const u of extraUnits(parsed)) out.add(u);
  return out;
}

/** Where a request or response holds its messages (or its system prompt). */
const MESSAGE_FIELDS = new Set([
  'messages',
  'contents',
  'input',
  'history',
  'all_messages',
  'choices',
  'candidates',
  'output',
  'generations',
  'message',
  'content',
  'parts',
  'system',
  'system_instruction',
  'systemInstruction',
  'instructions',
  'body',
  'text',
  'toolCalls',
  'reasoning',
]);

/** A request's or response's settings and bookkeeping: not what was said. */
const SETTINGS = new Set([
  'temperature',
  'top_p',
  'top_k',
  'topP',
  'topK',
  'max_tokens',
  'max_completion_tokens',
  'max_output_tokens',
  'maxTokens',
  'stream',
  'stream_options',
  'n',
  'seed',
  'stop',
  'stop_sequences',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'user',
  'store',
  'thinking',
  'reasoning_effort',
  'response_format',
  'parallel_tool_calls',
  'toolConfig',
  'inferenceConfig',
  'additionalModelRequestFields',
  'generationConfig',
  'generation_config',
  'safety_settings',
  'safetySettings',
  'config',
  'created_at',
  'incomplete_details',
  'previous_response_id',
  'prompt_feedback',
  'promptFeedback',
  'responseId',
  'createTime',
  'anthropic_version',
  'modelId',
  'stopReason',
  'stop_sequence',
  'raw',
  '$metadata',
  'ResponseMetadata',
  'labels',
]);

/** What an object holding messages also shows beside them (retrieved sources, say), outside its settings. */
export function extraUnits(v: unknown): Units {
  const out = new Units();
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  // Numbers beside messages are metrics (latency, token counts), compared apart.
  for (const [k, x] of Object.entries(v as Obj)) if (!MESSAGE_FIELDS.has(k) && !SETTINGS.has(k)) leaves(x, out, k, false);
  return out;
}

function tryParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** True when every piece of `needed` appears within some piece of `have`. */
export function covers(have: Units, needed: Units): boolean {
  if (needed.size === 0) return true;
  let blob: string | undefined;
  for (const u of needed) {
    if (have.has(u)) continue;
    blob ??= [...have].join('\u0000');
    if (!blob.includes(u)) return false;
  }
  return true;
}
