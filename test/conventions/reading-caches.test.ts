// What one reading of a span keeps for its writers (each JSON attribute parsed once, each message
// list's pieces, each carrier's pieces, each message list's JSON) against the straightforward way:
// computed afresh where it is used. On every captured fixture, span by span, after the reading
// and after both backends' copies were written from it.
import t from 'tap';
import { isDeepStrictEqual } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import type { Span } from '../../src/model/batch.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { loadMappings } from '../../src/conventions/mappings.js';
import { readSpan } from '../../src/conventions/read/index.js';
import { translateSpan } from '../../src/conventions/translate.js';
import { writeCall } from '../../src/conventions/write/index.js';
import { jsonAttr } from '../../src/conventions/attrs.js';
import { messageUnits, valueUnits } from '../../src/conventions/visible.js';
import { toPlain } from '../../src/model/values.js';

const mappings = loadMappings();
const CARRIERS = [
  'input.value',
  'output.value',
  'langfuse.observation.input',
  'langfuse.observation.output',
  'mlflow.spanInputs',
  'mlflow.spanOutputs',
  'gen_ai.prompt',
  'gen_ai.completion',
  'traceloop.entity.input',
  'traceloop.entity.output',
  'pydantic_ai.all_messages',
  'gcp.vertex.agent.llm_request',
  'gcp.vertex.agent.llm_response',
];

function spans(): Array<[string, Span, string]> {
  const out: Array<[string, Span, string]> = [];
  for (const d of ['../../examples/traces/', '../../test/fixtures/frameworks/', '../../test/fixtures/']) {
    const dir = new URL(d, import.meta.url);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')))
      for (const rs of decodeOtlpJson(readFileSync(new URL(f, dir))).resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) out.push([f, s, ss.scope.name]);
  }
  return out;
}

t.test('every fixture span: what a reading keeps is what computing it again gives', async (t) => {
  let checked = 0;
  const wrong: string[] = [];
  for (const [file, span, scope] of spans()) {
    const read = readSpan(span, scope, mappings, { origins: false });
    const { ctx } = read;
    for (const p of ['weave', 'langtrace'] as const) translateSpan(span, scope, p, mappings, read);
    const where = `${file} ${span.name}`;
    for (const key of span.attributes.keys()) if (!isDeepStrictEqual(ctx.json(key), jsonAttr(span.attributes, key))) wrong.push(`${where}: ${key} parsed`);
    for (const list of [ctx.call.input, ctx.call.output]) if (list && !isDeepStrictEqual(ctx.units(list), messageUnits(list))) wrong.push(`${where}: message pieces`);
    for (const key of CARRIERS) {
      const kept = ctx.carrierUnits(key);
      const v = span.attributes.get(key);
      if (kept && v && !isDeepStrictEqual(kept, valueUnits(toPlain(v)))) wrong.push(`${where}: ${key} pieces`);
    }
    // Each backend's writing with the reading's JSON of its messages, and without.
    for (const p of ['weave', 'langtrace'] as const) {
      const shared = writeCall(p, ctx.call, mappings, span, ctx.writtenJson);
      const alone = writeCall(p, ctx.call, mappings, span);
      if (!isDeepStrictEqual(shared, alone)) wrong.push(`${where}: ${p} written`);
    }
    checked++;
  }
  t.same(wrong, []);
  t.ok(checked > 100, `${checked} spans`);
});
