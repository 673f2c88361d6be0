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

const PARAGRAPH = 'The weather in Paris is mild with light winds from the west; expect sunshine through the afternoon and a cooler evening. ';

/**
 * The same spans carrying a long conversation, as agents' do: each message about 2.4 KB longer
 * in input.value and in its flattened copy, each answer about 1.8 KB longer (about 10 KB a span).
 */
export function longConversation(batch: SpanBatch): SpanBatch {
  const longer = (text: string, n: number) => `${text} ${PARAGRAPH.repeat(n)}`;
  const str = (value: string) => ({ type: 'string' as const, value });
  const spans = batch.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
  for (const s of spans) {
    const a = new Map(s.attributes);
    const input = a.get('input.value');
    if (input?.type === 'string' && input.value.startsWith('{')) {
      const request = JSON.parse(input.value) as { messages?: Array<{ content?: unknown }> };
      for (const m of request.messages ?? []) if (typeof m.content === 'string') m.content = longer(m.content, 20);
      a.set('input.value', str(JSON.stringify(request)));
    }
    const output = a.get('output.value');
    if (output?.type === 'string')
      a.set(
        'output.value',
        str(output.value.startsWith('{') ? output.value.replace('It is sunny in Paris.', `It is sunny in Paris. ${PARAGRAPH.repeat(15)}`) : longer(output.value, 15)),
      );
    for (const [k, v] of a) {
      if (v.type !== 'string') continue;
      if (/^llm\.input_messages\.\d+\.message\.content$/.test(k)) a.set(k, str(longer(v.value, 20)));
      if (/^llm\.output_messages\.\d+\.message\.content$/.test(k)) a.set(k, str(longer(v.value, 15)));
    }
    s.attributes = a;
  }
  return batch;
}
