// The request path's shortcuts against the straightforward way, on random batches and on real
// captures: Langtrace's body stringified span by span with the resource spliced in and written
// into a reused buffer; Weave's protobuf encoded into a reused buffer before gzip. The bytes an
// upstream receives must be exactly what the plain encoders give, however the pool's blocks were
// used before.
import t from 'tap';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { arbBatch } from '../helpers/arbitrary.js';
import { nativeReference } from '../helpers/langtrace-reference.js';
import type { SpanBatch } from '../../src/model/batch.js';
import { encodeLangtraceNative } from '../../src/wire/langtrace.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { encodeRequest } from '../../src/wire/otlp-proto-encode.js';
import { configSchema } from '../../src/config/schema.js';
import { loadMappings } from '../../src/conventions/mappings.js';
import { translateBatch } from '../../src/conventions/translate.js';
import { prepare } from '../../src/forward/prepare.js';
import { bodies, releaseBodies } from '../../src/forward/bodies.js';

const mappings = loadMappings();
const config = configSchema.parse({
  dataDir: '/nonexistent',
  upstreams: [
    { name: 'weave', type: 'weave', url: 'http://127.0.0.1:1', project: 'a/b', auth: { mode: 'static', key: 'k' } },
    { name: 'plain', type: 'otlp', url: 'http://127.0.0.1:1', gzip: false, auth: { mode: 'static', key: 'k' } },
    { name: 'langtrace', type: 'langtrace', url: 'http://127.0.0.1:1', auth: { mode: 'static', key: 'k' } },
  ],
});
const [weave, plainOtlp, langtrace] = config.upstreams;

/** A batch's spans repeated until it is large enough for pooled buffers. */
function large(batch: SpanBatch, times: number): SpanBatch {
  return { resourceSpans: Array.from({ length: times }, () => batch.resourceSpans).flat() };
}

/** Every upstream's body through prepare (pooled, reused), against the plain encoders. */
function check(batch: SpanBatch): boolean {
  const creds = { key: 'k', project: 'a/b' };
  const lt = prepare(langtrace, batch, creds, mappings);
  const want = Buffer.from(nativeReference(translateBatch(batch, 'langtrace', mappings)));
  const w = prepare(weave, batch, creds, mappings);
  const p = prepare(plainOtlp, batch, creds, mappings);
  const otlp = encodeRequest(translateBatch(batch, 'otel-genai-additive', mappings));
  const ok =
    lt.requests[0].body.equals(want) &&
    encodeLangtraceNative(translateBatch(batch, 'langtrace', mappings)) === want.toString() &&
    gunzipSync(w.requests[0].body).equals(encodeRequest(prepareWeaveReference(batch))) &&
    p.requests[0].body.equals(otlp);
  // Back to the pool, so the next batch is written over these bytes.
  for (const d of [lt, w, p]) releaseBodies(d);
  return ok;
}

/** Weave's translation with the configured project filled in, as prepare does. */
function prepareWeaveReference(batch: SpanBatch): SpanBatch {
  const out = translateBatch(batch, 'weave', mappings);
  return {
    resourceSpans: out.resourceSpans.map((rs) => {
      const attrs = new Map(rs.resource.attributes);
      if (!attrs.has('wandb.entity')) attrs.set('wandb.entity', { type: 'string', value: 'a' });
      if (!attrs.has('wandb.project')) attrs.set('wandb.project', { type: 'string', value: 'b' });
      return { ...rs, resource: { ...rs.resource, attributes: attrs } };
    }),
  };
}

t.test('random batches: the bodies prepared on the fast path equal the straightforward encodings', async (t) => {
  fc.assert(
    fc.property(arbBatch(), fc.integer({ min: 1, max: 300 }), (batch, times) => check(large(batch, times))),
    { numRuns: 150 },
  );
  t.ok(bodies.idleBytes > 0, 'the pool was used');
});

t.test('real captures, small and large, in turn: the same bytes', async (t) => {
  const dir = new URL('../../examples/traces/', import.meta.url);
  const captures = readdirSync(dir).map((f) => decodeOtlpJson(readFileSync(new URL(f, dir))));
  t.ok(captures.length >= 5);
  for (const times of [1, 60, 7, 200, 30])
    for (const c of captures) t.ok(check(large(c, times)), `${times}× a capture of ${c.resourceSpans.flatMap((r) => r.scopeSpans).flatMap((s) => s.spans).length} spans`);
});
