// Chat messages recognised by their shape, wherever they sit: OpenAI chat and Responses items,
// Anthropic content blocks, Bedrock Converse and Strands blocks, Gemini parts, OTel and
// pydantic-ai parts, the AI SDK's parts, LangChain's serialized messages. A framework the key
// tables do not know yet still shows its prompt and completion. Always lossy: the original stays.
import type { Message, Part, ToolCall } from '../record.js';
import { partFromUrl, withParts } from './messages.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? null));

/** One content block, read into a part, a tool call or a tool result (or nothing). */
type Block = { part?: Part; call?: ToolCall; result?: { id?: string; text: string } };

const ROLES: Record<string, string> = {
  model: 'assistant',
  human: 'user',
  ai: 'assistant',
  AIMessage: 'assistant',
  HumanMessage: 'user',
  SystemMessage: 'system',
  ToolMessage: 'tool',
};
const role = (r: unknown): string | undefined => (typeof r === 'string' ? (ROLES[r] ?? r) : undefined);

function media(type: Part['type'], mime: string | undefined, data: unknown, uri: unknown): Part | undefined {
  const t: Part['type'] = mime?.startsWith('image/') ? 'image' : mime?.startsWith('audio/') ? 'audio' : mime?.startsWith('video/') ? 'video' : type;
  const m = mime ? { mimeType: mime } : {};
  if (typeof uri === 'string') return partFromUrl(t, uri, mime);
  if (typeof data === 'string') return /^(data|https?):/.test(data) ? partFromUrl(t, data, mime) : { type: t, data, ...m };
  return undefined;
}

/** Blocks with a `type` field (OpenAI, Anthropic, OTel, pydantic-ai, the AI SDK, Responses). */
function typedBlock(b: Obj): Block | undefined {
  const url = (v: unknown) => (typeof v === 'string' ? v : isObj(v) ? str(v.url) : undefined);
  switch (b.type) {
    case 'text':
    case 'input_text':
    case 'output_text':
      return { part: { type: 'text', text: str(b.text) ?? text(b.content) } };
    case 'image_url':
    case 'input_image':
      return url(b.image_url) !== undefined ? { part: partFromUrl('image', url(b.image_url)!) } : undefined;
    case 'image':
    case 'document': {
      const src = isObj(b.source) ? b.source : undefined;
      if (src) return { part: media(b.type === 'image' ? 'image' : 'file', str(src.media_type), src.data, src.url) };
      return { part: media('image', str(b.mediaType) ?? str(b.mimeType), b.image, undefined) };
    }
    case 'image-url':
    case 'audio-url':
    case 'video-url':
    case 'document-url':
      return { part: media(b.type === 'image-url' ? 'image' : b.type === 'audio-url' ? 'audio' : b.type === 'video-url' ? 'video' : 'file', str(b.media_type), undefined, b.url) };
    case 'binary':
    case 'blob':
    case 'file':
      return { part: media('file', str(b.media_type) ?? str(b.mime_type) ?? str(b.mediaType), b.content ?? b.data, undefined) };
    case 'uri':
      return { part: media('file', str(b.mime_type), undefined, b.uri) };
    case 'thinking':
    case 'reasoning': {
      const summary = Array.isArray(b.summary) ? b.summary.map((s) => (isObj(s) ? (str(s.text) ?? '') : '')).join('\n') : undefined;
      const t = str(b.thinking) ?? str(b.text) ?? str(b.content) ?? summary;
      return t ? { part: { type: 'reasoning', text: t } } : {};
    }
    case 'redacted_thinking':
      return {};
    case 'toolUse':
    case 'tool_use':
    case 'tool_call':
    case 'tool-call':
    case 'function_call': {
      // Responses items carry an item id beside the call id: the call id is the one answered.
      const id = str(b.call_id) ?? str(b.callId) ?? str(b.id) ?? str(b.toolCallId) ?? str(b.toolUseId) ?? str(b.tool_call_id);
      const args = b.input ?? b.arguments ?? b.args;
      return { call: { ...(id ? { id } : {}), name: str(b.name) ?? str(b.toolName) ?? '', arguments: text(args ?? {}) } };
    }
    case 'tool_result':
    case 'tool_call_response':
    case 'tool-result':
    case 'function_call_output':
    case 'function_call_result': {
      const id = str(b.call_id) ?? str(b.callId) ?? str(b.tool_use_id) ?? str(b.id) ?? str(b.toolCallId) ?? str(b.tool_call_id);
      const out = b.content ?? b.response ?? b.result ?? b.output;
      return { result: { ...(id ? { id } : {}), text: resultText(out) } };
    }
  }
  // Strands' latest form writes any other block as {type: <its key>, content: <its value>}.
  if (isObj(b.content)) return keyedBlock({ [b.type as string]: b.content });
  return undefined;
}

/** A tool result's text: a string, text blocks joined, or the JSON of anything else. */
export function resultText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => isObj(x) && (typeof x.text === 'string' || isObj(x.json))))
    return v.map((x) => (typeof x.text === 'string' ? x.text : JSON.stringify(x.json))).join('\n');
  if (isObj(v) && v.type !== undefined && 'value' in v) return text(v.value);
  if (isObj(v) && v.type === 'text' && typeof v.text === 'string') return v.text;
  return text(v);
}

/** Blocks named by their one key (Bedrock Converse, Strands, Gemini parts). */
function keyedBlock(b: Obj): Block | undefined {
  if (typeof b.text === 'string') return { part: { type: b.thought === true ? 'reasoning' : 'text', text: b.text } };
  const inline = b.inline_data ?? b.inlineData;
  if (isObj(inline)) return { part: media('file', str(inline.mime_type) ?? str(inline.mimeType), inline.data, undefined) };
  const file = b.file_data ?? b.fileData;
  if (isObj(file)) return { part: media('file', str(file.mime_type) ?? str(file.mimeType), undefined, file.file_uri ?? file.fileUri) };
  const fc = b.function_call ?? b.functionCall;
  if (isObj(fc)) return { call: { ...(str(fc.id) ? { id: str(fc.id) } : {}), name: str(fc.name) ?? '', arguments: text(fc.args ?? {}) } };
  const fr = b.function_response ?? b.functionResponse;
  if (isObj(fr)) return { result: { ...(str(fr.id) ? { id: str(fr.id) } : {}), text: text(fr.response) } };
  if (isObj(b.toolUse)) {
    const u = b.toolUse;
    return { call: { ...(str(u.toolUseId) ? { id: str(u.toolUseId) } : {}), name: str(u.name) ?? '', arguments: text(u.input ?? {}) } };
  }
  if (isObj(b.toolResult)) {
    const r = b.toolResult;
    return { result: { ...(str(r.toolUseId) ? { id: str(r.toolUseId) } : {}), text: resultText(r.content) } };
  }
  if (isObj(b.image)) {
    const img = b.image;
    const src = isObj(img.source) ? img.source : {};
    const format = str(img.format);
    // Strands serialises bytes it cannot write as "<replaced>": there is no image left to show.
    const bytes = typeof src.bytes === 'string' && src.bytes !== '<replaced>' ? src.bytes : undefined;
    return bytes ? { part: media('image', format ? `image/${format}` : undefined, bytes, undefined) } : {};
  }
  if (isObj(b.reasoningContent)) {
    const rt = b.reasoningContent.reasoningText;
    return { part: { type: 'reasoning', text: isObj(rt) ? (str(rt.text) ?? '') : '' } };
  }
  return undefined;
}

export function block(b: unknown): Block | undefined {
  if (typeof b === 'string') return { part: { type: 'text', text: b } };
  if (!isObj(b)) return undefined;
  return typeof b.type === 'string' ? typedBlock(b) : keyedBlock(b);
}

/** One message's blocks into messages: the message itself, then one tool message per result. */
function fromBlocks(r: string, blocks: unknown[]): Message[] | undefined {
  const m: Message = { role: r };
  const parts: Part[] = [];
  const results: Message[] = [];
  for (const raw of blocks) {
    const b = block(raw);
    if (!b) return undefined;
    if (b.part) parts.push(b.part);
    if (b.call) (m.toolCalls ??= []).push(b.call);
    if (b.result) results.push({ role: 'tool', content: b.result.text, ...(b.result.id ? { toolCallId: b.result.id } : {}) });
  }
  if (r === 'tool' && results.length && !parts.length && !m.toolCalls) return results;
  withParts(m, parts);
  return parts.length || m.toolCalls || !results.length ? [m, ...results] : results;
}

/** A LangChain serialized message `{lc: 1, id: [..., "HumanMessage"], kwargs: {content, …}}`. */
function langchain(v: Obj): Message[] | undefined {
  const id = Array.isArray(v.id) ? v.id[v.id.length - 1] : undefined;
  const k = isObj(v.kwargs) ? v.kwargs : {};
  const r = role(id) ?? role(k.type) ?? 'user';
  const out =
    typeof k.content === 'string'
      ? [withParts({ role: r }, k.content ? [{ type: 'text', text: k.content }] : [])]
      : Array.isArray(k.content)
        ? fromBlocks(r, k.content)
        : [{ role: r }];
  if (!out) return undefined;
  const m = out[0];
  if (Array.isArray(k.tool_calls) && k.tool_calls.length)
    m.toolCalls = k.tool_calls.filter(isObj).map((c) => ({ ...(str(c.id) ? { id: str(c.id) } : {}), name: str(c.name) ?? '', arguments: text(c.args ?? {}) }));
  if (typeof k.tool_call_id === 'string') m.toolCallId = k.tool_call_id;
  return out;
}

/** One message in any known shape, as one or more messages; undefined when it is not one. */
function message(v: unknown): Message[] | undefined {
  if (!isObj(v)) return undefined;
  if (v.lc === 1 && isObj(v.kwargs)) return langchain(v);
  if (isObj(v.message) && !('role' in v)) {
    const inner = message(v.message);
    if (inner && typeof (v.finish_reason ?? v.finishReason) === 'string') inner[inner.length - 1].finishReason = String(v.finish_reason ?? v.finishReason);
    return inner;
  }
  // OpenAI Responses items without a role: function calls, their outputs, reasoning.
  if (v.role === undefined && typeof v.type === 'string' && v.type !== 'message') {
    const b = typedBlock(v);
    if (!b) return undefined;
    if (b.result) return [{ role: 'tool', content: b.result.text, ...(b.result.id ? { toolCallId: b.result.id } : {}) }];
    return [{ role: 'assistant', ...(b.call ? { toolCalls: [b.call] } : {}), ...(b.part ? { parts: [b.part] } : {}) }];
  }
  const r = role(v.role) ?? (v.type === 'message' ? 'assistant' : undefined);
  if (!r) return undefined;
  const content = v.content ?? v.parts;
  let out: Message[] | undefined;
  if (typeof content === 'string') out = [{ role: r, content }];
  else if (Array.isArray(content)) out = fromBlocks(r, content);
  else if (content === undefined || content === null) out = [{ role: r }];
  if (!out) return undefined;
  const m = out[0];
  if (Array.isArray(v.tool_calls) && v.tool_calls.length)
    m.toolCalls = v.tool_calls.filter(isObj).map((c) => {
      const fn = isObj(c.function) ? c.function : c;
      return { ...(str(c.id) ? { id: str(c.id) } : {}), name: str(fn.name) ?? '', arguments: text(fn.arguments ?? fn.args ?? {}) };
    });
  if (typeof v.tool_call_id === 'string') m.toolCallId = v.tool_call_id;
  const finish = v.finish_reason ?? v.stop_reason ?? v.finishReason;
  if (typeof finish === 'string') out[out.length - 1].finishReason = finish === 'tool_use' || finish === 'tool_call' ? 'tool_calls' : finish === 'end_turn' ? 'stop' : finish;
  return out;
}

function list(v: unknown[]): Message[] | undefined {
  const items = v.length > 0 && v.every(Array.isArray) ? (v as unknown[][]).flat() : v;
  if (items.length === 0) return undefined;
  const out: Message[] = [];
  for (const item of items) {
    const m = message(item);
    if (!m) return undefined;
    out.push(...m);
  }
  return out;
}

/** A system prompt in Anthropic's, Bedrock's, Gemini's or OpenAI Responses' spelling. */
function system(v: unknown): Message | undefined {
  if (typeof v === 'string') return v ? { role: 'system', content: v } : undefined;
  const blocks = Array.isArray(v) ? v : isObj(v) && Array.isArray(v.parts) ? v.parts : undefined;
  if (!blocks) return undefined;
  const t = blocks.map((b) => (typeof b === 'string' ? b : isObj(b) ? (str(b.text) ?? str(b.content) ?? '') : '')).filter((x) => x);
  return t.length ? { role: 'system', content: t.join('\n') } : undefined;
}

/** A request or response object that holds messages: the messages, its system prompt first. */
function envelope(v: Obj): Message[] | undefined {
  // A recorded HTTP request (Mastra's model steps): `{body: {model, messages, …}}`.
  if (isObj(v.body) && Object.keys(v).length <= 2) return envelope(v.body);
  const sys = system(
    v.system ?? v.system_instruction ?? v.systemInstruction ?? (isObj(v.config) ? (v.config.system_instruction ?? v.config.systemInstruction) : undefined) ?? v.instructions,
  );
  const withSystem = (ms: Message[] | undefined) => (ms ? (sys && !ms.some((m) => m.role === 'system') ? [sys, ...ms] : ms) : sys ? [sys] : undefined);
  for (const key of ['messages', 'contents', 'input', 'history', 'all_messages']) {
    const x = v[key];
    if (Array.isArray(x)) return withSystem(list(x));
    if (key === 'input' && typeof x === 'string') return withSystem([{ role: 'user', content: x }]);
    if (key === 'contents' && typeof x === 'string') return withSystem([{ role: 'user', content: x }]);
  }
  if (Array.isArray(v.choices)) return list(v.choices);
  if (Array.isArray(v.candidates)) return list(v.candidates.map((c) => (isObj(c) && isObj(c.content) ? { ...c.content, finish_reason: c.finish_reason ?? c.finishReason } : c)));
  if (Array.isArray(v.output) && v.output.every((o) => isObj(o) && typeof o.type === 'string')) return list(v.output);
  if (isObj(v.output) && isObj(v.output.message)) return message(v.output.message);
  if (isObj(v.content) && (isObj(v.content) ? Array.isArray(v.content.parts) : false)) return message({ role: 'assistant', ...v.content });
  if (Array.isArray(v.generations))
    return list(v.generations.flat().map((g) => (isObj(g) && isObj(g.message) ? g.message : isObj(g) && typeof g.text === 'string' ? { role: 'assistant', content: g.text } : g)));
  return withSystem(message(v)) ?? answer(v);
}

/** An answer object (the AI SDK's and Mastra's results): `{text, toolCalls?, reasoning?}`. */
function answer(v: Obj): Message[] | undefined {
  if (typeof v.text !== 'string' || 'role' in v) return undefined;
  const m: Message = { role: 'assistant' };
  const parts: Part[] = [];
  const reasoning = typeof v.reasoning === 'string' ? [v.reasoning] : Array.isArray(v.reasoning) ? v.reasoning.map((r) => (isObj(r) ? str(r.text) : str(r))) : [];
  for (const r of reasoning) if (r) parts.push({ type: 'reasoning', text: r });
  if (v.text) parts.push({ type: 'text', text: v.text });
  withParts(m, parts);
  const calls = Array.isArray(v.toolCalls) ? v.toolCalls.filter(isObj) : [];
  if (calls.length)
    m.toolCalls = calls.map((c) => ({
      ...(str(c.toolCallId) ? { id: str(c.toolCallId) } : {}),
      name: str(c.toolName) ?? '',
      arguments: text(c.input ?? c.args ?? c.toolInput ?? {}),
    }));
  return [m];
}

/** Messages in any known shape, from a parsed JSON value; undefined when it holds none. */
export function readMessagesByShape(v: unknown): Message[] | undefined {
  const out = Array.isArray(v) ? list(v) : isObj(v) ? envelope(v) : undefined;
  return out && out.length ? out : undefined;
}
