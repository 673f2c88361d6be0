// The library entry point, used as the README's "As a library" section shows it.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { decode, encode, inspectSpans, translateBatch, translateBatches } from '../src/index.js';

t.test("the README's library example runs, and each span is read once for both backends", async (t) => {
  const body = readFileSync(new URL('../examples/traces/openinference-openai.json', import.meta.url));
  const batch = decode('otlp-json', body);
  const forWeave = translateBatch(batch, 'weave');
  const [weave, langtrace] = translateBatches(batch, ['weave', 'langtrace']);
  t.ok(isDeepStrictEqual(weave, forWeave), "translateBatches' Weave copy is translateBatch's");
  t.ok(isDeepStrictEqual(langtrace, translateBatch(batch, 'langtrace')), 'and its Langtrace copy too');
  const bytes = encode('otlp-proto', forWeave)[0];
  t.ok(isDeepStrictEqual(decode('otlp-proto', bytes), forWeave), 'the protobuf decodes to the translated batch');
  const spans = batch.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  const views = inspectSpans(spans.map((span) => ({ span, scope: '' })));
  t.equal(views.length, spans.length);
  t.ok(
    views.some((v) => v.convention === 'openinference'),
    'what each backend shows, per span',
  );
});
