// Strands Agents (`@strands-agents/sdk`, which needs zod 4: this folder is its own npm workspace)
// with its OpenAI model on Chat Completions, pointed at the fake server's streaming agent mode.
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Agent, tool } from '@strands-agents/sdk';
import { OpenAIModel } from '@strands-agents/sdk/models/openai';
import { z } from 'zod';
import { withServer } from '../clients.js';
import { QUESTION, SYSTEM, WEATHER_TOOL } from '../fake-openai.js';

/**
 * One agent with one tool, invoked once: the model asks for get_weather, the tool runs, the model
 * answers. `latest` turns on OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental (read when
 * the agent is made), else Strands' stable form (messages as span events).
 */
export async function strandsSpans(latest: boolean): Promise<ReadableSpan[]> {
  const before = process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
  if (latest) process.env.OTEL_SEMCONV_STABILITY_OPT_IN = 'gen_ai_latest_experimental';
  else delete process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
  try {
    return await withServer(async (api, provider) => {
      trace.setGlobalTracerProvider(provider);
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      try {
        const getWeather = tool({
          name: 'get_weather',
          description: WEATHER_TOOL.function.description,
          inputSchema: z.object({ city: z.string() }),
          callback: ({ city }) => ({ city, temperature: 21, conditions: 'sunny' }),
        });
        const model = new OpenAIModel({
          api: 'chat',
          modelId: 'gpt-4o-mini',
          apiKey: 'sk-test',
          clientConfig: { baseURL: api.agentUrl },
          params: { temperature: 0.2, max_tokens: 50 },
        });
        const agent = new Agent({ name: 'weather_agent', model, tools: [getWeather], systemPrompt: SYSTEM, printer: false, traceAttributes: { 'session.id': 'session-7' } });
        await agent.invoke(QUESTION);
      } finally {
        trace.disable();
        context.disable();
      }
    });
  } finally {
    if (before === undefined) delete process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
    else process.env.OTEL_SEMCONV_STABILITY_OPT_IN = before;
  }
}
