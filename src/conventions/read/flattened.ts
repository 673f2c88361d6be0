// Messages flattened into indexed attributes: OpenInference's `llm.input_messages.0.message.role`
// and OpenLLMetry's `gen_ai.prompt.0.role`.
import type { AnyValue } from '../../model/batch.js';
import { asString, subIndexed } from '../attrs.js';
import type { Message, Part, ToolCall } from '../record.js';
import { partFromUrl, withParts, type Read } from './messages.js';

interface Shape {
  toolCall: (k: Map<string, AnyValue>) => ToolCall;
  toolCallKeys: Set<string>;
  /** Item keys, with the sub-key prefix ('message.' for OpenInference, '' for OpenLLMetry). */
  role: string;
  content: string;
  toolCallId: string;
  finishReason: string;
  toolCalls: string;
  contents?: string;
  known: Set<string>;
}

function shape(base: string, toolCall: Shape['toolCall'], toolCallKeys: string[], contentsKey?: string): Shape {
  const k = { role: `${base}role`, content: `${base}content`, toolCallId: `${base}tool_call_id`, finishReason: `${base}finish_reason` };
  return {
    ...k,
    toolCall,
    toolCallKeys: new Set(toolCallKeys),
    toolCalls: `${base}tool_calls`,
    contents: contentsKey && `${base}${contentsKey}`,
    known: new Set(Object.values(k)),
  };
}

const OI = shape(
  'message.',
  (k) => ({
    ...(k.has('tool_call.id') ? { id: asString(k.get('tool_call.id')) } : {}),
    name: asString(k.get('tool_call.function.name')) ?? '',
    arguments: asString(k.get('tool_call.function.arguments')) ?? '',
  }),
  ['tool_call.id', 'tool_call.function.name', 'tool_call.function.arguments'],
  'contents',
);

const OLLM = shape(
  '',
  (k) => ({
    ...(k.has('id') ? { id: asString(k.get('id')) } : {}),
    name: asString(k.get('name')) ?? '',
    arguments: asString(k.get('arguments')) ?? '',
  }),
  ['id', 'name', 'arguments'],
);

type List = { items: Map<string, AnyValue>[]; keys: string[] };

function read({ items, keys }: List, shape: Shape): (Read<Message[]> & { keys: string[] }) | undefined {
  if (items.length === 0) return undefined;
  let lossless = true;
  const value = items.map((item) => {
    const m: Message = { role: asString(item.get(shape.role)) ?? 'user' };
    const content = asString(item.get(shape.content));
    if (content !== undefined) m.content = content;
    else if (shape.contents) {
      const parts: Part[] = [];
      for (const p of subIndexed(item, shape.contents)) {
        const part = openInferencePart(p);
        if (part) parts.push(part);
        if (!part || [...p.keys()].some((k) => !OI_PART_KEYS.has(k))) lossless = false;
      }
      withParts(m, parts);
    }
    const calls = subIndexed(item, shape.toolCalls);
    // Empty values (the OpenInference Vercel processor writes them) are no tool call.
    const real = calls.map(shape.toolCall).filter((c) => c.name !== '' || c.arguments !== '' || c.id);
    if (real.length) m.toolCalls = real;
    for (const c of calls) for (const k of c.keys()) if (!shape.toolCallKeys.has(k)) lossless = false;
    const id = asString(item.get(shape.toolCallId));
    if (id !== undefined) m.toolCallId = id;
    const fr = asString(item.get(shape.finishReason));
    if (fr !== undefined) m.finishReason = fr;
    for (const k of item.keys()) {
      if (shape.known.has(k) || isUnder(k, shape.toolCalls) || (shape.contents && isUnder(k, shape.contents))) continue;
      lossless = false;
    }
    return m;
  });
  return { value, lossless, keys };
}

const OI_PART_KEYS = new Set([
  'message_content.type',
  'message_content.text',
  'message_content.image.image.url',
  'message_content.audio.audio.url',
  'message_content.audio.audio.mime_type',
]);

/** `message_content.{type, text, image.image.url, audio.audio.{url, mime_type}}`. */
function openInferencePart(p: Map<string, AnyValue>): Part | undefined {
  const type = asString(p.get('message_content.type'));
  if (type === 'text') return { type: 'text', text: asString(p.get('message_content.text')) ?? '' };
  if (type === 'image') {
    const url = asString(p.get('message_content.image.image.url'));
    return url === undefined ? undefined : partFromUrl('image', url);
  }
  if (type === 'audio') {
    const url = asString(p.get('message_content.audio.audio.url'));
    return url === undefined ? undefined : partFromUrl('audio', url, asString(p.get('message_content.audio.audio.mime_type')));
  }
  return undefined;
}

const isUnder = (key: string, prefix: string) => key.length > prefix.length && key.charCodeAt(prefix.length) === 46 && key.startsWith(prefix);

export const readOpenInferenceMessages = (list: List) => read(list, OI);
export const readOpenLlmetryMessages = (list: List) => read(list, OLLM);
