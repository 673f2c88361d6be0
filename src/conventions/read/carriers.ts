// Keys that carry a whole request or response as JSON (a framework's generic input and output).
// Where a convention's own messages say less than one of these (OpenInference Anthropic and
// Bedrock put the system prompt, images and tool results only in input.value), the two are merged.
import type { Message, Part, ToolCall } from '../record.js';
import { covers, extraUnits } from '../visible.js';
import type { ReadContext } from './context.js';
import { readMessagesByShape } from './shapes.js';

const INPUT_CARRIERS = [
  'input.value',
  'langfuse.observation.input',
  'mlflow.spanInputs',
  'gcp.vertex.agent.llm_request',
  'pydantic_ai.all_messages',
  'traceloop.entity.input',
  'gen_ai.prompt',
];
const OUTPUT_CARRIERS = ['output.value', 'langfuse.observation.output', 'mlflow.spanOutputs', 'gcp.vertex.agent.llm_response', 'traceloop.entity.output', 'gen_ai.completion'];

const CARRIERS = [
  ['input', INPUT_CARRIERS],
  ['output', OUTPUT_CARRIERS],
] as const;

const partKey = (p: Part) => `${p.type}:${p.text ?? p.data ?? p.uri ?? p.fileId ?? ''}`;
const callKey = (c: ToolCall) => `${c.name}:${c.arguments}`;

const sameText = (a: Message, b: Message) => {
  const x = a.content?.trim() ?? '';
  const y = b.content?.trim() ?? '';
  return x === y || (x !== '' && y !== '' && (x.includes(y) || y.includes(x)));
};

const sameCall = (x: ToolCall, y: ToolCall) => (x.id !== undefined && y.id !== undefined ? x.id === y.id : x.name === y.name);

/** The same turn: one role, and the same text, tool calls or answered call. */
function sameMessage(a: Message, b: Message): boolean {
  if (a.role !== b.role) return false;
  if (a.toolCallId !== undefined && b.toolCallId !== undefined) return a.toolCallId === b.toolCallId;
  const ca = a.toolCalls?.length ? a.toolCalls : undefined;
  const cb = b.toolCalls?.length ? b.toolCalls : undefined;
  if (ca && cb) return ca.some((x) => cb.some((y) => sameCall(x, y)));
  if (!a.content?.trim() && !b.content?.trim()) {
    // No text on either side: the same only when what they hold overlaps.
    if (ca || cb) return false;
    const pa = new Set((a.parts ?? []).map(partKey));
    return (b.parts ?? []).some((p) => pa.has(partKey(p)));
  }
  return sameText(a, b);
}

/** Adds to `into` the parts and tool calls only `from` has. */
function enrich(into: Message, from: Message): void {
  const fromParts = from.parts ?? (from.content !== undefined ? [{ type: 'text', text: from.content } as Part] : []);
  const have = new Set((into.parts ?? (into.content !== undefined ? [{ type: 'text', text: into.content } as Part] : [])).map(partKey));
  const extra = fromParts.filter((p) => !have.has(partKey(p)) && !(p.type === 'text' && into.content?.includes(p.text ?? '')));
  if (extra.length) {
    into.parts = [...(into.parts ?? (into.content !== undefined ? [{ type: 'text', text: into.content }] : [])), ...extra];
    const texts = into.parts.filter((p) => p.type === 'text').map((p) => p.text ?? '');
    if (texts.length) into.content = texts.join('\n');
  }
  const calls = new Set((into.toolCalls ?? []).map(callKey));
  for (const c of from.toolCalls ?? []) if (!calls.has(callKey(c)) && !into.toolCalls?.some((x) => sameCall(x, c))) (into.toolCalls ??= []).push(c);
  into.toolCallId ??= from.toolCallId;
  into.finishReason ??= from.finishReason;
}

/** Plain texts the same, turn by turn: then both show the same pieces, whatever the roles say. */
function sameTexts(a: Message[], b: Message[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.content !== y.content || x.parts || y.parts || x.toolCalls?.length || y.toolCalls?.length) return false;
  }
  return true;
}

/** One list holding what both say, in the order of the fuller one. */
function mergeMessages(ctx: ReadContext, a: Message[], b: Message[]): Message[] {
  // The usual case (OpenInference's flattened messages and its input.value): nothing to compare.
  if (sameTexts(a, b)) return a;
  const ua = ctx.units(a);
  const ub = ctx.units(b);
  if (covers(ua, ub)) return a;
  if (covers(ub, ua)) return b;
  const out = a.map((m) => ({ ...m, ...(m.parts ? { parts: [...m.parts] } : {}), ...(m.toolCalls ? { toolCalls: [...m.toolCalls] } : {}) }));
  let at = 0;
  for (const m of b) {
    const i = out.findIndex((x, j) => j >= at && sameMessage(x, m));
    if (i >= 0) {
      enrich(out[i], m);
      at = i + 1;
    } else out.splice(at++, 0, m);
  }
  return out;
}

function fromCarriers(ctx: ReadContext, keys: string[]): { msgs: Message[]; from: string[]; whole: string[] } | undefined {
  let merged: Message[] | undefined;
  const from: string[] = [];
  const whole: string[] = [];
  for (const key of keys) {
    if (!ctx.attrs.has(key)) continue;
    const value = ctx.json(key);
    const msgs = readMessagesByShape(value);
    if (!msgs) continue;
    // Noted before any merge: the Weave floor compares what this key shows.
    const extra = extraUnits(value);
    ctx.carrier(key, msgs, extra);
    merged = merged ? mergeMessages(ctx, merged, msgs) : msgs;
    from.push(key);
    if (extra.size === 0) whole.push(key);
  }
  return merged && { msgs: merged, from, whole };
}

/**
 * Merges the messages a carrier holds into the record's. A span that is not an LLM call keeps
 * its generic input and output unless it already has messages.
 */
export function mergeCarriers(ctx: ReadContext): void {
  const call = ctx.call;
  if (call.role === 'tool' || call.role === 'embedding' || call.role === 'retriever') return;
  const llm = call.role === 'llm' || call.role === undefined;
  for (const [slot, keys] of CARRIERS) {
    const have = call[slot];
    const carried = fromCarriers(ctx, keys);
    if (!carried) continue;
    const found = carried.msgs;
    // An agent or chain keeps generic values that are not a conversation of its own, or that
    // hold more than messages (a query engine's answer with its sources).
    if (!have && !llm && (carried.whole.length < carried.from.length || !found.some((m) => m.role === 'user' || m.role === 'assistant'))) continue;
    const merged = have ? mergeMessages(ctx, have, found) : found;
    if (!have) ctx.sources.set(slot, []);
    call[slot] = merged;
    // A carrier whose value is all messages is held whole now; one with more beside them (sources, say) is not.
    for (const k of carried.whole) ctx.covered.add(`${slot}:${k}`);
    // Only a carrier that added something is named as a source.
    if (merged !== have) for (const k of carried.from) ctx.from(slot, k);
  }
}
