// LlamaIndex.TS (`llamaindex` 0.12 with `@llamaindex/openai`; @llamaindex/core needs zod 4, so this
// lives in the agents workspace) through OpenLLMetry's LlamaIndex instrumentation, its OpenAI LLM
// pointed at the fake server and a local fake embedding model (no embedding requests at all).
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { LlamaIndexInstrumentation } from '@traceloop/instrumentation-llamaindex';
import * as LlamaIndexModule from 'llamaindex';
import * as LlamaIndexOpenAIModule from '@llamaindex/openai';
import { z } from 'zod';
import { withServer } from '../clients.js';
import { QUESTION, SYSTEM, WEATHER_TOOL } from '../fake-openai.js';

/** A deterministic embedding: "Paris" texts point one way, everything else another. */
class FakeEmbedding extends LlamaIndexModule.BaseEmbedding {
  constructor() {
    super();
  }
  async getTextEmbedding(text: string): Promise<number[]> {
    return /paris/i.test(text) ? [0.9, 0.1, 0.1] : [0.1, 0.9, 0.1];
  }
}

/**
 * A chat with a system prompt, a chat offering a tool (the fake answers with a tool call), a
 * streamed chat, and a query engine over two in-memory documents (retrieve → synthesize → chat).
 */
export async function llamaIndexSpans(): Promise<ReadableSpan[]> {
  const { Document, Settings, VectorStoreIndex, tool } = LlamaIndexModule;
  const { OpenAI } = LlamaIndexOpenAIModule;
  return withServer(async (api, provider) => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const instrumentation = new LlamaIndexInstrumentation();
    instrumentation.setTracerProvider(provider);
    // Its types name the CommonJS build; the ESM namespace has the same classes.
    instrumentation.manuallyInstrument(LlamaIndexModule as never, LlamaIndexOpenAIModule as never);
    try {
      const llm = new OpenAI({ model: 'gpt-4o-mini', temperature: 0.2, apiKey: 'sk-test', baseURL: api.url, maxRetries: 0 });
      const messages = [
        { role: 'system' as const, content: SYSTEM },
        { role: 'user' as const, content: QUESTION },
      ];
      await llm.chat({ messages });
      const getWeather = tool({
        name: 'get_weather',
        description: WEATHER_TOOL.function.description,
        parameters: z.object({ city: z.string() }),
        execute: ({ city }) => JSON.stringify({ city, temperature: 21, conditions: 'sunny' }),
      });
      await llm.chat({ messages, tools: [getWeather] });
      const stream = await llm.chat({ messages, stream: true });
      for await (const _ of stream) void _;
      Settings.llm = llm;
      Settings.embedModel = new FakeEmbedding();
      const index = await VectorStoreIndex.fromDocuments([
        new Document({ text: 'Paris weather today: sunny, 21 degrees C.', id_: 'doc-paris' }),
        new Document({ text: 'Berlin weather today: rain, 12 degrees C.', id_: 'doc-berlin' }),
      ]);
      await index.asQueryEngine({ similarityTopK: 1 }).query({ query: QUESTION });
    } finally {
      instrumentation.disable();
      context.disable();
    }
  });
}
