// Agent frameworks and tracing SDKs that bring their own keys, driven against the fake LLM server
// on loopback: each returns the spans the framework made, as the OTel SDK hands them to an exporter.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { withServer } from './clients.js';
import { QUESTION, SYSTEM, WEATHER_TOOL } from './fake-openai.js';

/**
 * Langfuse's own SDK (`@langfuse/tracing` through `@langfuse/otel`'s LangfuseSpanProcessor, which
 * exports here to memory): an agent observation holding two generations (real OpenAI calls: a tool
 * call, then the answer) with a tool observation between them, and trace-level user and session.
 */
export async function langfuseSpans(): Promise<ReadableSpan[]> {
  const { LangfuseSpanProcessor } = await import('@langfuse/otel');
  const { setLangfuseTracerProvider, startObservation } = await import('@langfuse/tracing');
  const { OpenAI } = await import('openai');
  return withServer(
    async (api, provider) => {
      setLangfuseTracerProvider(provider);
      try {
        const client = new OpenAI({ apiKey: 'sk-test', baseURL: api.url });
        const agent = startObservation('weather-agent', { input: { question: QUESTION }, metadata: { framework: 'custom' } }, { asType: 'agent' });
        agent.updateTrace({
          name: 'weather-request',
          userId: 'user-42',
          sessionId: 'session-7',
          tags: ['weather', 'capture'],
          input: { question: QUESTION },
          metadata: { plan: 'free' },
        });
        const messages: Array<Record<string, unknown>> = [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: QUESTION },
        ];
        const params = { temperature: 0.2, max_tokens: 50 };
        const first = agent.startObservation('chat gpt-4o-mini', { model: 'gpt-4o-mini', modelParameters: params, input: messages }, { asType: 'generation' });
        const r1 = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: messages as never, tools: [WEATHER_TOOL], ...params });
        first.update({
          model: r1.model,
          output: r1.choices[0]!.message,
          usageDetails: { input: r1.usage!.prompt_tokens, output: r1.usage!.completion_tokens, total: r1.usage!.total_tokens },
          costDetails: { input: 0.0000165, output: 0.000042, total: 0.0000585 },
          metadata: { finish_reason: r1.choices[0]!.finish_reason },
        });
        first.end();
        const call = r1.choices[0]!.message.tool_calls![0]! as { id: string; function: { name: string; arguments: string } };
        const tool = agent.startObservation(call.function.name, { input: JSON.parse(call.function.arguments), metadata: { tool_call_id: call.id } }, { asType: 'tool' });
        const result = { city: 'Paris', temperature: 21, conditions: 'sunny' };
        tool.update({ output: result });
        tool.end();
        messages.push(r1.choices[0]!.message as never, { role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
        const second = agent.startObservation('chat gpt-4o-mini', { model: 'gpt-4o-mini', modelParameters: params, input: messages }, { asType: 'generation' });
        const r2 = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: messages as never, ...params });
        second.update({
          model: r2.model,
          output: r2.choices[0]!.message,
          usageDetails: { input: r2.usage!.prompt_tokens, output: r2.usage!.completion_tokens, total: r2.usage!.total_tokens },
        });
        second.end();
        const answer = r2.choices[0]!.message.content;
        agent.update({ output: { answer } });
        agent.updateTrace({ output: { answer } });
        agent.end();
      } finally {
        setLangfuseTracerProvider(null);
      }
    },
    (memory) =>
      new LangfuseSpanProcessor({
        exporter: memory,
        exportMode: 'immediate',
        publicKey: 'pk-lf-test',
        secretKey: 'sk-lf-test',
        baseUrl: 'http://127.0.0.1:9',
        environment: 'capture',
      }),
  );
}
