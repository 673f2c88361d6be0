// The pieces migrate reads history with: Weave calls as spans (ids stable across runs, op refs
// named, exceptions as errors, OTel-born calls with their own span attributes), Langtrace's
// status text, and the backends' timestamps to the nanosecond.
import t from 'tap';
import { callToSpan, opName, type WeaveCall } from '../../src/commands/migrate/weave-calls.js';
import { statusCode } from '../../src/commands/migrate/langtrace-spans.js';
import { isoToNanos } from '../../src/commands/migrate/times.js';
import { toPlain } from '../../src/model/values.js';

const call = (over: Partial<WeaveCall> = {}): WeaveCall => ({
  id: '0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  trace_id: '0195a1b2-0000-7000-8000-000000000000',
  parent_id: '0195a1b2-1111-7000-8000-000000000000',
  op_name: 'weave:///team/proj/op/summarise:Qx9a',
  started_at: '2025-03-01T10:00:00.123456Z',
  ended_at: '2025-03-01T10:00:01.5+00:00',
  inputs: { text: 'long' },
  output: 'short',
  ...over,
});

t.test('op refs are named by their op; plain names stay', async (t) => {
  t.equal(opName('weave:///team/proj/op/openai.chat.completions.create:abc123'), 'openai.chat.completions.create');
  t.equal(opName('my_op'), 'my_op');
});

t.test('a call as a span: the same ids every run, times to the microsecond, parent kept', async (t) => {
  const a = callToSpan(call())!;
  const b = callToSpan(call())!;
  t.same([a.traceId, a.spanId, a.parentSpanId], [b.traceId, b.spanId, b.parentSpanId]);
  t.match(a.traceId, /^[0-9a-f]{32}$/);
  t.match(a.spanId, /^[0-9a-f]{16}$/);
  t.equal(a.parentSpanId, callToSpan(call({ id: '0195a1b2-1111-7000-8000-000000000000', parent_id: null }))!.spanId);
  t.equal(a.name, 'summarise');
  t.equal(a.startTimeUnixNano, 1740823200123456000n);
  t.equal(a.endTimeUnixNano, 1740823201500000000n);
  t.equal(callToSpan(call({ display_name: 'Summary' }))!.name, 'Summary');
  t.equal(callToSpan(call({ started_at: 'not a time' })), undefined, 'a call with no readable start is left out');
});

t.test('an exception is an error with its type and message, and an exception event', async (t) => {
  const s = callToSpan(call({ exception: JSON.stringify({ type: 'KeyError', message: "'x'", traceback: 'Traceback …' }), output: null }))!;
  t.same(s.status, { code: 2, message: "KeyError: 'x'" });
  const e = s.events.find((x) => x.name === 'exception')!;
  t.same(Object.fromEntries([...e.attributes].map(([k, v]) => [k, toPlain(v)])), {
    'exception.message': "'x'",
    'exception.type': 'KeyError',
    'exception.stacktrace': 'Traceback …',
  });
  t.equal(callToSpan(call({ exception: 'plain text' }))!.status.message, 'plain text');
});

t.test("tokens only where the call's own output carries usage", async (t) => {
  const usage = { 'gpt-4o': { prompt_tokens: 30, completion_tokens: 9 } };
  const parent = callToSpan(call({ summary: { usage } }))!;
  t.notOk(parent.attributes.has('llm.token_count.prompt'), "a parent's rolled-up usage is not its own");
  const leaf = callToSpan(
    call({ inputs: { messages: [{ role: 'user', content: 'hi' }] }, output: { choices: [], usage: { prompt_tokens: 30, completion_tokens: 9 } }, summary: { usage } }),
  )!;
  t.same(
    ['llm.model_name', 'llm.token_count.prompt', 'llm.token_count.completion', 'openinference.span.kind'].map((k) => toPlain(leaf.attributes.get(k)!)),
    ['gpt-4o', 30, 9, 'LLM'],
  );
});

t.test('a call that came in over OTel keeps its span attributes', async (t) => {
  const s = callToSpan(
    call({ attributes: { otel_span: { name: 'chat gpt-4o', attributes: { gen_ai: { request: { model: 'gpt-4o' }, usage: { input_tokens: 4 } }, 'gen_ai.system': 'openai' } } } }),
  )!;
  t.equal(toPlain(s.attributes.get('gen_ai.request.model')!), 'gpt-4o');
  t.equal(toPlain(s.attributes.get('gen_ai.usage.input_tokens')!), 4);
  t.equal(toPlain(s.attributes.get('gen_ai.system')!), 'openai');
  t.notOk(s.attributes.has('input.value'), "no second copy of what the span's own attributes hold");
});

t.test("Langtrace's status text and the backends' timestamps", async (t) => {
  t.same(['ERROR', 'STATUS_CODE_ERROR', 2, 'OK', 'STATUS_CODE_OK', 'UNSET', undefined].map(statusCode), [2, 2, 2, 1, 1, 0, 0]);
  t.equal(isoToNanos('2025-03-01 10:00:00.123456789'), 1740823200123456789n);
  t.equal(isoToNanos('2025-03-01T12:00:00.5+02:00'), 1740823200500000000n);
  t.equal(isoToNanos('yesterday'), undefined);
});
