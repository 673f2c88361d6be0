// fast-check generators for span batches.
import fc from 'fast-check';
import type { AnyValue, Attributes, ResourceSpans, Span, SpanBatch } from '../../src/model/batch.js';

// Plain-prototype records, so generated batches compare strictly equal with decoded ones.
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;

interface ArbOptions {
  /** Only what Langtrace's native format can carry. */
  native?: boolean;
}

const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const time = fc.bigInt({ min: 0n, max: 4_000_000_000n * 1_000_000_000n });

function value(o: ArbOptions): fc.Arbitrary<AnyValue> {
  const { tree } = fc.letrec<{ tree: AnyValue; leaf: AnyValue }>((tie) => ({
    leaf: fc.oneof(
      fc.string().map((value) => ({ type: 'string' as const, value })),
      fc.boolean().map((value) => ({ type: 'bool' as const, value })),
      (o.native ? fc.maxSafeInteger().map(BigInt) : fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map((value) => ({ type: 'int' as const, value })),
      (o.native ? fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)) : fc.double()).map((value) => ({ type: 'double' as const, value })),
      ...(o.native ? [] : [fc.uint8Array({ maxLength: 8 }).map((value) => ({ type: 'bytes' as const, value }))]),
    ),
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      tie('leaf'),
      fc.array(tie('tree'), { maxLength: 3 }).map((value) => ({ type: 'array' as const, value: value as AnyValue[] })),
      attrs(tie('tree') as fc.Arbitrary<AnyValue>, 3).map((value) => ({ type: 'kvlist' as const, value })),
    ),
  }));
  return tree;
}

function attrs(v: fc.Arbitrary<AnyValue>, max = 5): fc.Arbitrary<Attributes> {
  return fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), v), { maxLength: max, selector: (e) => e[0] }).map((e) => new Map(e));
}

function span(o: ArbOptions): fc.Arbitrary<Span> {
  const a = attrs(value(o));
  const count = o.native ? fc.nat(1000) : fc.nat(0xffffffff);
  return rec({
    traceId: hex(16),
    spanId: hex(8),
    parentSpanId: fc.oneof(fc.constant(''), hex(8)),
    traceState: fc.oneof(fc.constant(''), fc.constant('vendor=value')),
    flags: o.native ? fc.constant(0) : fc.nat(0xffffffff),
    name: fc.string(),
    kind: o.native ? fc.integer({ min: 1, max: 5 }) : fc.integer({ min: 0, max: 5 }),
    startTimeUnixNano: o.native ? time : u64,
    endTimeUnixNano: o.native ? time : u64,
    attributes: a,
    droppedAttributesCount: count,
    events: fc.array(rec({ timeUnixNano: o.native ? time : u64, name: fc.string(), attributes: a, droppedAttributesCount: count }), { maxLength: 2 }),
    droppedEventsCount: count,
    links: fc.array(
      rec({
        traceId: hex(16),
        spanId: hex(8),
        traceState: fc.constant(''),
        attributes: a,
        droppedAttributesCount: count,
        flags: o.native ? fc.nat(255) : fc.nat(0xffffffff),
      }),
      { maxLength: 2 },
    ),
    droppedLinksCount: count,
    status: rec({ code: fc.integer({ min: 0, max: 2 }), message: fc.string() }),
  });
}

export function arbBatch(o: ArbOptions = {}): fc.Arbitrary<SpanBatch> {
  const resource: fc.Arbitrary<ResourceSpans> = rec({
    resource: rec({ attributes: attrs(value(o)), droppedAttributesCount: o.native ? fc.constant(0) : fc.nat(100) }),
    schemaUrl: o.native ? fc.constant('') : fc.string(),
    scopeSpans: fc.array(
      rec({
        scope: rec({
          name: fc.string(),
          version: fc.string(),
          attributes: o.native ? fc.constant(new Map()) : attrs(value(o)),
          droppedAttributesCount: o.native ? fc.constant(0) : fc.nat(100),
        }),
        schemaUrl: fc.string(),
        spans: fc.array(span(o), { minLength: o.native ? 1 : 0, maxLength: 3 }),
      }),
      { minLength: o.native ? 1 : 0, maxLength: 2 },
    ),
  });
  let batch = rec({ resourceSpans: fc.array(resource, { maxLength: 2 }) });
  if (o.native) {
    // The native format carries resource and scope per span and regroups them: keep them distinct.
    batch = batch.filter((b) => {
      const rkeys = b.resourceSpans.map((rs) => JSON.stringify([...rs.resource.attributes], (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
      if (new Set(rkeys).size !== rkeys.length) return false;
      return b.resourceSpans.every((rs) => {
        const skeys = rs.scopeSpans.map((s) => JSON.stringify([s.scope.name, s.scope.version, s.schemaUrl]));
        return new Set(skeys).size === skeys.length;
      });
    });
  }
  return batch;
}
