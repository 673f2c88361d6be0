// Reads one span into the canonical record: the detected convention first, then the others
// to fill what it lacks (a span may mix conventions).
import type { AnyValue, Span } from '../../model/batch.js';
import { readScalar } from '../attrs.js';
import { detect, readingOrder } from '../detect.js';
import type { Convention, Mappings } from '../mappings.js';
import { SCALAR_FIELDS, type ScalarField } from '../record.js';
import { ReadContext } from './context.js';
import { STRUCTURED_READERS } from './conventions.js';

export interface ReadResult {
  convention: Convention | undefined;
  ctx: ReadContext;
}

type Hit = { rank: number; key: string; fields: ScalarField[]; value: AnyValue };

const byRank = (a: Hit, b: Hit) => a.rank - b.rank;

/** Each convention's place in the reading order, per detected convention (computed once). */
const PLACES = new Map<Convention | undefined, Record<Convention, number>>();
function placeIn(primary: Convention | undefined): Record<Convention, number> {
  let p = PLACES.get(primary);
  if (!p) PLACES.set(primary, (p = Object.fromEntries(readingOrder(primary).map((c, i) => [c, i])) as Record<Convention, number>));
  return p;
}

export function readSpan(span: Span, scopeName: string, mappings: Mappings): ReadResult {
  const convention = detect(span.attributes, scopeName, span.events.map((e) => e.name));
  const ctx = new ReadContext(span.attributes, span.events);
  const order = readingOrder(convention);
  const place = placeIn(convention);
  // One lookup per attribute, bucketed by the convention's place in the reading order.
  const buckets: Array<Hit[] | undefined> = [];
  for (const [key, value] of span.attributes) {
    const hits = mappings.byKey.get(key);
    if (hits) for (const h of hits) (buckets[place[h.convention]] ??= []).push({ rank: h.rank, key, fields: h.fields, value });
  }
  for (let i = 0; i < order.length; i++) {
    // Within one convention, its table's order decides which key wins.
    const bucket = buckets[i];
    if (bucket) for (const h of bucket.length > 1 ? bucket.sort(byRank) : bucket) for (const f of h.fields) ctx.scalar(f, readScalar(h.value, SCALAR_FIELDS[f]), h.key);
    STRUCTURED_READERS[order[i]](ctx);
  }
  // OpenInference's one model name stands for the request model too.
  if (ctx.call.requestModel === undefined && ctx.call.responseModel !== undefined && (span.attributes.has('llm.model_name') || span.attributes.has('embedding.model_name')))
    ctx.scalar('requestModel', ctx.call.responseModel, undefined);
  // Providers are compared lower-case everywhere (Langtrace's SDK writes "OpenAI").
  if (ctx.call.provider) ctx.call.provider = ctx.call.provider.toLowerCase();
  return { convention, ctx };
}
