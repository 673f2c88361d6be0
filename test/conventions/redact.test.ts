// Redaction: listed attributes dropped or hashed, patterns replaced inside message texts, tool
// arguments and results (which travel as JSON text and stay valid JSON), the input untouched.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { compileRules } from '../../src/conventions/redact.js';
import { translateBatch } from '../../src/conventions/translate.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { emptySpan, type SpanBatch } from '../../src/model/batch.js';
import { weaveView } from '../../src/inspect/views.js';
import { toPlain } from '../../src/model/values.js';

const str = (value: string) => ({ type: 'string' as const, value });
const batchOf = (attrs: Record<string, string>): SpanBatch => ({
  resourceSpans: [
    {
      resource: { attributes: new Map([['user.email', str('ann@example.com')]]), droppedAttributesCount: 0 },
      schemaUrl: '',
      scopeSpans: [
        {
          scope: { name: '', version: '', attributes: new Map(), droppedAttributesCount: 0 },
          schemaUrl: '',
          spans: [{ ...emptySpan(), attributes: new Map(Object.entries(attrs).map(([k, v]) => [k, str(v)])) }],
        },
      ],
    },
  ],
});
const attrsOf = (b: SpanBatch) => Object.fromEntries([...b.resourceSpans[0].scopeSpans[0].spans[0].attributes].map(([k, v]) => [k, toPlain(v)]));

t.test('an email inside a prompt and a tool argument, written for Weave, is redacted; the JSON stays whole', async (t) => {
  const source = batchOf({
    'openinference.span.kind': 'LLM',
    'llm.model_name': 'gpt-4o-mini',
    'llm.input_messages.0.message.role': 'user',
    'llm.input_messages.0.message.content': 'Mail the forecast to "Ann" <ann@example.com>, card 4111 1111 1111 1111, key sk-proj-abcdefghijklmnop1234',
    'llm.output_messages.0.message.role': 'assistant',
    'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'send_mail',
    'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': '{"to":"ann@example.com","phone":"+1 415 555 0134"}',
    'user.id': 'ann-42',
  });
  const before = JSON.stringify([...source.resourceSpans[0].scopeSpans[0].spans[0].attributes]);
  const counts = new Map<string, number>();
  const r = compileRules({ drop: ['user.email'], hash: ['user.id'], patterns: ['email', 'card', 'phone', 'api-key'] });
  const out = r.batch(translateBatch(source, 'weave'), counts);
  const view = weaveView(attrsOf(out));
  const text = JSON.stringify(view.input) + JSON.stringify(view.output);
  t.notMatch(text, /ann@example\.com|4111|sk-proj|555 0134/, 'nothing of it left in what Weave shows');
  t.match(text, /\[REDACTED:email\]/);
  t.match(text, /\[REDACTED:card\]/);
  t.match(text, /\[REDACTED:api-key\]/);
  t.match(text, /\[REDACTED:phone\]/);
  t.ok(Array.isArray(view.input) && Array.isArray(view.output), 'the messages still parse as JSON');
  t.match(attrsOf(out)['user.id'], /^sha256:[0-9a-f]{16}$/, 'a hashed key');
  t.equal(out.resourceSpans[0].resource.attributes.has('user.email'), false, 'a dropped key, on the resource too');
  t.same(Object.fromEntries(counts), { email: 2, card: 1, 'api-key': 1, phone: 1, hash: 1, drop: 1 });
  t.equal(JSON.stringify([...source.resourceSpans[0].scopeSpans[0].spans[0].attributes]), before, 'the input batch is not modified');
});

t.test('numbers that are not cards, and a span with no rule, pass as they came', async (t) => {
  const r = compileRules({ patterns: ['card'] });
  t.equal(r.text('order 1234 5678 9012 3456', new Map()), 'order 1234 5678 9012 3456', 'fails the Luhn check: kept');
  const b = decodeOtlpJson(readFileSync(new URL('../../examples/traces/openinference-openai.json', import.meta.url)));
  t.equal(compileRules({}).batch(b), b, 'no rules: the same batch');
  t.same(compileRules({ patterns: ['Paris'] }).text('sunny in Paris', new Map()), 'sunny in [REDACTED:custom]', 'a custom pattern');
  t.throws(() => compileRules({ patterns: ['(unclosed'] }), /redact\.patterns: "\(unclosed" is neither/);
});
