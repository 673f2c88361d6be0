// The straightforward way to write Langtrace's native body, which the text writer is checked against.
import type { Attributes, SpanBatch } from '../../src/model/batch.js';
import { toPlain } from '../../src/model/values.js';

function plain(a: Attributes): Record<string, unknown> {
  const o: Record<string, unknown> = Object.create(null);
  for (const [k, v] of a) o[k] = toPlain(v);
  return o;
}

const NS = 1_000_000_000n;
const hr = (ns: bigint) => [Number(ns / NS), Number(ns % NS)];

/** Langtrace's native span array built as objects and stringified whole: what the SDK's exporter does. */
export function nativeReference(batch: SpanBatch): string {
  const out: unknown[] = [];
  for (const rs of batch.resourceSpans) {
    const attrs = plain(rs.resource.attributes);
    const resource = { _attributes: attrs, asyncAttributesPending: false, _syncAttributes: attrs };
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans)
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          traceState: s.traceState || undefined,
          name: s.name,
          startTime: hr(s.startTimeUnixNano),
          endTime: hr(s.endTimeUnixNano),
          attributes: plain(s.attributes),
          kind: Math.max(0, s.kind - 1),
          status: s.status.message ? { code: s.status.code, message: s.status.message } : { code: s.status.code },
          events: s.events.map((e) => ({ name: e.name, attributes: plain(e.attributes), time: hr(e.timeUnixNano), droppedAttributesCount: e.droppedAttributesCount })),
          resource,
          links: s.links.map((l) => ({
            context: { traceId: l.traceId, spanId: l.spanId, traceFlags: l.flags, traceState: l.traceState || undefined },
            attributes: plain(l.attributes),
            droppedAttributesCount: l.droppedAttributesCount,
          })),
          parentSpanId: s.parentSpanId || undefined,
          instrumentationLibrary: { name: ss.scope.name, version: ss.scope.version || undefined, ...(ss.schemaUrl ? { schemaUrl: ss.schemaUrl } : {}) },
          duration: hr(s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n),
          droppedEventsCount: s.droppedEventsCount,
          droppedAttributesCount: s.droppedAttributesCount,
          droppedLinksCount: s.droppedLinksCount,
          ended: true,
        });
  }
  return JSON.stringify(out);
}
