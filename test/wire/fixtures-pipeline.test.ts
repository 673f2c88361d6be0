// Every captured fixture through the request path's protobuf side: encoded as a client would send
// it, decoded (twice, so the second finds its keys and values from their bytes), translated and
// encoded for Weave; against protobufjs's reflection reading the same model, byte for byte after
// decoding.
import t from 'tap';
import { isDeepStrictEqual } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import type { SpanBatch } from '../../src/model/batch.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { decodeOtlpProto, encodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { translateBatches } from '../../src/conventions/translate.js';
import { loadMappings } from '../../src/conventions/mappings.js';
import { referenceEncode, reflectionView } from '../helpers/proto-reference.js';

function fixtures(): Array<[string, SpanBatch]> {
  const out: Array<[string, SpanBatch]> = [];
  for (const d of ['../../examples/traces/', '../../test/fixtures/frameworks/', '../../test/fixtures/']) {
    const dir = new URL(d, import.meta.url);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) out.push([f, decodeOtlpJson(readFileSync(new URL(f, dir)))]);
  }
  return out;
}

t.test('every fixture: decoded from protobuf as it was, and each translation encoded as the reference encodes it', async (t) => {
  const mappings = loadMappings();
  const all = fixtures();
  t.ok(all.length >= 25);
  for (const [name, batch] of all) {
    const sent = encodeOtlpProto(batch);
    const first = decodeOtlpProto(sent);
    const again = decodeOtlpProto(sent);
    t.ok(isDeepStrictEqual(first, batch) && isDeepStrictEqual(again, batch), `${name}: decoded as it came`);
    const [weave, langtrace] = translateBatches(again, ['weave', 'langtrace'], mappings);
    for (const [profile, out] of [
      ['weave', weave],
      ['langtrace', langtrace],
    ] as const)
      t.same(reflectionView(encodeOtlpProto(out)), reflectionView(referenceEncode(out)), `${name}: ${profile}'s copy`);
  }
});
