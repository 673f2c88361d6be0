// Generated canonical records, and spans written from them in a given convention.
import fc from 'fast-check';
import { emptySpan, type Span } from '../../src/model/batch.js';
import type { Profile } from '../../src/conventions/mappings.js';
import { loadMappings } from '../../src/conventions/mappings.js';
import type { LlmCall, Message, Part, ToolCall } from '../../src/conventions/record.js';
import { writeCall } from '../../src/conventions/write/index.js';

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const word = fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/);
const textArb = fc.string({ maxLength: 30 });

const toolCall: fc.Arbitrary<ToolCall> = fc.record(
  { id: word, name: word, arguments: fc.dictionary(word, fc.oneof(word, fc.integer()), { maxKeys: 2 }).map((o) => JSON.stringify(o)) },
  { requiredKeys: ['name', 'arguments'], noNullPrototype: true },
);

const base64 = fc.stringMatching(/^[A-Za-z0-9+/]{4,12}$/);
/** Parts every target carries; OpenInference has no slot for files and reasoning. */
function partArb(all: boolean): fc.Arbitrary<Part> {
  const media: fc.Arbitrary<Part>[] = [
    word.map((w) => ({ type: 'image' as const, uri: `https://example.com/${w}.png` })),
    base64.map((d) => ({ type: 'image' as const, data: d, mimeType: 'image/png' })),
    base64.map((d) => ({ type: 'audio' as const, data: d, mimeType: 'audio/wav' })),
  ];
  if (all)
    media.push(
      word.map((w) => ({ type: 'file' as const, fileId: `file-${w}` })),
      textArb.map((t) => ({ type: 'reasoning' as const, text: t })),
    );
  return fc.oneof(...media);
}

/** A user message with parts: at least one that is not text, so it stays parts when read back. */
function partsMessage(all: boolean): fc.Arbitrary<Message> {
  return fc
    .tuple(
      fc.array(
        textArb.map((t) => ({ type: 'text' as const, text: t })),
        { maxLength: 1 },
      ),
      fc.array(partArb(all), { minLength: 1, maxLength: 2 }),
    )
    .map(([texts, media]) => {
      const parts: Part[] = [...texts, ...media];
      const m: Message = { role: 'user', parts };
      if (texts.length) m.content = texts[0].text;
      return m;
    });
}

function message(output: boolean, withFinish: boolean): fc.Arbitrary<Message> {
  return fc
    .record(
      {
        role: output ? fc.constant('assistant') : fc.constantFrom('system', 'user', 'assistant', 'tool'),
        content: opt(textArb),
        toolCalls: opt(fc.array(toolCall, { minLength: 1, maxLength: 2 })),
        toolCallId: opt(word),
        finishReason: withFinish ? fc.constantFrom('stop', 'length', 'tool_calls') : fc.constant(undefined),
      },
      { noNullPrototype: true },
    )
    .map((m) => {
      const out: Message = { role: m.role };
      // Tool results carry an id and text; others may carry tool calls.
      if (m.role === 'tool') {
        out.content = m.content ?? '';
        if (m.toolCallId !== undefined) out.toolCallId = m.toolCallId;
      } else {
        if (m.content !== undefined) out.content = m.content;
        if (m.toolCalls && m.role === 'assistant') out.toolCalls = m.toolCalls;
        // Empty text beside tool calls is no text (streamed calls carry "", others null).
        if (out.toolCalls && out.content === '') delete out.content;
      }
      if (m.finishReason !== undefined) out.finishReason = m.finishReason;
      return out;
    });
}

interface RecordOptions {
  /** OpenInference has one model name. */
  oneModel?: boolean;
  /** OpenInference has no response id. */
  noResponseId?: boolean;
  /** OTel current always writes a finish reason on output messages. */
  finishReasons?: boolean;
  /** Message parts in the input: 'all', or 'media' (text, image, audio: what OpenInference carries). */
  parts?: 'all' | 'media';
}

const nonEmpty = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function arbRecord(o: RecordOptions = {}): fc.Arbitrary<LlmCall> {
  const num = fc.double({ min: 0, max: 2, noNaN: true }).map((d) => Math.round(d * 100) / 100);
  const int = fc.integer({ min: 1, max: 100_000 });
  return fc
    .record(
      {
        provider: opt(fc.constantFrom('openai', 'anthropic', 'cohere')),
        operation: fc.constant('chat'),
        requestModel: opt(word),
        responseModel: opt(word),
        responseId: opt(word),
        input: opt(fc.array(o.parts ? fc.oneof(message(false, false), partsMessage(o.parts === 'all')) : message(false, false), { minLength: 1, maxLength: 3 })),
        output: opt(fc.array(message(true, o.finishReasons ?? false), { minLength: 1, maxLength: 2 })),
        temperature: opt(num),
        topP: opt(num),
        maxTokens: opt(int),
        seed: opt(int),
        stopSequences: opt(fc.array(word, { minLength: 1, maxLength: 2 })),
        stream: opt(fc.boolean()),
        tools: opt(
          fc.array(fc.record({ name: word, description: textArb, parameters: fc.constant({ type: 'object' }) }, { requiredKeys: ['name'], noNullPrototype: true }).map(nonEmpty), {
            minLength: 1,
            maxLength: 2,
          }),
        ),
        input_tokens: opt(int),
        output_tokens: opt(int),
        cacheRead: opt(int),
        sessionId: opt(word),
        userId: opt(word),
      },
      { noNullPrototype: true },
    )
    .map((r) => {
      const call: LlmCall = nonEmpty({
        role: 'llm',
        provider: r.provider,
        operation: r.operation,
        requestModel: o.oneModel ? (r.responseModel ?? r.requestModel) : r.requestModel,
        responseModel: o.oneModel ? (r.responseModel ?? r.requestModel) : r.responseModel,
        responseId: o.noResponseId ? undefined : r.responseId,
        input: r.input,
        output: r.output,
        tools: r.tools,
        sessionId: r.sessionId,
        userId: r.userId,
        params: nonEmpty({ temperature: r.temperature, topP: r.topP, maxTokens: r.maxTokens, seed: r.seed, stopSequences: r.stopSequences, stream: r.stream }),
        usage: nonEmpty({ input: r.input_tokens, output: r.output_tokens, cacheRead: r.cacheRead }),
      });
      return call;
    });
}

/** A span carrying the record in one convention, as that convention's writer emits it. */
export function spanFrom(profile: Profile, call: LlmCall): Span {
  const span = { ...emptySpan(), name: 'llm', startTimeUnixNano: 1_000n, endTimeUnixNano: 2_000n, traceId: '0'.repeat(31) + '1', spanId: '0'.repeat(15) + '1' };
  const w = writeCall(profile, call, loadMappings(), span);
  return { ...span, attributes: w.attrs, events: w.events };
}

/** Tool runs and agents: what a span that is not an LLM call carries. */
export function arbToolOrAgent(): fc.Arbitrary<LlmCall> {
  const args = fc.dictionary(word, fc.oneof(word, fc.integer()), { maxKeys: 2 }).map((o) => JSON.stringify(o));
  const tool = fc
    .record({ name: word, id: opt(word), arguments: args, result: textArb.filter((t) => t.trim() !== '' && !/^\s*[[{"]/.test(t)) })
    .map((t): LlmCall => ({ role: 'tool', operation: 'execute_tool', tool: nonEmpty(t), params: {}, usage: {} }));
  const plain = textArb.filter((t) => t.trim() !== '' && !/^\s*[[{"]/.test(t));
  const agent = fc
    .record({ name: word, input: plain, output: plain })
    .map((a): LlmCall => ({ role: 'agent', operation: 'invoke_agent', agent: { name: a.name }, inputValue: a.input, outputValue: a.output, params: {}, usage: {} }));
  return fc.oneof(tool, agent);
}
