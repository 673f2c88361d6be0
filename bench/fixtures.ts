// Realistic LLM batches for benchmarks, made from real instrumentations' spans.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Span, SpanBatch } from '../src/model/batch.js';
import { decodeOtlpProto } from '../src/wire/otlp-proto.js';

export type Source = 'openinference' | 'openllmetry' | 'langtrace';

export function captured(source: Source): SpanBatch {
  const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
  const script = fileURLToPath(new URL('./capture.ts', import.meta.url));
  const file = join(mkdtempSync(join(tmpdir(), 'tracebridge-bench-')), `${source}.pb`);
  execFileSync(tsx, [script, source, file], { stdio: ['ignore', 'ignore', 'inherit'] });
  return decodeOtlpProto(readFileSync(file));
}

/** A batch of `n` spans cycling through the captured ones, each with fresh ids, in one resource. */
export function batchOf(template: SpanBatch, n: number): SpanBatch {
  const rs = template.resourceSpans[0];
  const ss = rs.scopeSpans[0];
  const pool: Span[] = template.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  const spans: Span[] = [];
  const traceId = randomBytes(16).toString('hex');
  for (let i = 0; i < n; i++) {
    const s = pool[i % pool.length];
    spans.push({ ...s, traceId, spanId: randomBytes(8).toString('hex'), parentSpanId: '' });
  }
  return { resourceSpans: [{ ...rs, scopeSpans: [{ ...ss, spans }] }] };
}
