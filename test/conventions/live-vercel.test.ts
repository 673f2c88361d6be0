// The Vercel AI SDK (ai 5 and 6), live against the fake OpenAI server: every span type reads the
// same in Weave and Langtrace — prompts, images, tool calls and results, tokens, types, parents.
import t from 'tap';
import { vercelSpans, toBatch, IMAGE_URL } from '../helpers/clients.js';
import { checkBothBackends, fromRecord, seenByLangtrace, seenByWeave, spansOf } from '../helpers/live.js';
import { FAKE, QUESTION, SYSTEM } from '../helpers/fake-openai.js';
import { readSpan } from '../../src/conventions/read/index.js';
import { loadMappings } from '../../src/conventions/mappings.js';

const mappings = loadMappings();

for (const major of [5, 6] as const) {
  t.test(`ai ${major}.x`, async (t) => {
    const batch = toBatch(await vercelSpans(major));
    const spans = spansOf(batch);
    const names = spans.map((s) => s.name);
    t.same(names, [
      'ai.generateText.doGenerate',
      'ai.generateText',
      'ai.streamText.doStream',
      'ai.streamText',
      'ai.generateText.doGenerate',
      'ai.toolCall',
      'ai.generateText.doGenerate',
      'ai.generateText',
      'ai.embed.doEmbed',
      'ai.embed',
    ]);
    const read = spans.map((s) => readSpan(s, 'ai', mappings));
    t.ok(
      read.every((r) => r.convention === 'vercel-ai'),
      'every span read as the AI SDK',
    );
    const [step, outer, streamStep, streamOuter, toolStep, toolRun, answerStep, toolOuter] = read.map((r) => r.ctx.call);

    // Ground truth, from what the client sent and the fake server answered.
    t.same(fromRecord(step), {
      kind: 'llm',
      model: FAKE.model,
      input: [SYSTEM, QUESTION],
      output: [FAKE.reply],
      images: [],
      toolCalls: [],
      usage: { input: 11, output: 7, total: 18 },
      temperature: 0.2,
      maxTokens: 50,
    });
    t.equal(step.provider, 'openai', 'provider: the part of ai.model.provider before the dot');
    t.equal(step.requestModel, 'gpt-4o-mini');
    t.same(fromRecord(outer).input, [SYSTEM, QUESTION], 'the outer span: ai.prompt {system, prompt}');
    t.same(fromRecord(outer).usage, { input: 11, output: 7, total: 18 }, 'and its tokens');
    t.equal(outer.role, 'chain', 'the outer span holds every step: a chain, not another LLM call');
    t.same(
      streamStep.input?.[0].parts,
      [
        { type: 'text', text: 'Describe this' },
        { type: 'image', uri: IMAGE_URL },
      ],
      'an image part in a step',
    );
    t.same(
      streamOuter.input?.[0].parts,
      [
        { type: 'text', text: 'Describe this' },
        { type: 'image', uri: IMAGE_URL },
      ],
      'and in the outer prompt',
    );
    t.same(fromRecord(toolStep).toolCalls, ['get_weather {"city":"Paris"}'], 'the step that asks for the tool');
    t.equal(toolStep.output?.[0].finishReason, 'tool_calls', "finish reason in OpenAI's spelling");
    t.equal(toolStep.tools?.[0].name, 'get_weather', 'tool definitions');
    t.same(
      [toolRun.role, toolRun.tool?.name, toolRun.tool?.id, toolRun.tool?.arguments, toolRun.tool?.result],
      ['tool', 'get_weather', 'call_abc123', '{"city":"Paris"}', '{"city":"Paris","temperature":21}'],
      'the tool run',
    );
    t.same(
      answerStep.input?.map((m) => [m.role, m.content, m.toolCallId ?? m.toolCalls?.[0].name]),
      [
        ['user', QUESTION, undefined],
        ['assistant', undefined, 'get_weather'],
        ['tool', '{"city":"Paris","temperature":21}', 'call_abc123'],
      ],
      'the answering step: the call and its result in the history',
    );
    t.same(toolOuter.usage.input !== undefined, true, 'the outer tool loop carries the summed usage');
    t.same(read[8].ctx.call.embeddings?.texts, ['sunny Paris'], 'embedded text');

    const { weave, langtrace } = checkBothBackends(t, batch, (s) => `ai ${major} ${s.name}`);
    const w = spansOf(weave);
    t.equal(seenByWeave(w[1]).input.length, 2, 'Weave: the outer span shows the messages, not the raw ai.prompt');
    t.notOk(w[2].attributes.has('ai.response.text'), 'Weave: nothing left under ai.response to hide the completion');
    t.same(seenByWeave(w[5]).input, ['{"city":"Paris"}'], 'Weave: the tool run shows its arguments');
    t.same(seenByWeave(w[5]).output, ['{"city":"Paris","temperature":21}'], 'and its result');
    t.same(seenByLangtrace(langtrace[0]).input, [SYSTEM, QUESTION], 'Langtrace: the step has its prompt');
    t.same(seenByLangtrace(langtrace[2]).images, [IMAGE_URL], 'Langtrace: the image is in the prompt');
    t.equal(seenByLangtrace(langtrace[1]).kind, 'framework', 'Langtrace: the outer span is not counted as another LLM call');
    t.same(seenByLangtrace(langtrace[4]).toolCalls, ['get_weather {"city":"Paris"}'], 'Langtrace: the tool call is in the completion');
    t.equal((langtrace[0].attributes as Record<string, unknown>)['llm.path'], '/v1/chat/completions', 'Langtrace: llm.path derived from provider and operation');
  });
}
