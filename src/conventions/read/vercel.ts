// The Vercel AI SDK (`ai` 4.x–6.x, experimental_telemetry): `ai.*` keys. Outer spans
// (ai.generateText, …) carry the whole call in `ai.prompt`; step spans (….doGenerate / ….doStream)
// the provider call in `ai.prompt.messages`; ai.toolCall spans one tool run.
import { asString, asStringArray, jsonAttr, parseJson } from '../attrs.js';
import type { Message, Part, SpanRole, ToolCall, ToolDefinition } from '../record.js';
import type { ReadContext } from './context.js';
import { partFromUrl, withParts } from './messages.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? null));

/** The AI SDK's finish reasons, in OpenAI's spelling. */
const FINISH: Record<string, string> = { 'tool-calls': 'tool_calls', 'content-filter': 'content_filter' };
const finish = (r: string) => FINISH[r] ?? r;

/** ai.operationId → what the span is. */
function roleOf(operationId: string): { role: SpanRole; operation?: string } | undefined {
  if (operationId === 'ai.toolCall') return { role: 'tool', operation: 'execute_tool' };
  if (/\.do(Generate|Stream)$/.test(operationId)) return { role: 'llm', operation: 'chat' };
  if (operationId.endsWith('.doEmbed')) return { role: 'embedding', operation: 'embeddings' };
  // The outer spans hold every step and sum their usage: a chain around the LLM calls.
  if (/^ai\.(generate|stream)(Text|Object)$|^ai\.embed(Many)?$/.test(operationId)) return { role: 'chain' };
  return undefined;
}

/** Image or file content: a URL, a data URL, or bare base64 with its media type. */
function mediaPart(data: unknown, mediaType: string | undefined, fallback: Part['type']): Part | undefined {
  const type: Part['type'] = mediaType?.startsWith('image/') ? 'image' : mediaType?.startsWith('audio/') ? 'audio' : fallback;
  const mime = mediaType && !mediaType.endsWith('/*') ? mediaType : undefined;
  if (typeof data === 'string') return /^(https?|data|gs|s3|file):/i.test(data) ? partFromUrl(type, data, mime) : { type, data, ...(mime ? { mimeType: mime } : {}) };
  if (isObj(data) && typeof data.href === 'string') return partFromUrl(type, data.href, mime);
  return undefined;
}

/** A tool result's output: v5+ `{type: json|text|error-text|…, value}`, v4 the raw `result`. */
function resultText(p: Obj): string {
  const out = p.output !== undefined ? p.output : p.result;
  if (isObj(out) && typeof out.type === 'string' && 'value' in out) return text(out.value);
  return text(out);
}

const KNOWN_PART = new Set(['text', 'image', 'file', 'reasoning', 'tool-call', 'tool-result']);

/** The AI SDK's model messages; tool messages become one message per result, as OpenAI has them. */
function readVercelMessages(v: unknown): { value: Message[]; lossless: boolean } | undefined {
  if (!Array.isArray(v)) return undefined;
  let lossless = true;
  const out: Message[] = [];
  for (const raw of v) {
    if (!isObj(raw) || typeof raw.role !== 'string') return undefined;
    if (typeof raw.content === 'string') {
      out.push({ role: raw.role, content: raw.content });
      continue;
    }
    if (!Array.isArray(raw.content)) return undefined;
    const m: Message = { role: raw.role };
    const parts: Part[] = [];
    for (const p of raw.content) {
      if (!isObj(p) || !KNOWN_PART.has(String(p.type))) {
        lossless = false;
        continue;
      }
      if (p.type === 'text') parts.push({ type: 'text', text: String(p.text ?? '') });
      else if (p.type === 'reasoning') parts.push({ type: 'reasoning', text: String(p.text ?? '') });
      else if (p.type === 'image' || p.type === 'file') {
        const part = mediaPart(p.type === 'image' ? p.image : p.data, (p.mediaType ?? p.mimeType) as string | undefined, p.type === 'image' ? 'image' : 'file');
        if (part) parts.push(part);
        else lossless = false;
      } else if (p.type === 'tool-call') {
        const input = p.input !== undefined ? p.input : p.args;
        const call: ToolCall = { name: String(p.toolName ?? ''), arguments: text(input) };
        if (typeof p.toolCallId === 'string') call.id = p.toolCallId;
        (m.toolCalls ??= []).push(call);
      } else {
        const r: Message = { role: 'tool', content: resultText(p) };
        if (typeof p.toolCallId === 'string') r.toolCallId = p.toolCallId;
        out.push(r);
      }
    }
    if (parts.length || m.toolCalls || raw.role !== 'tool') out.push(withParts(m, parts));
  }
  return { value: out, lossless };
}

/** The outer span's `ai.prompt`: `{system?, prompt? | messages?}`. */
function readPrompt(v: unknown): { value: Message[]; lossless: boolean } | undefined {
  if (!isObj(v)) return undefined;
  const msgs: Message[] = [];
  let lossless = Object.keys(v).every((k) => k === 'system' || k === 'prompt' || k === 'messages');
  if (typeof v.system === 'string') msgs.push({ role: 'system', content: v.system });
  if (typeof v.prompt === 'string') msgs.push({ role: 'user', content: v.prompt });
  else if (v.prompt !== undefined || v.messages !== undefined) {
    const r = readVercelMessages(v.prompt ?? v.messages);
    if (!r) return undefined;
    msgs.push(...r.value);
    lossless &&= r.lossless;
  }
  return { value: msgs, lossless };
}

/** `ai.prompt.tools`: one JSON string per tool, `{type: function, name, description, inputSchema | parameters}`. */
function readVercelTools(v: string[] | undefined): { value: ToolDefinition[]; lossless: boolean } | undefined {
  if (!v) return undefined;
  let lossless = true;
  const value = v.map((s) => {
    const t = parseJson(s);
    if (!isObj(t)) {
      lossless = false;
      return { name: s };
    }
    const d: ToolDefinition = { name: String(t.name ?? '') };
    if (typeof t.description === 'string') d.description = t.description;
    const params = t.inputSchema ?? t.parameters;
    if (params !== undefined) d.parameters = params;
    if (t.type !== undefined && t.type !== 'function') lossless = false;
    return d;
  });
  return { value, lossless };
}

const OUTPUT_KEYS = ['ai.response.text', 'ai.response.object', 'ai.response.toolCalls', 'ai.response.reasoning'] as const;

export function readVercel(ctx: ReadContext): void {
  const a = ctx.attrs;
  const op = asString(a.get('ai.operationId'));
  const kind = op ? roleOf(op) : undefined;
  if (kind) {
    ctx.role(kind.role);
    if (kind.operation) ctx.scalar('operation', kind.operation, undefined);
  }
  // "openai.chat", "anthropic.messages": the provider is the part before the dot.
  const provider = asString(a.get('ai.model.provider'));
  if (provider) ctx.scalar('provider', provider.split('.')[0], undefined);
  if (a.has('ai.prompt.messages')) {
    const r = readVercelMessages(jsonAttr(a, 'ai.prompt.messages'));
    if (r) ctx.structured('input', r.value, ['ai.prompt.messages'], r.lossless);
  } else if (a.has('ai.prompt')) {
    const r = readPrompt(jsonAttr(a, 'ai.prompt'));
    if (r) ctx.structured('input', r.value, ['ai.prompt'], r.lossless);
  }
  const tools = readVercelTools(asStringArray(a.get('ai.prompt.tools')));
  if (tools) ctx.structured('tools', tools.value, ['ai.prompt.tools'], tools.lossless);
  const reason = asString(a.get('ai.response.finishReason'));
  if (reason) ctx.scalar('finishReasons', [finish(reason)], 'ai.response.finishReason');
  const keys = OUTPUT_KEYS.filter((k) => a.has(k));
  if (keys.length) {
    const m: Message = { role: 'assistant' };
    const content = asString(a.get('ai.response.text')) ?? asString(a.get('ai.response.object'));
    const reasoning = asString(a.get('ai.response.reasoning'));
    if (reasoning) withParts(m, [{ type: 'reasoning', text: reasoning }, ...(content ? [{ type: 'text' as const, text: content }] : [])]);
    else if (content !== undefined && content !== '') m.content = content;
    const calls = jsonAttr(a, 'ai.response.toolCalls');
    if (Array.isArray(calls) && calls.length)
      m.toolCalls = calls.filter(isObj).map((c) => ({
        ...(typeof c.toolCallId === 'string' ? { id: c.toolCallId } : {}),
        name: String(c.toolName ?? ''),
        arguments: text(c.input !== undefined ? c.input : c.args),
      }));
    if (reason) m.finishReason = finish(reason);
    ctx.structured('output', [m], keys, true);
  }
  // Embeddings: ai.values (JSON per value) or ai.value.
  const values = asStringArray(a.get('ai.values')) ?? (a.has('ai.value') ? [asString(a.get('ai.value'))!] : undefined);
  if (values)
    ctx.structured(
      'embeddings',
      {
        texts: values.map((v) => {
          const p = parseJson(v);
          return typeof p === 'string' ? p : v;
        }),
      },
      [],
      false,
    );
}
