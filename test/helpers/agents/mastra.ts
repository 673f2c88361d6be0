// Mastra (`@mastra/core` 0.24, the last line on Node 20) with its OpenTelemetry exporter
// (`@mastra/otel-exporter`), an agent with one tool on an AI SDK OpenAI model at the fake server.
import { Agent } from '@mastra/core/agent';
import { Mastra } from '@mastra/core/mastra';
import { createTool } from '@mastra/core/tools';
import { OtelExporter } from '@mastra/otel-exporter';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createOpenAI } from 'ai-sdk-openai2';
// Mastra 0.24 turns zod 3 schemas into JSON Schema (a zod 4 one arrives empty), as its users wrote them.
import { z } from 'zod/v3';
import { fakeOpenAI, QUESTION, SYSTEM, WEATHER_TOOL } from '../fake-openai.js';

/** Keeps what it is handed (an in-memory exporter forgets its spans on shutdown). */
class Collect implements SpanExporter {
  spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (r: { code: number }) => void): void {
    this.spans.push(...spans);
    done({ code: 0 }); // ExportResultCode.SUCCESS
  }
  async shutdown(): Promise<void> {}
}

/** One agent.generate: the model calls get_weather, the tool runs, the model answers. */
export async function mastraSpans(): Promise<ReadableSpan[]> {
  process.env.MASTRA_TELEMETRY_DISABLED = '1';
  const api = await fakeOpenAI();
  const collect = new Collect();
  try {
    const getWeather = createTool({
      id: 'get_weather',
      description: WEATHER_TOOL.function.description,
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ context }) => ({ city: context.city, temperature: 21, conditions: 'sunny' }),
    });
    const openai = createOpenAI({ apiKey: 'sk-test', baseURL: api.agentUrl });
    const agent = new Agent({ name: 'weather-agent', instructions: SYSTEM, model: openai.chat('gpt-4o-mini'), tools: { get_weather: getWeather } });
    const exporter = new OtelExporter({ provider: { custom: { endpoint: 'http://127.0.0.1:9/v1/traces', protocol: 'http/json' } }, exporter: collect });
    const mastra = new Mastra({
      agents: { weatherAgent: agent },
      telemetry: { enabled: false },
      observability: { configs: { otel: { serviceName: 'weather-service', exporters: [exporter] } } },
    });
    await mastra.getAgent('weatherAgent').generate(QUESTION, { modelSettings: { temperature: 0.2, maxOutputTokens: 50 } });
    await mastra.shutdown();
  } finally {
    await api.close();
  }
  return collect.spans;
}
