// Exported history for the replay tests: numbered LLM spans (span id = its number), written as
// the files users export.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { emptySpan, type SpanBatch } from '../../src/model/batch.js';
import { encodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { encodeOtlpJson } from '../../src/wire/otlp-json.js';
import { encodeLangtraceNative } from '../../src/wire/langtrace.js';

export function history(from: number, n: number): SpanBatch {
  const spans = Array.from({ length: n }, (_, i) => ({
    ...emptySpan(),
    traceId: (from + i).toString(16).padStart(32, '0'),
    spanId: (from + i).toString(16).padStart(16, '0'),
    name: 'openai.chat',
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_001_000_000_000n,
    attributes: new Map([
      ['llm.vendor', { type: 'string' as const, value: 'openai' }],
      ['llm.request.model', { type: 'string' as const, value: 'gpt-4' }],
      ['llm.usage.prompt_tokens', { type: 'int' as const, value: 10n }],
      ['llm.usage.completion_tokens', { type: 'int' as const, value: 5n }],
      ['llm.request.messages', { type: 'string' as const, value: `[{"role":"user","content":"question ${from + i}"}]` }],
    ]),
  }));
  return {
    resourceSpans: [
      {
        resource: { attributes: new Map([['service.name', { type: 'string', value: 'history' }]]), droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeSpans: [{ scope: { name: 'x', version: '', attributes: new Map(), droppedAttributesCount: 0 }, schemaUrl: '', spans }],
      },
    ],
  };
}

/** A temporary folder holding `export/` with 3,500 spans in four files of four formats. */
export function exportDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tb-replay-'));
  mkdirSync(join(dir, 'export', 'nested'), { recursive: true });
  writeFileSync(join(dir, 'export', 'a.pb'), encodeOtlpProto(history(1, 1000)));
  writeFileSync(join(dir, 'export', 'b.json.gz'), gzipSync(encodeOtlpJson(history(2001, 800))));
  writeFileSync(join(dir, 'export', 'nested', 'c.jsonl'), [encodeOtlpJson(history(4001, 600)), encodeOtlpJson(history(5001, 600))].join('\n') + '\n');
  writeFileSync(join(dir, 'export', 'nested', 'd.json'), encodeLangtraceNative(history(7001, 500)));
  return dir;
}

/** A temporary folder holding one JSON-lines file of `n` spans in batches of 100 (`part-0.jsonl`). */
export function oneFile(n: number): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tb-replay-'));
  const file = join(dir, 'part-0.jsonl');
  const lines = [];
  for (let i = 0; i < n; i += 100) lines.push(encodeOtlpJson(history(i + 1, Math.min(100, n - i))));
  writeFileSync(file, lines.join('\n') + '\n');
  return { dir, file };
}

/** Distinct span ids among those received. */
export const unique = (spans: Array<{ spanId: string }>) => new Set(spans.map((s) => s.spanId)).size;
