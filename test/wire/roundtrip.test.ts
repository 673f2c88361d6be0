// Our encoders agree with the official otlp-transformer serialisers, and round trips are lossless.
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { sdkSpans, exoticSpan } from '../helpers/spans.js';
import { arbBatch } from '../helpers/arbitrary.js';
import { referenceEncode, reflectionView } from '../helpers/proto-reference.js';
import { decodeOtlpProto, encodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { decodeOtlpJson, encodeOtlpJson } from '../../src/wire/otlp-json.js';
import { decodeLangtraceNative, encodeLangtraceNative } from '../../src/wire/langtrace.js';

// A fixed seed keeps CI repeatable; FC_SEED=random explores new cases locally.
const runs = process.env.FC_SEED === 'random' ? { numRuns: 1000 } : { numRuns: 300, seed: Number(process.env.FC_SEED ?? 20261122) };

const spansBatch = () => decodeOtlpProto(ProtobufTraceSerializer.serializeRequest(spans())!);

const spans = () => {
  const s = sdkSpans();
  return [...s, exoticSpan(s[0])];
};

t.test('official protobuf serialiser output is our reference', async (t) => {
  const reference = ProtobufTraceSerializer.serializeRequest(spans())!;
  const model = decodeOtlpProto(reference);
  t.equal(model.resourceSpans[0].scopeSpans[0].spans.length, 3);
  const ours = encodeOtlpProto(model);
  t.same(decodeOtlpProto(ours), model, 'our protobuf decodes to the same data');
});

t.test('official JSON serialiser output decodes to the protobuf data', async (t) => {
  const input = spans();
  const fromProto = decodeOtlpProto(ProtobufTraceSerializer.serializeRequest(input)!);
  const fromJson = decodeOtlpJson(JsonTraceSerializer.serializeRequest(input)!);
  t.same(fromJson, fromProto);
  const ours = encodeOtlpJson(fromProto);
  t.same(decodeOtlpJson(ours), fromProto, 'our JSON decodes to the same data');
  const doc = JSON.parse(ours);
  const span = doc.resourceSpans[0].scopeSpans[0].spans[1];
  t.match(span.traceId, /^[0-9a-f]{32}$/, 'ids are lower-case hex');
  t.type(span.startTimeUnixNano, 'string', '64-bit ints are strings');
  t.type(span.kind, 'number', 'enums are integers');
});

t.test('property: protobuf round trip is lossless', async (t) => {
  fc.assert(
    fc.property(arbBatch(), (batch) => isDeepStrictEqual(decodeOtlpProto(encodeOtlpProto(batch)), batch)),
    runs,
  );
  t.pass('generated batches round-trip');
});

t.test('property: the hand-written protobuf encoder agrees with protobufjs reflection', async (t) => {
  // Read back by protobufjs (not our decoder): same message as reflection encoding gives, and
  // never longer (defaults are left out, as proto3 encoders do).
  fc.assert(
    fc.property(arbBatch(), (batch) => {
      const ours = encodeOtlpProto(batch);
      const reference = referenceEncode(batch);
      return isDeepStrictEqual(reflectionView(ours), reflectionView(reference)) && ours.length <= reference.length;
    }),
    runs,
  );
  t.pass('same message for generated batches');
});

t.test('ids that are not hex are encoded as the reflection encoder does', async (t) => {
  const batch = decodeOtlpProto(encodeOtlpProto(spansBatch()));
  const span = batch.resourceSpans[0].scopeSpans[0].spans[0];
  span.parentSpanId = 'not hex';
  span.links = [{ traceId: 'abc', spanId: '0102030405060708', traceState: '', attributes: new Map(), droppedAttributesCount: 0, flags: 0 }];
  t.same(reflectionView(encodeOtlpProto(batch)), reflectionView(referenceEncode(batch)));
});

t.test('counts and enums out of their 32-bit range wrap as protobufjs wraps them, never corrupt the message', async (t) => {
  const batch = decodeOtlpProto(encodeOtlpProto(spansBatch()));
  const span = batch.resourceSpans[0].scopeSpans[0].spans[0];
  span.droppedAttributesCount = 2 ** 40 + 5;
  span.droppedEventsCount = 2 ** 32;
  span.kind = 2 ** 33 + 3;
  span.status = { code: -1, message: 'm' };
  span.flags = 2 ** 32 + 1;
  t.same(reflectionView(encodeOtlpProto(batch)), reflectionView(referenceEncode(batch)));
  const back = decodeOtlpProto(encodeOtlpProto(batch)).resourceSpans[0].scopeSpans[0].spans[0];
  t.equal(back.droppedAttributesCount, 5);
  t.equal(back.kind, 3);
});

t.test('empty values inside AnyValue keep their type through protobuf', async (t) => {
  const batch = decodeOtlpJson(
    JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '0102030405060708090a0b0c0d0e0f10',
                  spanId: '0102030405060708',
                  name: 's',
                  attributes: [
                    { key: 'empty.string', value: { stringValue: '' } },
                    { key: 'false', value: { boolValue: false } },
                    { key: 'zero.int', value: { intValue: '0' } },
                    { key: 'zero.double', value: { doubleValue: 0 } },
                    { key: 'list', value: { arrayValue: { values: [{ stringValue: '' }, { intValue: 0 }] } } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    }),
  );
  const attrs = decodeOtlpProto(encodeOtlpProto(batch)).resourceSpans[0].scopeSpans[0].spans[0].attributes;
  t.same(attrs.get('empty.string'), { type: 'string', value: '' });
  t.same(attrs.get('false'), { type: 'bool', value: false });
  t.same(attrs.get('zero.int'), { type: 'int', value: 0n });
  t.same(attrs.get('zero.double'), { type: 'double', value: 0 });
  t.same(attrs.get('list'), {
    type: 'array',
    value: [
      { type: 'string', value: '' },
      { type: 'int', value: 0n },
    ],
  });
});

t.test('property: OTLP/JSON round trip is lossless', async (t) => {
  fc.assert(
    fc.property(arbBatch(), (batch) => isDeepStrictEqual(decodeOtlpJson(encodeOtlpJson(batch)), batch)),
    runs,
  );
  t.pass('generated batches round-trip');
});

t.test('property: Langtrace native round trip keeps what the format can carry', async (t) => {
  // The native format has no int/double distinction for whole numbers, no bytes and no span
  // flags, and groups spans by resource and scope; generate within those limits.
  fc.assert(
    fc.property(arbBatch({ native: true }), (batch) => isDeepStrictEqual(decodeLangtraceNative(encodeLangtraceNative(batch)), batch)),
    runs,
  );
  t.pass('generated batches round-trip');
});

t.test('a map key named __proto__ stays a key through every format', async (t) => {
  const batch = decodeOtlpJson(
    JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'a'.repeat(32),
                  spanId: 'b'.repeat(16),
                  name: 's',
                  attributes: [{ key: 'm', value: { kvlistValue: { values: [{ key: '__proto__', value: { stringValue: 'x' } }] } } }],
                },
              ],
            },
          ],
        },
      ],
    }),
  );
  const expected = new Map([['__proto__', { type: 'string', value: 'x' }]]);
  t.same(decodeLangtraceNative(encodeLangtraceNative(batch)).resourceSpans[0].scopeSpans[0].spans[0].attributes.get('m'), { type: 'kvlist', value: expected });
  t.same(decodeOtlpProto(encodeOtlpProto(batch)).resourceSpans[0].scopeSpans[0].spans[0].attributes.get('m'), { type: 'kvlist', value: expected });
  t.equal(Object.getPrototypeOf(JSON.parse(encodeLangtraceNative(batch))[0].attributes.m), Object.prototype, 'no prototype was set');
});
