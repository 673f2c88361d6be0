// Langtrace's native span JSON, written as text key by key, against the straightforward way: the
// object the SDK would send, stringified whole. On random batches (keys that are array indexes,
// "__proto__", NaN, big ints, every value type) and on every captured fixture, raw and translated.
import t from 'tap';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { arbBatch } from '../helpers/arbitrary.js';
import { nativeReference } from '../helpers/langtrace-reference.js';
import type { SpanBatch } from '../../src/model/batch.js';
import { encodeLangtraceNative } from '../../src/wire/langtrace.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { translateBatch } from '../../src/conventions/translate.js';
import { loadMappings } from '../../src/conventions/mappings.js';
import { bodies, langtraceNativeBody } from '../../src/forward/bodies.js';

/** Keys an object orders apart (array indexes), a prototype's name, numbers JSON has no form for. */
const awkward = fc.constantFrom('0', '7', '4294967294', '4294967295', '01', '__proto__', 'constructor', '', '\u2028', 'a"b');

function withAwkwardKeys(batch: SpanBatch, keys: string[]): SpanBatch {
  for (const rs of batch.resourceSpans)
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans) {
        for (const k of keys) s.attributes.set(k, { type: 'double', value: NaN });
        for (const e of s.events) for (const k of keys) e.attributes.set(k, { type: 'string', value: k });
      }
  return batch;
}

t.test('random batches: the same text as the objects stringified', async () => {
  fc.assert(
    fc.property(arbBatch(), fc.array(awkward, { maxLength: 3 }), (batch, keys) => {
      const b = withAwkwardKeys(batch, keys);
      return encodeLangtraceNative(b) === nativeReference(b);
    }),
    { numRuns: 300 },
  );
});

t.test('every fixture, as it came and translated for Langtrace: the same text', async (t) => {
  const mappings = loadMappings();
  const dirs = ['../../examples/traces/', '../../test/fixtures/frameworks/', '../../test/fixtures/'];
  let n = 0;
  for (const d of dirs) {
    const dir = new URL(d, import.meta.url);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      const batch = decodeOtlpJson(readFileSync(new URL(f, dir)));
      t.equal(encodeLangtraceNative(batch), nativeReference(batch), `${f} as it came`);
      const lt = translateBatch(batch, 'langtrace', mappings);
      t.equal(encodeLangtraceNative(lt), nativeReference(lt), `${f} translated`);
      n++;
    }
  }
  t.ok(n >= 25, `${n} fixtures`);
});

t.test('the body sent upstream: the same bytes as the text, on random batches', async () => {
  fc.assert(
    fc.property(arbBatch(), fc.array(awkward, { maxLength: 3 }), (batch, keys) => {
      const b = withAwkwardKeys(batch, keys);
      const body = langtraceNativeBody(b);
      const same = body.toString('utf8') === nativeReference(b);
      bodies.give(body);
      return same;
    }),
    { numRuns: 200 },
  );
});
