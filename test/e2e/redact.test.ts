// Redaction per upstream: an email inside a prompt and inside a tool call's arguments never
// reaches the upstream that redacts, reaches the one that does not, and is counted in /metrics.
import t from 'tap';
import { fakeLangtrace, fakeWeave, langtraceSees, weaveSees } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY, drained } from '../helpers/proxy.js';

const EMAIL = 'ann.lee@example.com';
const body = JSON.stringify({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'user.email', value: { stringValue: EMAIL } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
              name: 'chat',
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000001000000000',
              attributes: [
                { key: 'openinference.span.kind', value: { stringValue: 'LLM' } },
                { key: 'llm.model_name', value: { stringValue: 'gpt-4o-mini' } },
                { key: 'llm.input_messages.0.message.role', value: { stringValue: 'user' } },
                { key: 'llm.input_messages.0.message.content', value: { stringValue: `Send the forecast to ${EMAIL} please` } },
                { key: 'llm.output_messages.0.message.role', value: { stringValue: 'assistant' } },
                { key: 'llm.output_messages.0.message.tool_calls.0.tool_call.function.name', value: { stringValue: 'send_mail' } },
                { key: 'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments', value: { stringValue: `{"to":"${EMAIL}"}` } },
              ],
            },
          ],
        },
      ],
    },
  ],
});

t.test('an email is redacted for one upstream and not the other', async (t) => {
  const weave = await fakeWeave({ key: 'W-KEY' });
  const langtrace = await fakeLangtrace({ key: 'L-KEY' });
  const tb = await startProxy({
    upstreams: [
      {
        name: 'weave',
        type: 'weave',
        url: weave.url,
        project: 'acme/prod',
        auth: { mode: 'static', key: 'W-KEY' },
        retry: FAST_RETRY,
        redact: { patterns: ['email'], drop: ['user.email'] },
      },
      { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'L-KEY' }, retry: FAST_RETRY },
    ],
  });
  t.teardown(async () => {
    await tb.close();
    await Promise.all([weave.close(), langtrace.close()]);
  });
  const res = await fetch(`${tb.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  t.equal(res.status, 200);
  await drained(tb);
  const w = weave.accepted[0];
  const seen = weaveSees(w.spans[0]);
  t.notMatch(
    JSON.stringify(w.batch, (_, v) => (typeof v === 'bigint' ? String(v) : v instanceof Map ? [...v] : v)),
    /ann\.lee@example\.com/,
    'Weave receives the address nowhere',
  );
  t.match(JSON.stringify(seen.input), /Send the forecast to \[REDACTED:email\] please/, 'the prompt, redacted');
  t.match(JSON.stringify(seen.output), /\[REDACTED:email\]/, "and the tool call's arguments");
  const l = langtraceSees(langtrace.accepted[0].spans[0]);
  t.match(JSON.stringify(l.prompt), new RegExp(EMAIL.replace(/\./g, '\\.')), 'Langtrace, which redacts nothing, receives it');
  const metrics = await (await fetch(`${tb.url}/metrics`)).text();
  t.match(metrics, /tracebridge_redactions_total\{upstream="weave",rule="email"\} 2/, 'two emails counted');
  t.match(metrics, /tracebridge_redactions_total\{upstream="weave",rule="drop"\} 1/, 'one attribute dropped');
  t.notMatch(metrics, /upstream="langtrace",rule=/, 'none for Langtrace');
});

t.test('a bad pattern stops start-up with a message naming it', async (t) => {
  await t.rejects(startProxy({ upstreams: [{ name: 'o', type: 'otlp', url: 'http://127.0.0.1:9', redact: { patterns: ['(oops'] } }] }), /redact\.patterns.*\(oops/);
});
