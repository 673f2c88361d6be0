// Round trips through other conventions preserve the canonical record (property tests).
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { arbRecord, arbToolOrAgent, spanFrom } from '../helpers/records.js';
import { loadMappings, type Profile } from '../../src/conventions/mappings.js';
import { readSpan } from '../../src/conventions/read/index.js';
import { translateSpan } from '../../src/conventions/translate.js';
import type { LlmCall } from '../../src/conventions/record.js';
import { apiPath } from '../../src/conventions/write/index.js';
import type { Span } from '../../src/model/batch.js';

const mappings = loadMappings();
const runs = process.env.FC_SEED === 'random' ? { numRuns: 1000 } : { numRuns: 300, seed: Number(process.env.FC_SEED ?? 20261122) };

function via(span: Span, ...profiles: Profile[]): Span {
  return profiles.reduce((s, p) => translateSpan(s, '', p, mappings).span, span);
}

/** The record read back; a path Langtrace's writer derived (its docs' llm.path) is an addition, not a change. */
const read = (s: Span): LlmCall => {
  const call = readSpan(s, '', mappings).ctx.call;
  if (call.path !== undefined && s.attributes.has('llm.path') && call.path === apiPath({ ...call, path: undefined })) delete call.path;
  return call;
};

function roundTrip(t: Tap, name: string, opts: Parameters<typeof arbRecord>[0], start: Profile, path: Profile[]) {
  t.test(name, async (t) => {
    fc.assert(
      fc.property(arbRecord(opts), (rec) => {
        const got = read(via(spanFrom(start, rec), ...path));
        if (!isDeepStrictEqual(got, rec)) throw new Error(`record changed:\n${JSON.stringify(rec)}\n${JSON.stringify(got)}`);
      }),
      runs,
    );
    t.pass(`${start} → ${path.join(' → ')} keeps the record`);
  });
}
type Tap = typeof t;

roundTrip(t, 'Langtrace → Weave → Langtrace', {}, 'langtrace', ['weave', 'langtrace']);
roundTrip(t, 'OpenInference → Langtrace → OpenInference', { oneModel: true, noResponseId: true }, 'openinference', ['langtrace', 'openinference']);
for (const p of ['weave', 'langtrace'] as const) roundTrip(t, `OTel → ${p} → OTel`, { finishReasons: true }, 'otel-genai', [p, 'otel-genai']);
// OpenInference has one model name: request and response models collapse (see the lossy tests).
roundTrip(t, 'OTel → openinference → OTel', { finishReasons: true, oneModel: true }, 'otel-genai', ['openinference', 'otel-genai']);
roundTrip(t, 'every profile in turn', { oneModel: true, finishReasons: true, parts: 'media' }, 'otel-genai', ['weave', 'openinference', 'langtrace', 'weave', 'otel-genai']);
roundTrip(t, 'message parts: OTel → Langtrace → Weave → OTel', { finishReasons: true, parts: 'all' }, 'otel-genai', ['langtrace', 'weave', 'otel-genai']);

t.test('each writer alone: written then read gives the record back', async (t) => {
  for (const p of ['weave', 'langtrace', 'otel-genai', 'openinference'] as const) {
    const opts = {
      oneModel: p === 'openinference',
      noResponseId: p === 'openinference',
      finishReasons: p === 'otel-genai',
      parts: p === 'openinference' ? ('media' as const) : ('all' as const),
    };
    fc.assert(
      fc.property(arbRecord(opts), (rec) => {
        const got = read(spanFrom(p, rec));
        if (!isDeepStrictEqual(got, rec)) throw new Error(`record changed:\n${JSON.stringify(rec)}\n${JSON.stringify(got)}`);
      }),
      runs,
    );
    t.pass(`${p}, message parts included`);
  }
});

t.test('tool runs and agents: written for each target and read back keep every field', async (t) => {
  for (const p of ['weave', 'langtrace', 'otel-genai', 'openinference'] as const) {
    fc.assert(
      fc.property(arbToolOrAgent(), (rec) => {
        const got = read(spanFrom(p, rec));
        // Only OTel names the operation; the others say it by the span's type.
        if (p !== 'otel-genai') delete got.operation;
        const want = { ...rec, ...(p !== 'otel-genai' ? { operation: undefined } : {}) };
        if (want.operation === undefined) delete want.operation;
        // OTel has no slot for an agent's generic input and output (a translation keeps input.value / output.value as they came).
        if (p === 'otel-genai') for (const k of ['inputValue', 'outputValue'] as const) delete want[k];
        if (!isDeepStrictEqual(got, want)) throw new Error(`record changed:\n${JSON.stringify(want)}\n${JSON.stringify(got)}`);
      }),
      runs,
    );
    t.pass(p);
  }
});
