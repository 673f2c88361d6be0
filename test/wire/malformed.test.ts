// Every malformed input gives a DecodeError naming what is wrong, with the right status; nothing else escapes.
import t, { type Test } from 'tap';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { sdkSpans } from '../helpers/spans.js';
import { decompress } from '../../src/wire/compression.js';
import { DecodeError } from '../../src/wire/errors.js';
import { decodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { decodeLangtraceNative } from '../../src/wire/langtrace.js';
import { findSpan } from '../helpers/spans.js';

function rejects(t: Test, fn: () => unknown, status: number, message: RegExp, name: string) {
  try {
    fn();
    t.fail(`${name}: no error`);
  } catch (err) {
    t.ok(err instanceof DecodeError, `${name}: a DecodeError (${(err as Error).message})`);
    t.equal((err as DecodeError).status, status, `${name}: status ${status}`);
    t.match((err as Error).message, message, `${name}: message`);
  }
}

const valid = ProtobufTraceSerializer.serializeRequest(sdkSpans())!;
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const spanDoc = (span: object) => ({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] });

t.test('protobuf', async (t) => {
  rejects(t, () => decodeOtlpProto(valid.subarray(0, valid.length - 7)), 400, /invalid OTLP protobuf/, 'truncated');
  rejects(t, () => decodeOtlpProto(Buffer.from([0x0d, 1, 2, 3, 4, 0x0a, 0x05])), 400, /invalid OTLP protobuf/, 'wrong wire type');
  rejects(t, () => decodeOtlpProto(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), 400, /invalid OTLP protobuf/, 'length past the end');
  t.same(decodeOtlpProto(new Uint8Array()), { resourceSpans: [] }, 'an empty request is an empty batch');
});

t.test('compression', async (t) => {
  rejects(t, () => decompress(Buffer.from('not gzip at all'), 'gzip'), 400, /not valid gzip/, 'gzip that is not gzip');
  rejects(t, () => decompress(Buffer.from('nope'), 'deflate'), 400, /not valid deflate/, 'deflate that is not deflate');
  rejects(t, () => decompress(Buffer.from('x'), 'br'), 415, /unsupported Content-Encoding "br"/, 'unknown encoding');
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  t.ok(bomb.length < 100_000, 'a small bomb');
  rejects(t, () => decompress(bomb, 'gzip', 1024 * 1024), 413, /larger than 1048576 bytes once decompressed/, 'gzip bomb');
  rejects(t, () => decompress(Buffer.alloc(2048), undefined, 1024), 413, /larger than/, 'plain body over the limit');
  t.ok(Buffer.from(decompress(gzipSync(valid), 'GZIP')).equals(Buffer.from(valid)), 'case-insensitive gzip');
});

t.test('OTLP/JSON', async (t) => {
  rejects(t, () => decodeOtlpJson('{"resourceSpans": ['), 400, /invalid JSON/, 'invalid JSON');
  rejects(t, () => decodeOtlpJson('[]'), 400, /expected an object with "resourceSpans"/, 'an array');
  rejects(t, () => decodeOtlpJson(json({ resourceSpans: {} })), 400, /\.resourceSpans: expected an array/, 'resourceSpans not a list');
  rejects(t, () => decodeOtlpJson(json(spanDoc({ startTimeUnixNano: 'soon' }))), 400, /spans\[0\]\.startTimeUnixNano: expected an unsigned 64-bit integer, got "soon"/, 'bad time');
  rejects(t, () => decodeOtlpJson(json(spanDoc({ kind: 'SPAN_KIND_BOGUS' }))), 400, /spans\[0\]\.kind: expected one of/, 'bad enum');
  rejects(
    t,
    () => decodeOtlpJson(json(spanDoc({ attributes: [{ key: 'a', value: { intValue: 'many' } }] }))),
    400,
    /attributes\[0\]\.value\.intValue: expected an integer/,
    'bad int',
  );
  rejects(t, () => decodeOtlpJson(json(spanDoc({ attributes: [{ value: { stringValue: 'x' } }] }))), 400, /attributes\[0\]\.key: expected a string/, 'missing key');
  rejects(t, () => decodeOtlpJson(json(spanDoc({ name: 5 }))), 400, /spans\[0\]\.name: expected a string/, 'wrong type');
  let deep: object = { stringValue: 'bottom' };
  for (let i = 0; i < 100; i++) deep = { kvlistValue: { values: [{ key: 'k', value: deep }] } };
  rejects(t, () => decodeOtlpJson(json(spanDoc({ attributes: [{ key: 'deep', value: deep }] }))), 400, /nested deeper than 32/, 'deep kvlist');
});

t.test('OTLP/JSON leniency', async (t) => {
  const batch = decodeOtlpJson(
    json({
      resource_spans: [
        {
          scope_spans: [
            {
              spans: [
                {
                  trace_id: 'AAECAwQFBgcICQoLDA0ODw==',
                  span_id: '0102030405060708',
                  kind: 'SPAN_KIND_CLIENT',
                  start_time_unix_nano: 5,
                  name: 'snake',
                  status: { code: 'STATUS_CODE_ERROR' },
                },
                { traceId: '000102030405060708090A0B0C0D0E0F', spanId: 'x', parentSpanId: '0102030405060708', kind: 'server', name: 'child' },
                { traceId: 'ZZZ', spanId: 'y', parentSpanId: 'x', name: 'grandchild' },
              ],
            },
          ],
        },
      ],
    }),
  );
  const snake = findSpan(batch, 'snake');
  t.equal(snake.traceId, '000102030405060708090a0b0c0d0e0f', 'base64 id decoded');
  t.equal(snake.kind, 3);
  t.equal(snake.status.code, 2);
  t.equal(snake.startTimeUnixNano, 5n);
  const child = findSpan(batch, 'child');
  t.equal(child.traceId, snake.traceId, 'upper-case hex lower-cased');
  t.equal(child.kind, 2);
  t.match(child.spanId, /^[0-9a-f]{16}$/, 'an invalid span id becomes a valid one');
  t.same(child.attributes.get('tracebridge.original_span_id'), { type: 'string', value: 'x' }, 'and the original is kept');
  const grandchild = findSpan(batch, 'grandchild');
  t.equal(grandchild.parentSpanId, child.spanId, 'the same invalid id maps the same way: links survive');

  const curl = decodeOtlpJson(readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url)));
  const span = findSpan(curl, 'openai.chat.completion');
  t.same(span.attributes.get('llm.request.temperature'), { type: 'double', value: 0.7 }, '"intValue": 0.7 is kept as a double');
  t.same(span.attributes.get('llm.request.max_tokens'), { type: 'int', value: 150n });
  t.match(span.traceId, /^[0-9a-f]{32}$/);
  t.same(span.attributes.get('tracebridge.original_trace_id'), { type: 'string', value: 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6' });
});

t.test('Langtrace native', async (t) => {
  rejects(t, () => decodeLangtraceNative('{"resourceSpans":[]}'), 400, /expected a JSON array of spans.*OTLP\/JSON/, 'OTLP sent as native');
  rejects(t, () => decodeLangtraceNative('[{"traceId":"00","startTime":12}]'), 400, /\[0\]\.startTime: expected an HrTime/, 'bad HrTime');
  rejects(t, () => decodeLangtraceNative('[{"kind":9}]'), 400, /\[0\]\.kind: expected a SpanKind/, 'bad kind');
  rejects(t, () => decodeLangtraceNative('[{"attributes":[1]}]'), 400, /\[0\]\.attributes: expected an object/, 'attributes as a list');
  rejects(t, () => decodeLangtraceNative('[5]'), 400, /\[0\]: expected a span object/, 'not a span');
  rejects(t, () => decodeLangtraceNative('[{"events":[{"time":"now"}]}]'), 400, /events\[0\]\.time: expected an HrTime/, 'bad event time');
  const b = decodeLangtraceNative('[{"traceId":"a","spanId":"b","startTime":[1,2],"duration":[0,5]}]');
  t.equal(b.resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano, 1_000_000_007n, 'end from start + duration');
});
