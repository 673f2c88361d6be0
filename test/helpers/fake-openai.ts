// A fake OpenAI API on loopback: deterministic chat (plain, streaming, tool calls) and embeddings.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE = {
  model: 'gpt-4o-mini-2024-07-18',
  reply: 'It is sunny in Paris.',
  usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
  toolCall: { id: 'call_abc123', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
};

export const FAKE_ANTHROPIC = {
  model: 'claude-sonnet-4-20250514',
  usage: { input_tokens: 20, output_tokens: 9, cache_read_input_tokens: 5 },
  toolUse: { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
};

const FAKE_THINKING = 'The user asks about Paris. I should check the weather.';

/** A value that fits a JSON schema (first enum value, "Paris" for a city, "sunny" for other strings, 21 for numbers). */
function sampleOf(schema: unknown, key = ''): unknown {
  const s = (schema ?? {}) as { type?: string | string[]; enum?: unknown[]; properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[] };
  if (s.enum?.length) return s.enum[0];
  if (s.anyOf?.length) return sampleOf(s.anyOf[0], key);
  const type = String(Array.isArray(s.type) ? s.type[0] : (s.type ?? (s.properties ? 'object' : 'string'))).toLowerCase();
  if (type === 'object') return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sampleOf(v, k)]));
  if (type === 'array') return [sampleOf(s.items, key)];
  if (type === 'number' || type === 'integer') return 21;
  if (type === 'boolean') return true;
  return key === 'city' ? 'Paris' : 'sunny';
}

type AnthropicRequest = {
  tools?: Array<{ name: string; input_schema?: unknown }>;
  tool_choice?: { type: string; name?: string };
  messages: Array<{ role: string; content: unknown }>;
  stream?: boolean;
  thinking?: { type: string };
  output_format?: { schema?: unknown };
  output_config?: { format?: { schema?: unknown } };
};

/**
 * Anthropic's Messages API: a tool_use turn when tools are offered and no result came back yet
 * (the named or, for `any`, the first tool, with input that fits its schema, when tool_choice forces one); a thinking block
 * first when thinking is enabled; JSON text for a structured-output format; cache writes counted
 * when the request marks a cache breakpoint; streamed as Anthropic's events when asked.
 */
function anthropicReply(r: AnthropicRequest, res: import('node:http').ServerResponse): void {
  const answered = r.messages.some((m) => Array.isArray(m.content) && m.content.some((c: { type?: string }) => c.type === 'tool_result'));
  const choice = r.tool_choice;
  const forced = choice?.type === 'tool' ? r.tools?.find((t) => t.name === choice.name) : choice?.type === 'any' && !answered ? r.tools?.[0] : undefined;
  const useTool = Array.isArray(r.tools) && r.tools.length > 0 && !answered;
  const format = r.output_format?.schema ?? r.output_config?.format?.schema;
  let content: object[] = useTool ? [{ type: 'text', text: 'Let me check.' }, FAKE_ANTHROPIC.toolUse] : [{ type: 'text', text: FAKE.reply }];
  if (forced) content = [{ type: 'tool_use', id: 'toolu_02', name: forced.name, input: sampleOf(forced.input_schema) }];
  else if (format) content = [{ type: 'text', text: JSON.stringify(sampleOf(format)) }];
  if (r.thinking?.type === 'enabled') content = [{ type: 'thinking', thinking: FAKE_THINKING, signature: 'sig_fake_01' }, ...content];
  const cacheWrite = JSON.stringify(r).includes('"cache_control"');
  const usage = { ...FAKE_ANTHROPIC.usage, ...(cacheWrite ? { cache_creation_input_tokens: 4 } : {}) };
  const stop = forced || useTool ? 'tool_use' : 'end_turn';
  const message = { id: 'msg_01', type: 'message', role: 'assistant', model: FAKE_ANTHROPIC.model, content, stop_reason: stop, stop_sequence: null, usage };
  if (!r.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(message));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const event = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
  content.forEach((block, index) => {
    const b = block as { type: string; text?: string; thinking?: string; signature?: string; input?: unknown };
    if (b.type === 'text') {
      event('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of b.text!.match(/.{1,8}/gs) ?? []) event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    } else if (b.type === 'thinking') {
      event('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: b.thinking } });
      event('content_block_delta', { index, delta: { type: 'signature_delta', signature: b.signature } });
    } else {
      event('content_block_start', { index, content_block: { ...b, input: {} } });
      event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
    }
    event('content_block_stop', { index });
  });
  event('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  event('message_stop', {});
  res.end();
}

const FAKE_GEMINI = {
  model: 'gemini-2.5-flash',
  usage: { promptTokenCount: 12, candidatesTokenCount: 8, totalTokenCount: 26, thoughtsTokenCount: 6, cachedContentTokenCount: 4 },
};

type GeminiRequest = {
  contents: Array<{ role?: string; parts: Array<{ functionResponse?: unknown }> }>;
  tools?: Array<{ functionDeclarations?: Array<{ name: string; parameters?: unknown }> }>;
  generationConfig?: { responseMimeType?: string; responseSchema?: unknown; responseJsonSchema?: unknown; thinkingConfig?: { includeThoughts?: boolean } };
};

/**
 * Gemini's generateContent and streamGenerateContent (`?alt=sse`): a functionCall when functions
 * are offered and no functionResponse came back yet, JSON text for a JSON response schema, a
 * thought part first when thoughts are asked for; usage with thoughts and cached tokens.
 */
function geminiReply(r: GeminiRequest, stream: boolean, res: import('node:http').ServerResponse): void {
  const answered = r.contents.some((c) => c.parts.some((p) => p.functionResponse));
  const fn = answered ? undefined : r.tools?.flatMap((t) => t.functionDeclarations ?? [])[0];
  const config = r.generationConfig ?? {};
  const schema = config.responseSchema ?? config.responseJsonSchema;
  const thinks = config.thinkingConfig?.includeThoughts === true;
  const parts: object[] = fn
    ? [{ functionCall: { name: fn.name, args: fn.name === 'get_weather' ? { city: 'Paris' } : sampleOf(fn.parameters) } }]
    : [{ text: config.responseMimeType === 'application/json' ? JSON.stringify(sampleOf(schema)) : FAKE.reply }];
  if (thinks) parts.unshift({ text: FAKE_THINKING, thought: true });
  const { promptTokenCount, candidatesTokenCount, cachedContentTokenCount } = FAKE_GEMINI.usage;
  const usageMetadata = thinks ? FAKE_GEMINI.usage : { promptTokenCount, candidatesTokenCount, totalTokenCount: promptTokenCount + candidatesTokenCount, cachedContentTokenCount };
  const reply = (p: object[], last: boolean) => ({
    candidates: [{ content: { role: 'model', parts: p }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }],
    ...(last ? { usageMetadata } : {}),
    modelVersion: FAKE_GEMINI.model,
    responseId: 'gemini-resp-1',
  });
  if (!stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply(parts, true)));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  parts.forEach((p, i) => res.write(`data: ${JSON.stringify(reply([p], i === parts.length - 1))}\r\n\r\n`));
  res.end();
}

type ConverseRequest = { messages: Array<{ role: string; content: Array<{ toolResult?: unknown }> }>; toolConfig?: { tools?: Array<{ toolSpec?: { name: string } }> } };

/** Bedrock's Converse: a toolUse turn when tools are offered and no toolResult came back yet. */
function converseReply(r: ConverseRequest, res: import('node:http').ServerResponse): void {
  const answered = r.messages.some((m) => m.content.some((c) => c.toolResult));
  const useTool = (r.toolConfig?.tools?.length ?? 0) > 0 && !answered;
  const { id, name, input } = FAKE_ANTHROPIC.toolUse;
  const content = useTool ? [{ text: 'Let me check.' }, { toolUse: { toolUseId: id, name, input } }] : [{ text: FAKE.reply }];
  const { input_tokens, output_tokens, cache_read_input_tokens } = FAKE_ANTHROPIC.usage;
  res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'req-converse-1' });
  res.end(
    JSON.stringify({
      output: { message: { role: 'assistant', content } },
      stopReason: useTool ? 'tool_use' : 'end_turn',
      usage: {
        inputTokens: input_tokens,
        outputTokens: output_tokens,
        totalTokens: input_tokens + output_tokens + cache_read_input_tokens,
        cacheReadInputTokens: cache_read_input_tokens,
      },
      metrics: { latencyMs: 120 },
    }),
  );
}

type ResponsesItem = { type?: string; name?: string; call_id?: string };

/**
 * OpenAI's Responses API: a function_call for the first offered function tool that has no
 * function_call_output yet (a handoff's `transfer_to_…` first, then the agent's own tool), else
 * plain text; usage in the Responses shape.
 */
function responsesReply(r: { model?: string; tools?: Array<{ type: string; name?: string }>; input?: string | ResponsesItem[] }, res: import('node:http').ServerResponse): void {
  const items = Array.isArray(r.input) ? r.input : [];
  const answered = new Set(items.filter((i) => i.type === 'function_call_output').map((i) => i.call_id));
  const done = new Set(items.filter((i) => i.type === 'function_call' && answered.has(i.call_id)).map((i) => i.name));
  const tool = (r.tools ?? []).find((t) => t.type === 'function' && t.name && !done.has(t.name));
  const n = items.filter((i) => i.type === 'function_call').length;
  const output = tool
    ? [
        {
          type: 'function_call',
          id: `fc_${n + 1}`,
          call_id: tool.name === 'get_weather' ? FAKE.toolCall.id : `call_handoff${n + 1}`,
          name: tool.name,
          arguments: tool.name === 'get_weather' ? FAKE.toolCall.function.arguments : '{}',
          status: 'completed',
        },
      ]
    : [{ type: 'message', id: 'msg_resp1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: FAKE.reply, annotations: [] }] }];
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: `resp_${n + 1}`,
      object: 'response',
      created_at: 1_700_000_000,
      status: 'completed',
      model: FAKE.model,
      output,
      parallel_tool_calls: true,
      tool_choice: 'auto',
      tools: r.tools ?? [],
      usage: {
        input_tokens: FAKE.usage.prompt_tokens,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: FAKE.usage.completion_tokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: FAKE.usage.total_tokens,
      },
    }),
  );
}

/** A streamed Chat Completions turn that calls the tool (the arguments come in two pieces). */
function streamToolCall(r: { stream_options?: { include_usage?: boolean } }, res: import('node:http').ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (choices: object[], usage?: object) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-stream2', object: 'chat.completion.chunk', created: 1_700_000_000, model: FAKE.model, choices, ...(usage ? { usage } : {}) })}\n\n`;
  const { id, type, function: fn } = FAKE.toolCall;
  res.write(
    chunk([{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id, type, function: { name: fn.name, arguments: '' } }] }, finish_reason: null }]),
  );
  for (const piece of ['{"city":', '"Paris"}']) res.write(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]));
  if (r.stream_options?.include_usage) res.write(chunk([], FAKE.usage));
  res.end('data: [DONE]\n\n');
}

/**
 * `url` is the OpenAI-style base (`…/v1`), `origin` the bare server. `agentUrl` (`…/agent/v1`)
 * answers the same, except that a streamed request offering tools gets a streamed tool call.
 */
export async function fakeOpenAI(): Promise<{ url: string; origin: string; agentUrl: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = body ? JSON.parse(body) : {};
      if (req.url?.endsWith('/messages')) return anthropicReply(r, res);
      // Bedrock Runtime: Converse, and InvokeModel with an Anthropic model's own body.
      if (/^\/model\/[^/]+\/converse$/.test(req.url ?? '')) return converseReply(r, res);
      if (/^\/model\/[^/]+\/invoke$/.test(req.url ?? '')) return anthropicReply(r, res);
      const gemini = /:(generateContent|streamGenerateContent)(\?|$)/.exec(req.url ?? '');
      if (gemini) return geminiReply(r, gemini[1] === 'streamGenerateContent', res);
      if (req.url?.endsWith('/responses')) return responsesReply(r, res);
      if (req.url?.endsWith('/embeddings')) {
        const inputs = Array.isArray(r.input) ? r.input : [r.input];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            model: 'text-embedding-3-small',
            data: inputs.map((_: unknown, i: number) => ({ object: 'embedding', index: i, embedding: [0.1, 0.2, 0.3] })),
            usage: { prompt_tokens: 5, total_tokens: 5 },
          }),
        );
        return;
      }
      const withTools = Array.isArray(r.tools) && r.tools.length > 0 && !r.messages.some((m: { role: string }) => m.role === 'tool');
      const message = withTools ? { role: 'assistant', content: null, tool_calls: [FAKE.toolCall] } : { role: 'assistant', content: FAKE.reply };
      const finish = withTools ? 'tool_calls' : 'stop';
      // Under `/agent/` (agent frameworks stream every turn) a streamed reply calls the tool too.
      if (r.stream && withTools && req.url?.startsWith('/agent/')) return streamToolCall(r, res);
      if (r.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunk = (delta: object, finish_reason: string | null, usage?: object) =>
          `data: ${JSON.stringify({ id: 'chatcmpl-stream1', object: 'chat.completion.chunk', created: 1_700_000_000, model: FAKE.model, choices: usage ? [] : [{ index: 0, delta, finish_reason }], ...(usage ? { usage } : {}) })}\n\n`;
        res.write(chunk({ role: 'assistant', content: '' }, null));
        for (const piece of ['It is ', 'sunny ', 'in Paris.']) res.write(chunk({ content: piece }, null));
        res.write(chunk({}, 'stop'));
        if (r.stream_options?.include_usage) res.write(chunk({}, null, FAKE.usage));
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-abc',
          object: 'chat.completion',
          created: 1_700_000_000,
          model: FAKE.model,
          choices: [{ index: 0, message, finish_reason: finish }],
          usage: FAKE.usage,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    agentUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Get the weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

export const QUESTION = 'What is the weather in Paris?';
export const SYSTEM = 'You are a weather bot.';

/** Drives an OpenAI client through chat, streaming chat, tool calling and embeddings. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function runScenarios(client: any): Promise<void> {
  const messages = [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: QUESTION },
  ];
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.2, max_tokens: 50 });
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true }, temperature: 0.2, max_tokens: 50 });
  for await (const _ of stream) void _;
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools: [WEATHER_TOOL], temperature: 0.2, max_tokens: 50 });
  await client.embeddings.create({ model: 'text-embedding-3-small', input: ['sunny Paris'] });
}
