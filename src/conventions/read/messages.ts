// Message and tool shapes shared by several conventions: OpenAI's chat shape (Langtrace, old OTel
// events, Weave's gen_ai.prompt) and OTel's current parts shape. Each reader says whether it was
// lossless, so a lossy source keeps its original attribute.
import type { Message, Part, ToolCall, ToolDefinition } from '../record.js';
import { block, resultText } from './shapes.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Read<T> {
  value: T;
  lossless: boolean;
}

const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v));

/** A data URL split into its media type and base64 data; any other URL kept as a URI. */
export function partFromUrl(type: Part['type'], url: string, mimeType?: string): Part {
  const m = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(url);
  if (m && m[2]) return { type, data: m[3], ...(m[1] || mimeType ? { mimeType: m[1] || mimeType } : {}) };
  return { type, uri: url, ...(mimeType ? { mimeType } : {}) };
}

/** The URL a part is reachable at: its URI, or its data as a data URL. */
export function urlOfPart(p: Part): string | undefined {
  if (p.uri !== undefined) return p.uri;
  if (p.data !== undefined) return `data:${p.mimeType ?? 'application/octet-stream'};base64,${p.data}`;
  return undefined;
}

/** Content from parts: one text part is plain content; anything else keeps the parts (and their text joined). */
export function withParts(m: Message, parts: Part[]): Message {
  if (parts.length === 1 && parts[0].type === 'text') m.content = parts[0].text ?? '';
  else if (parts.length) {
    m.parts = parts;
    const texts = parts.filter((p) => p.type === 'text').map((p) => p.text ?? '');
    if (texts.length) m.content = texts.join('\n');
  }
  return m;
}

const MEDIA = new Set(['image', 'audio', 'video']);

/** A part in OpenAI's chat shape (and tracebridge's own reasoning part); undefined when it has none. */
function readOpenAiPart(p: Obj): Part | undefined {
  const url = (v: unknown) => (typeof v === 'string' ? v : isObj(v) && typeof v.url === 'string' ? v.url : undefined);
  switch (p.type) {
    case 'text':
    case 'input_text':
    case 'output_text':
      return typeof p.text === 'string' ? { type: 'text', text: p.text } : undefined;
    case 'image_url':
    case 'input_image': {
      const u = url(p.image_url);
      return u === undefined ? undefined : partFromUrl('image', u);
    }
    case 'audio_url':
    case 'video_url': {
      const u = url(p[p.type as string]);
      return u === undefined ? undefined : partFromUrl(p.type === 'audio_url' ? 'audio' : 'video', u);
    }
    case 'input_audio': {
      const a = isObj(p.input_audio) ? p.input_audio : {};
      return typeof a.data === 'string' ? { type: 'audio', data: a.data, ...(typeof a.format === 'string' ? { mimeType: `audio/${a.format}` } : {}) } : undefined;
    }
    case 'file': {
      const f = isObj(p.file) ? p.file : {};
      const mime = typeof f.mime_type === 'string' ? f.mime_type : undefined;
      if (typeof f.file_id === 'string') return { type: 'file', fileId: f.file_id, ...(mime ? { mimeType: mime } : {}) };
      if (typeof f.file_data === 'string') return partFromUrl('file', f.file_data, mime);
      if (typeof f.url === 'string') return partFromUrl('file', f.url, mime);
      return undefined;
    }
    case 'reasoning':
      return typeof p.text === 'string' ? { type: 'reasoning', text: p.text } : undefined;
    case 'image': {
      // Anthropic's shape: {type: image, source: {type: base64, media_type, data} | {type: url, url}}.
      const src = isObj(p.source) ? p.source : {};
      if (typeof src.data === 'string') return { type: 'image', data: src.data, ...(typeof src.media_type === 'string' ? { mimeType: src.media_type } : {}) };
      if (typeof src.url === 'string') return partFromUrl('image', src.url);
      return undefined;
    }
  }
  return undefined;
}

function writeOpenAiPart(p: Part): Obj {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text ?? '' };
    case 'reasoning':
      return { type: 'reasoning', text: p.text ?? '' };
    case 'image':
      return { type: 'image_url', image_url: { url: urlOfPart(p) ?? '' } };
    case 'audio':
      if (p.uri === undefined && p.data !== undefined && p.mimeType?.startsWith('audio/'))
        return { type: 'input_audio', input_audio: { data: p.data, format: p.mimeType.slice(6) } };
      return { type: 'audio_url', audio_url: { url: urlOfPart(p) ?? '' } };
    case 'video':
      return { type: 'video_url', video_url: { url: urlOfPart(p) ?? '' } };
    case 'file': {
      const f: Obj = {};
      if (p.fileId !== undefined) f.file_id = p.fileId;
      else if (p.data !== undefined) f.file_data = urlOfPart(p);
      else if (p.uri !== undefined) f.url = p.uri;
      if (p.mimeType !== undefined && p.data === undefined) f.mime_type = p.mimeType;
      return { type: 'file', file: f };
    }
  }
}

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

/** Content that is nothing but a JSON list of OpenAI tool calls (how Langtrace's SDKs carry a turn's calls). */
export function toolCallsIn(content: string): ToolCall[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length === 0 || !v.every((c) => isObj(c) && isObj(c.function) && typeof c.function.name === 'string')) return undefined;
  return readToolCalls(v);
}

function writeToolCalls(calls: ToolCall[]): Obj[] {
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
      const parts: Part[] = [];
      for (const raw of content) {
        const part = isObj(raw) ? readOpenAiPart(raw) : typeof raw === 'string' ? ({ type: 'text', text: raw } as Part) : undefined;
        if (part) parts.push(part);
        else lossless = false;
      }
      withParts(m, parts);
      content = undefined;
    }
    let c = m.parts ? undefined : content === undefined ? m.content : text(content);
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
    else if (!m.parts) delete m.content;
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
    if (m.parts) o.content = m.parts.map(writeOpenAiPart);
    else if (m.content !== undefined) o.content = m.content;
    if (m.toolCalls) {
      o.tool_calls = writeToolCalls(m.toolCalls);
      // Langtrace's SDKs: a turn with tool calls and no text carries the calls as its content.
      if (opts.toolCallsInContent && !m.content && !m.parts) o.content = JSON.stringify(o.tool_calls);
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
    const parts: Part[] = [];
    for (const p of raw.parts) {
      if (!isObj(p)) continue;
      if (p.type === 'text') {
        texts.push(String(p.content ?? ''));
        parts.push({ type: 'text', text: String(p.content ?? '') });
      } else if (p.type === 'tool_call') {
        const call: ToolCall = { name: String(p.name ?? ''), arguments: text(p.arguments) ?? '' };
        if (typeof p.id === 'string') call.id = p.id;
        (m.toolCalls ??= []).push(call);
      } else if (p.type === 'tool_call_response') {
        if (typeof p.id === 'string') m.toolCallId = p.id;
        // pydantic-ai names it `result`; Strands sends content blocks.
        const r = p.response !== undefined ? p.response : p.result;
        const t = typeof r === 'string' || r === undefined ? (text(r) ?? '') : resultText(r);
        if (p.response === undefined || typeof r !== 'string') lossless = false;
        texts.push(t);
        parts.push({ type: 'text', text: t });
      } else {
        const part = readOtelPart(p) ?? block(p)?.part;
        if (part) parts.push(part);
        if (!readOtelPart(p)) lossless = false;
      }
    }
    if (parts.some((p) => p.type !== 'text')) withParts(m, parts);
    else {
      if (texts.length > 1) lossless = false;
      if (texts.length) m.content = texts.join('\n');
    }
    if (typeof raw.finish_reason === 'string') m.finishReason = toOpenAiFinish(raw.finish_reason);
    if (raw.name !== undefined) lossless = false;
    // A user turn holding nothing but a tool's answer (Strands) is that tool's message.
    if (m.role === 'user' && m.toolCallId !== undefined && raw.parts.every((p) => isObj(p) && p.type === 'tool_call_response')) m.role = 'tool';
    out.push(m);
  }
  return { value: out, lossless };
}

/** OTel's uri, blob, file and reasoning parts. */
function readOtelPart(p: Obj): Part | undefined {
  const type: Part['type'] = typeof p.modality === 'string' && MEDIA.has(p.modality) ? (p.modality as Part['type']) : 'file';
  const mime = typeof p.mime_type === 'string' ? { mimeType: p.mime_type } : {};
  if (p.type === 'uri' && typeof p.uri === 'string') return { type, uri: p.uri, ...mime };
  if (p.type === 'blob' && typeof p.content === 'string') return { type, data: p.content, ...mime };
  if (p.type === 'file' && typeof p.file_id === 'string') return { type, fileId: p.file_id, ...mime };
  if (p.type === 'reasoning') return { type: 'reasoning', text: String(p.content ?? '') };
  return undefined;
}

function writeOtelPart(p: Part): Obj {
  if (p.type === 'text' || p.type === 'reasoning') return { type: p.type, content: p.text ?? '' };
  const o: Obj = p.uri !== undefined ? { type: 'uri' } : p.data !== undefined ? { type: 'blob' } : { type: 'file' };
  if (MEDIA.has(p.type)) o.modality = p.type;
  if (p.mimeType !== undefined) o.mime_type = p.mimeType;
  if (p.uri !== undefined) o.uri = p.uri;
  else if (p.data !== undefined) o.content = p.data;
  else if (p.fileId !== undefined) o.file_id = p.fileId;
  return o;
}

export function writeOtelMessages(msgs: Message[], output: boolean): Obj[] {
  return msgs.map((m) => {
    const parts: Obj[] = [];
    if (m.role === 'tool' && m.toolCallId !== undefined) parts.push({ type: 'tool_call_response', id: m.toolCallId, response: m.content ?? '' });
    else if (m.parts) for (const p of m.parts) parts.push(writeOtelPart(p));
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
