// Where time goes for one batch: decode, translate, encode, alone. Prints spans/s; no pass/fail.
//   npm run bench:translate
import { performance } from 'node:perf_hooks';
import { batchOf, captured, type Source } from './fixtures.js';
import { decodeOtlpProto, encodeOtlpProto } from '../src/wire/otlp-proto.js';
import { encodeLangtraceNative } from '../src/wire/langtrace.js';
import { encodeOtlpJson, decodeOtlpJson } from '../src/wire/otlp-json.js';
import { gzip } from '../src/wire/compression.js';
import { loadMappings } from '../src/conventions/mappings.js';
import { translateBatch } from '../src/conventions/translate.js';

const BATCH = 100;
const mappings = loadMappings();

function rate(label: string, spansPerOp: number, fn: () => unknown): void {
  for (let i = 0; i < 50; i++) fn(); // warm up
  const deadline = performance.now() + 1500;
  let ops = 0;
  const start = performance.now();
  while (performance.now() < deadline) {
    fn();
    ops++;
  }
  const secs = (performance.now() - start) / 1000;
  console.log(`  ${label.padEnd(34)} ${Math.round((ops * spansPerOp) / secs).toLocaleString('en-US').padStart(12)} spans/s`);
}

for (const source of ['openinference', 'openllmetry', 'langtrace'] as Source[]) {
  const batch = batchOf(captured(source), BATCH);
  const proto = encodeOtlpProto(batch);
  const json = encodeOtlpJson(batch);
  const weave = translateBatch(batch, 'weave', mappings);
  const langtrace = translateBatch(batch, 'langtrace', mappings);
  console.log(`${source}: batches of ${BATCH} spans, ${Math.round(proto.length / BATCH)} bytes/span as protobuf`);
  rate('decode OTLP protobuf', BATCH, () => decodeOtlpProto(proto));
  rate('decode OTLP/JSON', BATCH, () => decodeOtlpJson(json));
  rate('translate → weave', BATCH, () => translateBatch(batch, 'weave', mappings));
  rate('translate → langtrace', BATCH, () => translateBatch(batch, 'langtrace', mappings));
  rate('translate → both (one read)', BATCH, () => {
    const reads = new Map();
    translateBatch(batch, 'weave', mappings, undefined, reads);
    translateBatch(batch, 'langtrace', mappings, undefined, reads);
  });
  rate('encode protobuf (weave)', BATCH, () => encodeOtlpProto(weave));
  rate('encode protobuf + gzip (weave)', BATCH, () => gzip(encodeOtlpProto(weave)));
  rate('encode native JSON (langtrace)', BATCH, () => encodeLangtraceNative(langtrace));
  rate('decode → weave → gzip protobuf', BATCH, () => gzip(encodeOtlpProto(translateBatch(decodeOtlpProto(proto), 'weave', mappings))));
}
