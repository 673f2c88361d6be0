// Merging queued copies into one request: protobuf requests concatenate (gzipped or not),
// Langtrace's arrays join; what cannot be merged has no key, and keys part credentials and headers.
import t from 'tap';
import { gunzipSync } from 'node:zlib';
import { coalesceKey, merge, sizeOf } from '../../src/forward/coalesce.js';
import type { Delivery } from '../../src/forward/prepare.js';
import { decodeOtlpProto, encodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { gzip } from '../../src/wire/compression.js';

const batch = (id: string) =>
  decodeOtlpJson(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'r', value: { stringValue: id } }] },
          scopeSpans: [{ spans: [{ traceId: id.repeat(2), spanId: id, name: id, startTimeUnixNano: '1', endTimeUnixNano: '2' }] }],
        },
      ],
    }),
  );
const ids = ['0000000000000001', '0000000000000002', '0000000000000003'];

t.test('protobuf, gzipped: one message with every resource, in order', async (t) => {
  const headers = { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' };
  const ds: Delivery[] = ids.map((id) => ({
    upstream: 'w',
    spans: 1,
    credential: { ref: 'config' },
    requests: [{ body: gzip(Buffer.from(encodeOtlpProto(batch(id)))), headers }],
  }));
  t.equal(new Set(ds.map(coalesceKey)).size, 1, 'one key');
  const m = merge(ds);
  t.equal(m.spans, 3);
  t.same(m.requests[0].headers, headers);
  t.equal(sizeOf(ds[0]), encodeOtlpProto(batch(ids[0])).length, "a gzipped copy's size is its uncompressed size");
  const out = decodeOtlpProto(gunzipSync(m.requests[0].body));
  t.same(
    out.resourceSpans.map((rs) => rs.scopeSpans[0].spans[0].name),
    ids,
  );
});

t.test("Langtrace's arrays join; empty ones vanish", async (t) => {
  const headers = { 'content-type': 'application/json' };
  const d = (body: string): Delivery => ({ upstream: 'l', spans: 1, requests: [{ body: Buffer.from(body), headers }] });
  t.equal(merge([d('[{"a":1}]'), d('[]'), d('[{"b":2},{"c":3}]')]).requests[0].body.toString(), '[{"a":1},{"b":2},{"c":3}]');
});

t.test('keys', async (t) => {
  const proto = { 'content-type': 'application/x-protobuf' };
  const d = (extra: Partial<Delivery>, headers: Record<string, string> = proto): Delivery => ({
    upstream: 'w',
    spans: 1,
    requests: [{ body: Buffer.from('[]'), headers }],
    ...extra,
  });
  t.not(coalesceKey(d({ credential: { ref: 'config', project: 'a/b' } })), coalesceKey(d({ credential: { ref: 'config', project: 'a/c' } })), 'another project');
  t.not(coalesceKey(d({ credential: { ref: 'caller', key: 'k1' } })), coalesceKey(d({ credential: { ref: 'caller', key: 'k2' } })), 'another key');
  t.not(coalesceKey(d({})), coalesceKey(d({}, { ...proto, 'content-encoding': 'gzip' })), 'another encoding');
  t.equal(
    coalesceKey(
      d({
        requests: [
          { body: Buffer.from('{}'), headers: proto },
          { body: Buffer.from('{}'), headers: proto },
        ],
      }),
    ),
    undefined,
    'a fan-out of several requests: never merged',
  );
  const otlpJson = { 'content-type': 'application/json' };
  t.equal(coalesceKey(d({ requests: [{ body: Buffer.from('{"resourceSpans":[]}'), headers: otlpJson }] })), undefined, 'OTLP/JSON: never merged');
});
