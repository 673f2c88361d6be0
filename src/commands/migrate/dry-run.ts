// `migrate --dry-run`: the history read as a run would read it, counted, and its first spans
// shown as `inspect` shows them; nothing is sent and the checkpoint is not written.
import type { Span } from '../../model/batch.js';
import { escapeControl } from '../../inspect/escape.js';
import { clip, inspectSpans, type SpanReport } from '../inspect.js';
import { Checkpoint } from '../checkpoint.js';
import { SourceError, type HistorySource } from './source.js';
import { destinationName, upstreamOf, type DestinationOptions } from './destination.js';

const SAMPLE = 5;

interface DryRunCounts {
  spans: number;
  traces: number;
  errors: number;
  sentBefore: number;
  pages: number;
}

const one = (v: string | undefined) => escapeControl(v ?? '');

function lines(r: SpanReport, to: DestinationOptions['to']): string {
  const msgs = (ms: Array<{ role: string; content: string }>) =>
    ms.length ? ms.map((m) => `\n      ${m.role ? one(m.role) + ': ' : ''}${escapeControl(clip(m.content), true)}`).join('') : ' (none)';
  const usage = (u: Record<string, unknown>) =>
    u.input === undefined && u.output === undefined ? '(none)' : `${u.input ?? '-'} in, ${u.output ?? '-'} out, ${u.total ?? '-'} total`;
  const head = `span ${one(r.name)} (${one(r.spanId)}) — convention: ${one(r.convention)}${r.error !== undefined ? ` — status: ERROR ${one(clip(r.error))}` : ''}`;
  const w = r.weave;
  const l = r.langtrace;
  const weave = [
    `  Weave:     ${w.kind ? one(w.kind) + ' span; ' : ''}model ${one(w.model ?? '(none)')}; tokens ${usage(w.usage)}`,
    `    inputs:${msgs(w.input)}`,
    `    output:${msgs(w.output)}`,
  ];
  const langtrace = [
    `  Langtrace: ${l.type ? one(l.type) + ' span; ' : ''}model ${one(l.model ?? '(none)')}; tokens ${usage(l.usage)}; vendor ${one(l.vendor ?? '(none)')}`,
    `    prompt:${msgs(l.prompt)}`,
    `    completion:${msgs(l.completion)}`,
  ];
  return [head, ...(to !== 'langtrace' ? weave : []), ...(to !== 'weave' ? langtrace : [])].join('\n');
}

const SHOWN = { weave: 'Weave', langtrace: 'Langtrace', otlp: 'Weave and Langtrace' };

/** Reads every page from the checkpoint's cursor on; prints the counts and a sample. */
export async function dryRun(source: HistorySource, dest: DestinationOptions & { checkpoint: string }, out: (s: string) => void, signal?: AbortSignal): Promise<DryRunCounts> {
  const cp = await Checkpoint.open(dest.checkpoint, destinationName(dest, upstreamOf(dest)));
  const history = cp.history(source.key);
  const counts: DryRunCounts = { spans: 0, traces: 0, errors: 0, sentBefore: 0, pages: 0 };
  const traces = new Set<string>();
  const sample: Array<{ span: Span; scope: string }> = [];
  let cursor = history.cursor;
  for (;;) {
    if (signal?.aborted) throw new SourceError('interrupted');
    const page = await source.read(cursor, signal);
    counts.pages++;
    for (const rs of page.batch.resourceSpans)
      for (const ss of rs.scopeSpans)
        for (const span of ss.spans) {
          counts.spans++;
          traces.add(span.traceId);
          if (span.status.code === 2) counts.errors++;
          if (history.acked.has(span.spanId)) counts.sentBefore++;
          else if (sample.length < SAMPLE) sample.push({ span, scope: ss.scope.name });
        }
    cursor = page.next;
    if (page.last) break;
  }
  counts.traces = traces.size;
  if (sample.length)
    out(
      `The first ${sample.length} spans as ${SHOWN[dest.to]} would show them:\n\n${inspectSpans(sample)
        .map((r) => lines(r, dest.to))
        .join('\n\n')}\n`,
    );
  return counts;
}
