// The OpenAI Agents SDK (`@openai/agents` 0.14, the last line on the openai 6 client that runs on
// Node 20) through OpenInference's processor, on the Responses API of the fake server.
import { OpenAIAgentsInstrumentation } from '@arizeai/openinference-instrumentation-openai-agents';
import * as agents from '@openai/agents';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { withServer } from '../clients.js';
import { QUESTION, SYSTEM, WEATHER_TOOL } from '../fake-openai.js';

/**
 * A triage agent hands off to a weather agent, which calls get_weather and answers. The
 * OpenInference processor replaces the SDK's own (no trace goes to OpenAI's exporter).
 */
export async function openAIAgentsSpans(): Promise<ReadableSpan[]> {
  return withServer(async (api, provider) => {
    const instrumentation = new OpenAIAgentsInstrumentation({ tracerProvider: provider });
    instrumentation.manuallyInstrument(agents);
    try {
      const getWeather = agents.tool({
        name: 'get_weather',
        description: WEATHER_TOOL.function.description,
        parameters: z.object({ city: z.string() }),
        execute: async ({ city }) => JSON.stringify({ city, temperature: 21, conditions: 'sunny' }),
      });
      const weather = new agents.Agent({
        name: 'Weather agent',
        instructions: SYSTEM,
        handoffDescription: 'Answers weather questions',
        model: 'gpt-4o-mini',
        modelSettings: { temperature: 0.2, maxTokens: 50 },
        tools: [getWeather],
      });
      const triage = agents.Agent.create({ name: 'Triage agent', instructions: 'Hand weather questions to the weather agent.', model: 'gpt-4o-mini', handoffs: [weather] });
      const runner = new agents.Runner({
        modelProvider: new agents.OpenAIProvider({ apiKey: 'sk-test', baseURL: api.url, useResponses: true }),
        workflowName: 'weather workflow',
        groupId: 'session-7',
      });
      await runner.run(triage, QUESTION);
      await agents.getGlobalTraceProvider().forceFlush();
    } finally {
      instrumentation.disable();
    }
  });
}
