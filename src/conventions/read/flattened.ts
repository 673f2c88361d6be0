// Messages flattened into indexed attributes: OpenInference's `llm.input_messages.0.message.role`
// and OpenLLMetry's `gen_ai.prompt.0.role`.
import type { AnyValue } from '../../model/batch.js';
import { asString, subIndexed } from '../attrs.js';
import type { Message, ToolCall } from '../record.js';
import type { Read } from './messages.js';

interface Shape {
  /** Sub-key prefix inside each item ('message.' for OpenInference, '' for OpenLLMetry). */
  base: string;
  toolCall: (k: Map<string, AnyValue>) => ToolCall;
  toolCallKeys: Set<string>;
  contentsKey?: string;
}

const OI: Shape = {
  base: 'message.',
  toolCall: (k) => ({
    ...(k.has('tool_call.id') ? { id: asString(k.get('tool_call.id')) } : {}),
    name: asString(k.get('tool_call.function.name')) ?? '',
    arguments: asString(k.get('tool_call.function.arguments')) ?? '',
  }),
  toolCallKeys: new Set(['tool_call.id', 'tool_call.function.name', 'tool_call.function.arguments']),
  contentsKey: 'contents',
};

const OLLM: Shape = {
  base: '',
  toolCall: (k) => ({
    ...(k.has('id') ? { id: asString(k.get('id')) } : {}),
    name: asString(k.get('name')) ?? '',
    arguments: asString(k.get('arguments')) ?? '',
  }),
  toolCallKeys: new Set(['id', 'name', 'arguments']),
};

type List = { items: Map<string, AnyValue>[]; keys: string[] };

function read({ items, keys }: List, shape: Shape): (Read<Message[]> & { keys: string[] }) | undefined {
  if (items.length === 0) return undefined;
  let lossless = true;
  const b = shape.base;
  const known = new Set([`${b}role`, `${b}content`, `${b}tool_call_id`, `${b}finish_reason`]);
  const value = items.map((item) => {
    const m: Message = { role: asString(item.get(`${b}role`)) ?? 'user' };
    let content = asString(item.get(`${b}content`));
    if (content === undefined && shape.contentsKey) {
      const parts = subIndexed(item, `${b}${shape.contentsKey}`);
      const texts = parts.map((p) => (asString(p.get('message_content.type')) === 'text' ? asString(p.get('message_content.text')) : undefined));
      if (texts.length === 1 && texts[0] !== undefined) content = texts[0];
      else if (texts.length) lossless = false;
    }
    if (content !== undefined) m.content = content;
    const calls = subIndexed(item, `${b}tool_calls`);
    if (calls.length) m.toolCalls = calls.map(shape.toolCall);
    for (const c of calls) for (const k of c.keys()) if (!shape.toolCallKeys.has(k)) lossless = false;
    const id = asString(item.get(`${b}tool_call_id`));
    if (id !== undefined) m.toolCallId = id;
    const fr = asString(item.get(`${b}finish_reason`));
    if (fr !== undefined) m.finishReason = fr;
    for (const k of item.keys()) {
      if (known.has(k) || k.startsWith(`${b}tool_calls.`) || (shape.contentsKey && k.startsWith(`${b}${shape.contentsKey}.`))) continue;
      lossless = false;
    }
    return m;
  });
  return { value, lossless, keys };
}

export const readOpenInferenceMessages = (list: List) => read(list, OI);
export const readOpenLlmetryMessages = (list: List) => read(list, OLLM);
