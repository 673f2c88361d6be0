// Real instrumented clients, driven against the fake LLM server on loopback: each returns the
// spans its instrumentation made, as the OTel SDK hands them to an exporter.
import { createRequire } from 'node:module';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeOtlpProto } from '../../src/wire/otlp-proto.js';
import type { SpanBatch } from '../../src/model/batch.js';
import type { JSONValue } from 'ai6';
import { fakeOpenAI, QUESTION, SYSTEM, WEATHER_TOOL } from './fake-openai.js';

const require = createRequire(import.meta.url);

export const IMAGE_URL = 'https://example.com/cat.png';
/** A 1×1 PNG, as clients send inline images. */
export const IMAGE_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

function memoryProvider(processor: (memory: InMemorySpanExporter) => SpanProcessor) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [processor(memory)] });
  return { memory, provider };
}

export function toBatch(spans: ReadableSpan[]): SpanBatch {
  return decodeOtlpProto(ProtobufTraceSerializer.serializeRequest(spans)!);
}

/**
 * Runs `fn` against a fresh fake LLM server and returns the spans, in the order they ended.
 * `processor` wraps the in-memory exporter (a framework's own span processor, say).
 */
export async function withServer(
  fn: (api: Awaited<ReturnType<typeof fakeOpenAI>>, provider: BasicTracerProvider) => Promise<void>,
  processor: (memory: InMemorySpanExporter) => SpanProcessor = (memory) => new SimpleSpanProcessor(memory),
): Promise<ReadableSpan[]> {
  const api = await fakeOpenAI();
  const { memory, provider } = memoryProvider(processor);
  try {
    await fn(api, provider);
  } finally {
    await api.close();
  }
  await provider.forceFlush();
  return memory.getFinishedSpans();
}

/**
 * The Vercel AI SDK (`ai` 5 or 6, with its matching @ai-sdk/openai): generateText with a system
 * prompt, streamText with an image, a tool loop (generate → tool → generate) and embed.
 */
export async function vercelSpans(major: 5 | 6): Promise<ReadableSpan[]> {
  // Typed as 6.x: the calls below are written the same for both majors.
  const ai = (major === 5 ? await import('ai5') : await import('ai6')) as unknown as typeof import('ai6');
  const { createOpenAI } = (major === 5 ? await import('ai-sdk-openai2') : await import('ai-sdk-openai3')) as unknown as typeof import('ai-sdk-openai3');
  const { z } = await import('zod');
  return withServer(async (api, provider) => {
    const openai = createOpenAI({ apiKey: 'sk-test', baseURL: api.url });
    const model = openai.chat('gpt-4o-mini');
    const telemetry = { isEnabled: true, tracer: provider.getTracer('ai'), functionId: 'weather' };
    await ai.generateText({ model, system: SYSTEM, prompt: QUESTION, temperature: 0.2, maxOutputTokens: 50, experimental_telemetry: telemetry });
    const s = ai.streamText({
      model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe this' },
            { type: 'image', image: new URL(IMAGE_URL) },
          ],
        },
      ],
      experimental_telemetry: telemetry,
    });
    for await (const _ of s.textStream) void _;
    const get_weather = ai.tool({
      description: WEATHER_TOOL.function.description,
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }: { city: string }) => ({ city, temperature: 21 }),
    });
    await ai.generateText({ model, prompt: QUESTION, tools: { get_weather }, stopWhen: ai.stepCountIs(3), experimental_telemetry: telemetry });
    await ai.embed({ model: openai.embedding('text-embedding-3-small'), value: 'sunny Paris', experimental_telemetry: telemetry });
  });
}

/** OpenInference's OpenAI instrumentation: an image (URL and inline), a stream, a tool call. */
export async function openInferenceSpans(): Promise<ReadableSpan[]> {
  const { OpenAIInstrumentation } = await import('@arizeai/openinference-instrumentation-openai');
  const OpenAIModule = require('openai');
  return withServer(async (api, provider) => {
    const instrumentation = new OpenAIInstrumentation({ tracerProvider: provider });
    instrumentation.manuallyInstrument(OpenAIModule);
    try {
      const client = new OpenAIModule.OpenAI({ apiKey: 'sk-test', baseURL: api.url });
      await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these pictures?' },
              { type: 'image_url', image_url: { url: IMAGE_URL } },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${IMAGE_BASE64}` } },
            ],
          },
        ],
      });
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: QUESTION }],
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const _ of stream) void _;
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: QUESTION }], tools: [WEATHER_TOOL] });
    } finally {
      instrumentation.disable();
    }
  });
}

/** LangChain.js through OpenInference: a chat model bound to a tool, the tool run, and the answer. */
export async function langchainSpans(): Promise<ReadableSpan[]> {
  const { LangChainInstrumentation } = await import('@arizeai/openinference-instrumentation-langchain');
  const CallbackManagerModule = await import('@langchain/core/callbacks/manager');
  const { ChatOpenAI } = await import('@langchain/openai');
  const { tool } = await import('@langchain/core/tools');
  const { HumanMessage, SystemMessage } = await import('@langchain/core/messages');
  const { z } = await import('zod');
  return withServer(async (api, provider) => {
    const instrumentation = new LangChainInstrumentation({ tracerProvider: provider });
    instrumentation.manuallyInstrument(CallbackManagerModule);
    try {
      const weather = tool(async ({ city }: { city: string }) => `It is sunny in ${city}.`, {
        name: 'get_weather',
        description: WEATHER_TOOL.function.description,
        schema: z.object({ city: z.string() }),
      });
      const llm = new ChatOpenAI({ model: 'gpt-4o-mini', temperature: 0.2, apiKey: 'sk-test', configuration: { baseURL: api.url } });
      const messages = [new SystemMessage(SYSTEM), new HumanMessage(QUESTION)];
      const first = await llm.bindTools([weather]).invoke(messages);
      const results = [];
      for (const call of first.tool_calls ?? []) results.push(await weather.invoke(call));
      await llm.invoke([...messages, first, ...results]);
    } finally {
      instrumentation.disable();
    }
  });
}

/** OpenLLMetry's Anthropic instrumentation: a tool-use turn, then the answer to the tool result. */
export async function anthropicSpans(): Promise<ReadableSpan[]> {
  const { AnthropicInstrumentation } = await import('@traceloop/instrumentation-anthropic');
  const AnthropicModule = require('@anthropic-ai/sdk');
  return withServer(async (api, provider) => {
    const instrumentation = new AnthropicInstrumentation();
    instrumentation.setTracerProvider(provider);
    instrumentation.manuallyInstrument(AnthropicModule);
    try {
      const client = new AnthropicModule.Anthropic({ apiKey: 'sk-ant-test', baseURL: api.origin });
      const tools = [{ name: 'get_weather', description: WEATHER_TOOL.function.description, input_schema: WEATHER_TOOL.function.parameters }];
      const question = { role: 'user', content: QUESTION };
      const first = await client.messages.create({ model: 'claude-sonnet-4', max_tokens: 100, system: SYSTEM, messages: [question], tools });
      const use = first.content.find((c: { type: string }) => c.type === 'tool_use');
      await client.messages.create({
        model: 'claude-sonnet-4',
        max_tokens: 100,
        system: SYSTEM,
        tools,
        messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny, 21°C' }] }],
      });
    } finally {
      instrumentation.disable();
    }
  });
}

/** Runs `fn` with an async-context manager, as an app with the OTel Node SDK has: spans get parents. */
async function withContext<T>(fn: () => Promise<T>): Promise<T> {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  try {
    return await fn();
  } finally {
    context.disable();
  }
}

/**
 * The Vercel AI SDK 6 with the Anthropic or Google provider: generateText with thinking (and, for
 * Anthropic, a cache breakpoint on the system prompt), an image, generateObject, streamObject and a
 * multi-step tool agent.
 */
export async function vercelProviderSpans(vendor: 'anthropic' | 'google'): Promise<ReadableSpan[]> {
  const ai = await import('ai6');
  const { createAnthropic } = await import('@ai-sdk/anthropic');
  const { createGoogleGenerativeAI } = await import('@ai-sdk/google');
  const { z } = await import('zod');
  return withContext(() =>
    withServer(async (api, provider) => {
      const model =
        vendor === 'anthropic'
          ? createAnthropic({ apiKey: 'sk-ant-test', baseURL: api.url })('claude-sonnet-4-20250514')
          : createGoogleGenerativeAI({ apiKey: 'google-test', baseURL: `${api.origin}/v1beta` })('gemini-2.5-flash');
      const telemetry = { isEnabled: true, tracer: provider.getTracer('ai'), functionId: `weather-${vendor}` };
      const thinking: Record<string, Record<string, JSONValue>> = vendor === 'anthropic'
        ? { anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } } }
        : { google: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } } };
      const cache: Record<string, Record<string, JSONValue>> | undefined = vendor === 'anthropic' ? { anthropic: { cacheControl: { type: 'ephemeral' } } } : undefined;
      await ai.generateText({
        model,
        messages: [
          { role: 'system', content: SYSTEM, providerOptions: cache },
          { role: 'user', content: QUESTION },
        ],
        maxOutputTokens: 2048,
        providerOptions: thinking,
        experimental_telemetry: telemetry,
      });
      const image = Buffer.from(IMAGE_BASE64, 'base64');
      await ai.generateText({
        model,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in this picture?' },
              ...(vendor === 'anthropic' ? [{ type: 'image' as const, image: new URL(IMAGE_URL) }] : []),
              { type: 'image', image, mediaType: 'image/png' },
            ],
          },
        ],
        experimental_telemetry: telemetry,
      });
      const schema = z.object({ city: z.string(), temperature: z.number(), conditions: z.string() });
      await ai.generateObject({ model, schema, schemaName: 'weather', prompt: QUESTION, experimental_telemetry: telemetry });
      const s = ai.streamObject({ model, schema, schemaName: 'weather', prompt: QUESTION, experimental_telemetry: telemetry });
      for await (const _ of s.partialObjectStream) void _;
      await s.object;
      const get_weather = ai.tool({
        description: WEATHER_TOOL.function.description,
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }: { city: string }) => ({ city, temperature: 21, conditions: 'sunny' }),
      });
      await ai.generateText({ model, system: SYSTEM, prompt: QUESTION, tools: { get_weather }, stopWhen: ai.stepCountIs(3), experimental_telemetry: telemetry });
    }),
  );
}

/**
 * OpenInference's Anthropic instrumentation: a system prompt with an image (inline and by URL),
 * a tool-use turn and the answer to its tool result, and a turn with extended thinking.
 */
export async function openInferenceAnthropicSpans(): Promise<ReadableSpan[]> {
  const { AnthropicInstrumentation } = await import('@arizeai/openinference-instrumentation-anthropic');
  const AnthropicModule = require('@anthropic-ai/sdk');
  return withServer(async (api, provider) => {
    const instrumentation = new AnthropicInstrumentation({ tracerProvider: provider });
    instrumentation.manuallyInstrument(AnthropicModule);
    try {
      const client = new AnthropicModule.Anthropic({ apiKey: 'sk-ant-test', baseURL: api.origin });
      const model = 'claude-sonnet-4-20250514';
      await client.messages.create({
        model,
        max_tokens: 100,
        system: SYSTEM,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these pictures?' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: IMAGE_BASE64 } },
              { type: 'image', source: { type: 'url', url: IMAGE_URL } },
            ],
          },
        ],
      });
      const tools = [{ name: 'get_weather', description: WEATHER_TOOL.function.description, input_schema: WEATHER_TOOL.function.parameters }];
      const question = { role: 'user', content: QUESTION };
      const first = await client.messages.create({ model, max_tokens: 100, system: SYSTEM, messages: [question], tools });
      const use = first.content.find((c: { type: string }) => c.type === 'tool_use');
      await client.messages.create({
        model,
        max_tokens: 100,
        system: SYSTEM,
        tools,
        messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny, 21°C' }] }],
      });
      await client.messages.create({ model, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [question] });
    } finally {
      instrumentation.disable();
    }
  });
}

/**
 * OpenInference's Bedrock instrumentation with the AWS SDK pointed at the fake server (fake
 * credentials): Converse with a system prompt and an image, a Converse tool loop, and InvokeModel
 * with an Anthropic model's body.
 */
export async function openInferenceBedrockSpans(): Promise<ReadableSpan[]> {
  const { BedrockInstrumentation } = await import('@arizeai/openinference-instrumentation-bedrock');
  const BedrockModule = require('@aws-sdk/client-bedrock-runtime');
  // The client speaks HTTP/2 by default; the fake server is HTTP/1.1.
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  return withServer(async (api, provider) => {
    const instrumentation = new BedrockInstrumentation({ tracerProvider: provider });
    instrumentation.manuallyInstrument(BedrockModule);
    try {
      const { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand } = BedrockModule;
      const client = new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: api.origin,
        credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
        requestHandler: new NodeHttpHandler(),
        maxAttempts: 1,
      });
      const modelId = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
      await client.send(
        new ConverseCommand({
          modelId,
          system: [{ text: SYSTEM }],
          messages: [{ role: 'user', content: [{ text: 'What is in this picture?' }, { image: { format: 'png', source: { bytes: Buffer.from(IMAGE_BASE64, 'base64') } } }] }],
          inferenceConfig: { maxTokens: 100, temperature: 0.2 },
        }),
      );
      const toolConfig = {
        tools: [{ toolSpec: { name: 'get_weather', description: WEATHER_TOOL.function.description, inputSchema: { json: WEATHER_TOOL.function.parameters } } }],
      };
      const question = { role: 'user', content: [{ text: QUESTION }] };
      const first = await client.send(new ConverseCommand({ modelId, system: [{ text: SYSTEM }], messages: [question], toolConfig }));
      const assistant = first.output.message;
      const use = assistant.content.find((c: { toolUse?: { toolUseId: string } }) => c.toolUse).toolUse;
      await client.send(
        new ConverseCommand({
          modelId,
          system: [{ text: SYSTEM }],
          toolConfig,
          messages: [
            question,
            assistant,
            { role: 'user', content: [{ toolResult: { toolUseId: use.toolUseId, content: [{ json: { city: 'Paris', temperature: 21 } }], status: 'success' } }] },
          ],
        }),
      );
      const body = { anthropic_version: 'bedrock-2023-05-31', max_tokens: 100, system: SYSTEM, messages: [{ role: 'user', content: QUESTION }] };
      await client.send(new InvokeModelCommand({ modelId, contentType: 'application/json', accept: 'application/json', body: JSON.stringify(body) }));
    } finally {
      instrumentation.disable();
    }
  });
}

/**
 * OpenLLMetry's MCP instrumentation: an MCP client and server in one process over the SDK's
 * in-memory transport; the client lists the tools and calls get_weather.
 */
export async function mcpSpans(): Promise<ReadableSpan[]> {
  const { McpInstrumentation } = await import('@traceloop/instrumentation-mcp');
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { Server } = await import('@modelcontextprotocol/sdk/server/index.js');
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
  const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
  const { z } = await import('zod');
  return withContext(() =>
    withServer(async (_api, provider) => {
      const instrumentation = new McpInstrumentation();
      instrumentation.setTracerProvider(provider);
      instrumentation.manuallyInstrument({ Client, Server });
      try {
        const server = new McpServer({ name: 'weather-server', version: '1.0.0' });
        server.registerTool('get_weather', { description: WEATHER_TOOL.function.description, inputSchema: { city: z.string() } }, async ({ city }) => ({
          content: [{ type: 'text', text: JSON.stringify({ city, temperature: 21, conditions: 'sunny' }) }],
        }));
        const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
        await server.connect(serverSide);
        const client = new Client({ name: 'weather-client', version: '1.0.0' });
        await client.connect(clientSide);
        await client.listTools();
        await client.callTool({ name: 'get_weather', arguments: { city: 'Paris' } });
        await client.close();
        await server.close();
      } finally {
        instrumentation.disable();
      }
    }),
  );
}

/** OpenLLMetry's Bedrock instrumentation: InvokeModel with an Anthropic body (system, tool loop), and Converse. */
export async function traceloopBedrockSpans(): Promise<ReadableSpan[]> {
  const { BedrockInstrumentation } = await import('@traceloop/instrumentation-bedrock');
  const BedrockModule = require('@aws-sdk/client-bedrock-runtime');
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  return withServer(async (api, provider) => {
    const instrumentation = new BedrockInstrumentation();
    instrumentation.setTracerProvider(provider);
    instrumentation.manuallyInstrument(BedrockModule);
    try {
      const { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand } = BedrockModule;
      const client = new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: api.origin,
        credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
        requestHandler: new NodeHttpHandler(),
        maxAttempts: 1,
      });
      const modelId = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
      const invoke = async (body: object) => {
        const out = await client.send(
          new InvokeModelCommand({
            modelId,
            contentType: 'application/json',
            accept: 'application/json',
            body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 100, temperature: 0.2, ...body }),
          }),
        );
        return JSON.parse(new TextDecoder().decode(out.body));
      };
      const tools = [{ name: 'get_weather', description: WEATHER_TOOL.function.description, input_schema: WEATHER_TOOL.function.parameters }];
      const question = { role: 'user', content: QUESTION };
      const first = await invoke({ system: SYSTEM, messages: [question], tools });
      const use = first.content.find((c: { type: string }) => c.type === 'tool_use');
      await invoke({
        system: SYSTEM,
        tools,
        messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny, 21°C' }] }],
      });
      await client.send(
        new ConverseCommand({ modelId, system: [{ text: SYSTEM }], messages: [{ role: 'user', content: [{ text: QUESTION }] }], inferenceConfig: { maxTokens: 100 } }),
      );
    } finally {
      instrumentation.disable();
    }
  });
}

/** OpenLLMetry's LangChain instrumentation: a chat model bound to a tool, the tool run, and the answer. */
export async function traceloopLangchainSpans(): Promise<ReadableSpan[]> {
  const { LangChainInstrumentation } = await import('@traceloop/instrumentation-langchain');
  const CallbackManagerModule = await import('@langchain/core/callbacks/manager');
  const { ChatOpenAI } = await import('@langchain/openai');
  const { tool } = await import('@langchain/core/tools');
  const { HumanMessage, SystemMessage } = await import('@langchain/core/messages');
  const { z } = await import('zod');
  return withContext(() =>
    withServer(async (api, provider) => {
      const instrumentation = new LangChainInstrumentation();
      instrumentation.setTracerProvider(provider);
      instrumentation.manuallyInstrument({ callbackManagerModule: CallbackManagerModule });
      try {
        const weather = tool(async ({ city }: { city: string }) => `It is sunny in ${city}.`, {
          name: 'get_weather',
          description: WEATHER_TOOL.function.description,
          schema: z.object({ city: z.string() }),
        });
        const llm = new ChatOpenAI({ model: 'gpt-4o-mini', temperature: 0.2, apiKey: 'sk-test', configuration: { baseURL: api.url } });
        const messages = [new SystemMessage(SYSTEM), new HumanMessage(QUESTION)];
        const first = await llm.bindTools([weather]).invoke(messages);
        const results = [];
        for (const call of first.tool_calls ?? []) results.push(await weather.invoke(call));
        await llm.invoke([...messages, first, ...results]);
      } finally {
        instrumentation.disable();
      }
    }),
  );
}

/**
 * OpenLLMetry's Vertex AI instrumentation with `@google-cloud/vertexai` pointed at the fake
 * server's Gemini endpoints: generateContent with a system instruction, a streamed turn with an
 * inline image and a file URI, and a function-call turn followed by the functionResponse turn.
 * The SDK always builds `https://<apiEndpoint>/…` and takes a Google access token: the token comes
 * from a stub auth client, and for the capture fetch is swapped for one that sends the SDK's
 * loopback requests over plain HTTP and refuses anything else (nothing leaves the machine).
 */
export async function traceloopVertexSpans(): Promise<ReadableSpan[]> {
  const { VertexAIInstrumentation } = await import('@traceloop/instrumentation-vertexai');
  const VertexModule = require('@google-cloud/vertexai');
  return withServer(async (api, provider) => {
    const instrumentation = new VertexAIInstrumentation();
    instrumentation.setTracerProvider(provider);
    instrumentation.manuallyInstrument(VertexModule);
    const host = new URL(api.origin).host;
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.host !== host) return Promise.reject(new Error(`capture: refused ${url.origin}`));
      url.protocol = 'http:';
      return realFetch(url, init);
    };
    try {
      const authClient = { getAccessToken: async () => ({ token: 'ya29.fake-token' }), getRequestHeaders: async () => ({}) };
      const vertex = new VertexModule.VertexAI({ project: 'capture-project', location: 'us-central1', apiEndpoint: host, googleAuthOptions: { authClient } });
      const model = vertex.getGenerativeModel({ model: 'gemini-2.5-flash', systemInstruction: SYSTEM, generationConfig: { temperature: 0.2, maxOutputTokens: 50 } });
      const question = { role: 'user', parts: [{ text: QUESTION }] };
      await model.generateContent({ contents: [question] });
      const stream = await model.generateContentStream({
        contents: [
          {
            role: 'user',
            parts: [
              { text: 'What is in these pictures?' },
              { inlineData: { mimeType: 'image/png', data: IMAGE_BASE64 } },
              { fileData: { mimeType: 'image/png', fileUri: IMAGE_URL } },
            ],
          },
        ],
      });
      for await (const _ of stream.stream) void _;
      await stream.response;
      const tools = [
        {
          functionDeclarations: [
            { name: 'get_weather', description: WEATHER_TOOL.function.description, parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } },
          ],
        },
      ];
      const withTools = vertex.getGenerativeModel({ model: 'gemini-2.5-flash', systemInstruction: SYSTEM, tools });
      const first = await withTools.generateContent({ contents: [question] });
      const call = first.response.candidates[0].content.parts.find((p: { functionCall?: unknown }) => p.functionCall).functionCall;
      await withTools.generateContent({
        contents: [
          question,
          { role: 'model', parts: [{ functionCall: call }] },
          { role: 'user', parts: [{ functionResponse: { name: call.name, response: { city: 'Paris', temperature: 21, conditions: 'sunny' } } }] },
        ],
      });
    } finally {
      globalThis.fetch = realFetch;
      instrumentation.disable();
    }
  });
}
