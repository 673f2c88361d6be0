// Where time goes for one batch: decode, translate, encode, alone. Prints spans/s, and
// instructions per span when perf is available; no pass/fail.
//   npm run bench:translate
// For a count no other load moves, run N whole dual-write requests of 100 OpenInference spans
// under callgrind at two N and divide the difference by the extra spans:
//   ../shared/tools/count-instructions --import tsx bench/translate.ts --count 30   (then 130)
// and with --dist after the count, the compiled pipeline (npm run build first); --long for spans
// holding a long conversation (about 10 KB each).
import { performance } from 'node:perf_hooks';
import { batchOf, captured, longConversation, type Source } from './fixtures.js';
import { decodeOtlpProto, encodeOtlpProto } from '../src/wire/otlp-proto.js';
import { encodeLangtraceNativeSpans } from '../src/wire/langtrace.js';
import { bodies, jsonArrayBody, releaseBodies } from '../src/forward/bodies.js';
import type { SpanBatch } from '../src/model/batch.js';
import { encodeOtlpJson, decodeOtlpJson } from '../src/wire/otlp-json.js';
import { gzip } from '../src/wire/compression.js';
import { loadMappings } from '../src/conventions/mappings.js';
import { translateBatch, translateBatches } from '../src/conventions/translate.js';
import { allocatedBytes, instructions } from './perf.js';
import { configSchema } from '../src/config/schema.js';
import { processRequest } from '../src/receive/process.js';
import { tmpdir } from 'node:os';

const BATCH = 100;
const mappings = loadMappings();
// What a request costs before it is queued: decode, translate, encode and gzip for both backends.
const dualWriteOptions = {
  dataDir: tmpdir(),
  upstreams: [
    { name: 'weave', type: 'weave', url: 'http://127.0.0.1:1', project: 'bench/bench', auth: { mode: 'static', key: 'k' } },
    { name: 'langtrace', type: 'langtrace', url: 'http://127.0.0.1:1', auth: { mode: 'static', key: 'k' } },
  ],
};
const dualWrite = configSchema.parse(dualWriteOptions);

const COUNTED_OPS = 200;
const ALLOCATION_OPS = 40;

async function rate(label: string, spansPerOp: number, fn: () => unknown): Promise<void> {
  for (let i = 0; i < 50; i++) fn(); // warm up
  const deadline = performance.now() + 1500;
  let ops = 0;
  const start = performance.now();
  while (performance.now() < deadline) {
    fn();
    ops++;
  }
  const secs = (performance.now() - start) / 1000;
  const counted = await instructions(process.pid, async () => {
    for (let i = 0; i < COUNTED_OPS; i++) fn();
  });
  const perSpan =
    counted === undefined
      ? ''
      : `${Math.round(counted / (COUNTED_OPS * spansPerOp) / 1000)
          .toLocaleString('en-US')
          .padStart(8)}k instructions/span`;
  const allocated = await allocatedBytes(() => {
    for (let i = 0; i < ALLOCATION_OPS; i++) fn();
  });
  const kib = (allocated / (ALLOCATION_OPS * spansPerOp) / 1024).toFixed(1).padStart(6);
  console.log(
    `  ${label.padEnd(34)} ${Math.round((ops * spansPerOp) / secs)
      .toLocaleString('en-US')
      .padStart(12)} spans/s ${kib} KiB allocated/span ${perSpan}`,
  );
}

/** A request as the proxy receives it: the batch as OTLP protobuf, for both backends. */
const requestOf = (proto: Uint8Array) => ({ raw: proto, dialect: 'otlp' as const, contentType: 'application/x-protobuf', inbound: {}, upstreams: ['weave', 'langtrace'] });
const dualWriteRequest = (input: ReturnType<typeof requestOf>) => processRequest(dualWrite, mappings, input).deliveries.forEach(releaseBodies);

const countArg = process.argv.indexOf('--count');
if (countArg >= 0) {
  // --long: spans with a long conversation in them (about 10 KB each).
  const batch = batchOf(captured('openinference'), BATCH);
  const input = requestOf(encodeOtlpProto(process.argv.includes('--long') ? longConversation(batch) : batch));
  // --dist: the compiled pipeline (npm run build first), as `tracebridge serve` runs it; tsx's
  // transform adds a naming helper to every closure made, about 6% more instructions.
  let run = dualWriteRequest;
  if (process.argv.includes('--dist')) {
    const dist = '../dist/src/';
    const [{ processRequest: compiled }, { loadMappings: load }, { configSchema: schema }, { releaseBodies: release }] = await Promise.all([
      import(dist + 'receive/process.js'),
      import(dist + 'conventions/mappings.js'),
      import(dist + 'config/schema.js'),
      import(dist + 'forward/bodies.js'),
    ]);
    const config = schema.parse(dualWriteOptions);
    const table = load();
    run = (i) => compiled(config, table, i).deliveries.forEach(release);
  }
  for (let i = Number(process.argv[countArg + 1]); i > 0; i--) run(input);
  process.exit(0);
}

for (const source of ['openinference', 'openllmetry', 'langtrace'] as Source[]) {
  const batch = batchOf(captured(source), BATCH);
  const proto = encodeOtlpProto(batch);
  const json = encodeOtlpJson(batch);
  const weave = translateBatch(batch, 'weave', mappings);
  const langtrace = translateBatch(batch, 'langtrace', mappings);
  console.log(`${source}: batches of ${BATCH} spans, ${Math.round(proto.length / BATCH)} bytes/span as protobuf`);
  await rate('decode OTLP protobuf', BATCH, () => decodeOtlpProto(proto));
  await rate('decode OTLP/JSON', BATCH, () => decodeOtlpJson(json));
  await rate('translate → weave', BATCH, () => translateBatch(batch, 'weave', mappings));
  await rate('translate → langtrace', BATCH, () => translateBatch(batch, 'langtrace', mappings));
  await rate('translate → both (one read)', BATCH, () => translateBatches(batch, ['weave', 'langtrace'], mappings));
  // As the proxy does: into a reused buffer, given back once done with.
  const take = (n: number) => bodies.take(n);
  const gzipped = (b: SpanBatch) => {
    const raw = encodeOtlpProto(b, take);
    const zipped = gzip(raw);
    bodies.give(raw);
    return zipped;
  };
  await rate('encode protobuf (weave)', BATCH, () => bodies.give(encodeOtlpProto(weave, take)));
  await rate('encode protobuf + gzip (weave)', BATCH, () => gzipped(weave));
  await rate('encode native JSON (langtrace)', BATCH, () => bodies.give(jsonArrayBody(encodeLangtraceNativeSpans(langtrace))));
  await rate('decode → weave → gzip protobuf', BATCH, () => gzipped(translateBatch(decodeOtlpProto(proto), 'weave', mappings)));
  const input = requestOf(proto);
  await rate('a dual-write request, all of it', BATCH, () => dualWriteRequest(input));
}

// Costs per character: the same spans holding a long conversation (about 10 KB each).
{
  const proto = encodeOtlpProto(longConversation(batchOf(captured('openinference'), BATCH)));
  console.log(`openinference, long conversations: batches of ${BATCH} spans, ${Math.round(proto.length / BATCH)} bytes/span as protobuf`);
  const input = requestOf(proto);
  await rate('a dual-write request, all of it', BATCH, () => dualWriteRequest(input));
}
