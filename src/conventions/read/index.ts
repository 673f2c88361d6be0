// Reads one span into the canonical record: the detected convention first, then the others
// to fill what it lacks (a span may mix conventions).
import type { Span } from '../../model/batch.js';
import { readScalar } from '../attrs.js';
import { detect, readingOrder } from '../detect.js';
import type { Convention, Mappings } from '../mappings.js';
import { SCALAR_FIELDS } from '../record.js';
import { ReadContext } from './context.js';
import { STRUCTURED_READERS } from './conventions.js';

export interface ReadResult {
  convention: Convention | undefined;
  ctx: ReadContext;
}

export function readSpan(span: Span, scopeName: string, mappings: Mappings): ReadResult {
  const convention = detect(span.attributes, scopeName, span.events.map((e) => e.name));
  const ctx = new ReadContext(span.attributes, span.events);
  for (const conv of readingOrder(convention)) {
    for (const [key, fields] of mappings.read[conv]) {
      const v = span.attributes.get(key);
      if (v === undefined) continue;
      for (const f of fields) ctx.scalar(f, readScalar(v, SCALAR_FIELDS[f]), key);
    }
    STRUCTURED_READERS[conv](ctx);
  }
  // OpenInference's one model name stands for the request model too.
  if (ctx.call.requestModel === undefined && ctx.call.responseModel !== undefined && (span.attributes.has('llm.model_name') || span.attributes.has('embedding.model_name')))
    ctx.scalar('requestModel', ctx.call.responseModel, undefined);
  // Providers are compared lower-case everywhere (Langtrace's SDK writes "OpenAI").
  if (ctx.call.provider) ctx.call.provider = ctx.call.provider.toLowerCase();
  return { convention, ctx };
}
