// A page of spans as one batch: one resource naming where the history came from, one scope.
import type { AnyValue, Span, SpanBatch } from '../../model/batch.js';

export function batchOf(spans: Span[], resource: Record<string, string>, scope: string): SpanBatch {
  const attributes = new Map(Object.entries(resource).map(([k, v]): [string, AnyValue] => [k, { type: 'string', value: v }]));
  return {
    resourceSpans: [
      {
        resource: { attributes, droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeSpans: [{ scope: { name: scope, version: '', attributes: new Map(), droppedAttributesCount: 0 }, schemaUrl: '', spans }],
      },
    ],
  };
}
