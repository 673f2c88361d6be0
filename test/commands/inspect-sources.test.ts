// `inspect` says which key each field came from, and for a span that shows no prompt or
// completion lists the keys it had (names only), so "why is my trace empty" has an answer.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { inspectSpans } from '../../src/commands/inspect.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';

const reports = (path: string) => {
  const batch = decodeOtlpJson(readFileSync(new URL(`../../${path}`, import.meta.url)));
  return inspectSpans(batch.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, scope: ss.scope.name })))));
};

t.test('each field names its source; merged sources are all named', async (t) => {
  const oi = reports('examples/traces/openinference-anthropic.json')[0];
  t.equal(oi.from.input, 'llm.input_messages.* + input.value', "the system prompt and images from input.value join OpenInference's messages");
  t.match(oi.from.model, /llm\.model_name/);
  t.match(oi.from.tokens, /llm\.token_count\.prompt/);
  const adk = reports('test/fixtures/frameworks/google-adk.json').find((r) => r.name === 'call_llm')!;
  t.same([adk.from.input, adk.from.output], ['gcp.vertex.agent.llm_request', 'gcp.vertex.agent.llm_response']);
  t.notOk(adk.keys, 'a span that shows its content lists no keys');
  const strands = reports('examples/traces/strands.json').find((r) => r.name === 'chat')!;
  t.equal(strands.from.input, 'events.gen_ai.*.message');
  t.equal(strands.from.output, 'events.gen_ai.choice');
});

t.test('a span with no prompt or completion lists its keys, never their values', async (t) => {
  const agent = reports('test/fixtures/frameworks/google-adk.json').find((r) => r.name === 'invoke_agent weather_agent')!;
  t.same(agent.keys, ['gen_ai.operation.name', 'gen_ai.agent.description', 'gen_ai.agent.name', 'gen_ai.conversation.id']);
  t.notMatch(JSON.stringify(agent.keys), /Answers weather questions/, 'no value among them');
});

t.test('inspect --redact shows what each backend would see with the patterns redacted', async (t) => {
  const { inspect } = await import('../../src/commands/inspect.js');
  const file = new URL('../fixtures/frameworks/mlflow.json', import.meta.url).pathname;
  let text = '';
  await inspect({ inputs: [file], redact: { patterns: ['Paris'] } }, (s) => (text += s));
  t.notMatch(text, /Paris/, 'the pattern nowhere in either view');
  t.match(text, /\[REDACTED:custom\]/);
  await t.rejects(
    inspect({ inputs: [file], redact: { patterns: ['(x'] } }, () => undefined),
    { name: 'UsageError', message: /^--redact: "\(x" is neither/ },
  );
});
