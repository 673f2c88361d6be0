// Message and tool shapes shared by several conventions: OpenAI's chat shape (Langtrace, old OTel
// events, Weave's gen_ai.prompt) and OTel's current parts shape. Each reader says whether it was
// lossless, so a lossy source keeps its original attribute.
import type { Message, ToolCall, ToolDefinition } from '../record.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Read<T> {
  value: T;
  lossless: boolean;
}

const text = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v);

/** OpenAI's tool_calls: [{id, type, function: {name, arguments}}] (also flat {id, name, arguments}). */
export function readToolCalls(v: unknown): ToolCall[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  return v.filter(isObj).map((c) => {
    const fn = isObj(c.function) ? c.function : c;
    const call: ToolCall = { name: String(fn.name ?? ''), arguments: text(fn.arguments) ?? '' };
    if (typeof c.id === 'string') call.id = c.id;
    return call;
  });
}

/** Content that is nothing but a JSON list of OpenAI tool calls. */
function toolCallsIn(content: string): ToolCall[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length === 0 || !v.every((c) => isObj(c) && isObj(c.function) && typeof c.function.name === 'string')) return undefined;
  return readToolCalls(v);
}

export function writeToolCalls(calls: ToolCall[]): Obj[] {
  return calls.map((c) => {
    const fn = { name: c.name, arguments: c.arguments };
    return c.id !== undefined ? { id: c.id, type: 'function', function: fn } : { type: 'function', function: fn };
  });
}

const OPENAI_KEYS = new Set(['role', 'content', 'tool_calls', 'tool_call_id', 'finish_reason', 'message', 'index']);

/** OpenAI-shaped messages (or Langtrace's completion items {message, finish_reason}). */
export function readOpenAiMessages(v: unknown): Read<Message[]> | undefined {
  if (isObj(v) && Array.isArray(v.messages)) v = v.messages;
  if (!Array.isArray(v)) return undefined;
  let lossless = true;
  const out: Message[] = [];
  for (const raw of v) {
    if (!isObj(raw)) return undefined;
    const item = isObj(raw.message) ? { ...raw.message, finish_reason: raw.finish_reason } : raw;
    for (const k of Object.keys(item)) if (!OPENAI_KEYS.has(k) && item[k] !== undefined) lossless = false;
    const m: Message = { role: typeof item.role === 'string' ? item.role : 'assistant' };
    const calls = readToolCalls(item.tool_calls);
    let content = item.content;
    if (Array.isArray(content)) {
      // Multi-part content: text parts join; any other part cannot be carried as text.
      const parts = content.filter(isObj);
      if (parts.every((p) => p.type === 'text' && typeof p.text === 'string') && parts.length === 1) content = parts[0].text;
      else lossless = false;
    }
    let c = text(content);
    let toolCalls = calls;
    // Langtrace writes tool calls as JSON inside content (its SDK with no tool_calls field beside it).
    if (c !== undefined && calls && c === JSON.stringify(item.tool_calls)) c = undefined;
    else if (c !== undefined && !calls && c.startsWith('[{')) {
      const inner = toolCallsIn(c);
      if (inner) {
        toolCalls = inner;
        if (JSON.stringify(writeToolCalls(inner)) !== c) lossless = false;
        c = undefined;
      }
    }
    if (c !== undefined) m.content = c;
    if (toolCalls) m.toolCalls = toolCalls;
    if (typeof item.tool_call_id === 'string') m.toolCallId = item.tool_call_id;
    if (typeof item.finish_reason === 'string') m.finishReason = item.finish_reason;
    out.push(m);
  }
  return { value: out, lossless };
}

export function writeOpenAiMessages(msgs: Message[], opts: { toolCallsInContent?: boolean } = {}): Obj[] {
  return msgs.map((m) => {
    const o: Obj = { role: m.role };
    if (m.content !== undefined) o.content = m.content;
    if (m.toolCalls) {
      o.tool_calls = writeToolCalls(m.toolCalls);
      if (opts.toolCallsInContent && m.content === undefined) o.content = JSON.stringify(o.tool_calls);
    }
    if (m.toolCallId !== undefined) o.tool_call_id = m.toolCallId;
    if (m.finishReason !== undefined) o.finish_reason = m.finishReason;
    return o;
  });
}

const toOpenAiFinish = (r: string) => (r === 'tool_call' ? 'tool_calls' : r);
const toOtelFinish = (r: string) => (r === 'tool_calls' ? 'tool_call' : r);

/** OTel GenAI current: [{role, parts: [{type: text|tool_call|tool_call_response, …}], finish_reason}]. */
export function readOtelMessages(v: unknown): Read<Message[]> | undefined {
  if (!Array.isArray(v)) return undefined;
  let lossless = true;
  const out: Message[] = [];
  for (const raw of v) {
    if (!isObj(raw) || !Array.isArray(raw.parts)) return undefined;
    const m: Message = { role: typeof raw.role === 'string' ? raw.role : 'user' };
    const texts: string[] = [];
    for (const p of raw.parts) {
      if (!isObj(p)) continue;
      if (p.type === 'text') texts.push(String(p.content ?? ''));
      else if (p.type === 'tool_call') {
        const call: ToolCall = { name: String(p.name ?? ''), arguments: text(p.arguments) ?? '' };
        if (typeof p.id === 'string') call.id = p.id;
        (m.toolCalls ??= []).push(call);
      } else if (p.type === 'tool_call_response') {
        if (typeof p.id === 'string') m.toolCallId = p.id;
        texts.push(text(p.response) ?? '');
      } else lossless = false; // blob, file, uri, reasoning: no slot elsewhere
    }
    if (texts.length > 1) lossless = false;
    if (texts.length) m.content = texts.join('\n');
    if (typeof raw.finish_reason === 'string') m.finishReason = toOpenAiFinish(raw.finish_reason);
    if (raw.name !== undefined) lossless = false;
    out.push(m);
  }
  return { value: out, lossless };
}

export function writeOtelMessages(msgs: Message[], output: boolean): Obj[] {
  return msgs.map((m) => {
    const parts: Obj[] = [];
    if (m.role === 'tool' && m.toolCallId !== undefined) parts.push({ type: 'tool_call_response', id: m.toolCallId, response: m.content ?? '' });
    else if (m.content !== undefined) parts.push({ type: 'text', content: m.content });
    for (const c of m.toolCalls ?? []) {
      // OTel carries arguments as an object; text that is not a JSON object stays text.
      let args: unknown = c.arguments;
      try {
        const parsed = JSON.parse(c.arguments);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) args = parsed;
      } catch {
        /* not JSON */
      }
      parts.push({ type: 'tool_call', ...(c.id !== undefined ? { id: c.id } : {}), name: c.name, arguments: args });
    }
    const o: Obj = { role: m.role, parts };
    if (output) o.finish_reason = toOtelFinish(m.finishReason ?? 'stop');
    return o;
  });
}

/** System instructions as OTel writes them: parts, usually [{type: text, content}]. */
export function readSystemInstructions(v: unknown): Read<Message> | undefined {
  if (typeof v === 'string') return { value: { role: 'system', content: v }, lossless: true };
  if (!Array.isArray(v)) return undefined;
  const texts = v.filter(isObj).map((p) => (p.type === 'text' ? String(p.content ?? '') : undefined));
  if (texts.some((t) => t === undefined)) return { value: { role: 'system', content: JSON.stringify(v) }, lossless: false };
  return { value: { role: 'system', content: texts.join('\n') }, lossless: texts.length === 1 };
}

/** Tool definitions: OpenAI's [{type, function: {name, description, parameters}}] or OTel's flat form. */
export function readTools(v: unknown): Read<ToolDefinition[]> | undefined {
  if (!Array.isArray(v)) return undefined;
  let lossless = true;
  const out = v.filter(isObj).map((t) => {
    const fn = isObj(t.function) ? t.function : t;
    const d: ToolDefinition = { name: String(fn.name ?? '') };
    if (typeof fn.description === 'string') d.description = fn.description;
    if (fn.parameters !== undefined) d.parameters = typeof fn.parameters === 'string' ? parseOr(fn.parameters) : fn.parameters;
    if (t.type !== undefined && t.type !== 'function') lossless = false;
    return d;
  });
  return { value: out, lossless };
}

function parseOr(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

export function writeToolsOpenAi(tools: ToolDefinition[]): Obj[] {
  return tools.map((t) => ({ type: 'function', function: toolBody(t) }));
}

export function writeToolsOtel(tools: ToolDefinition[]): Obj[] {
  return tools.map((t) => ({ type: 'function', ...toolBody(t) }));
}

function toolBody(t: ToolDefinition): Obj {
  const o: Obj = { name: t.name };
  if (t.description !== undefined) o.description = t.description;
  if (t.parameters !== undefined) o.parameters = t.parameters;
  return o;
}
