// Langtrace's history: POST /api/traces ({projectId, page, pageSize} with a project key),
// answering {traces: {result: traces (arrays of stored spans), metadata: {page, page_size,
// total_pages}}}. A page past the end repeats the last one, so paging follows total_pages; the
// checkpoint's cursor is the number of pages done.
import { postQuery, SourceError, type HistorySource, type Page } from './source.js';
import { storedToBatch, traceStart, type StoredSpan } from './langtrace-spans.js';
import { inWindow, type Window } from './times.js';
import { batchOf } from './batch.js';

/** Traces per query (Langtrace reads each trace of a page with a query of its own). */
const PAGE = 20;

interface TracesAnswer {
  traces?: { result?: unknown; metadata?: { total_pages?: unknown } };
}

function readAnswer(text: string, url: string): { traces: StoredSpan[][]; pages: number } {
  let doc: TracesAnswer;
  try {
    doc = JSON.parse(text) as TracesAnswer;
  } catch {
    throw new SourceError(`${url} answered with something that is not JSON: ${text.slice(0, 80)}`);
  }
  const result = doc.traces?.result;
  const pages = doc.traces?.metadata?.total_pages;
  if (!Array.isArray(result) || typeof pages !== 'number') throw new SourceError(`${url} answered without traces.result and traces.metadata.total_pages: ${text.slice(0, 80)}`);
  return { traces: result.filter(Array.isArray) as StoredSpan[][], pages };
}

export function langtraceSource(o: { url: string; project: string; key: string; window: Window }): HistorySource {
  const url = new URL('/api/traces', o.url).toString();
  return {
    key: `langtrace ${new URL(o.url).origin} ${o.project} ${o.window.since ?? ''}..${o.window.until ?? ''}`,
    label: `Langtrace project ${o.project}`,
    async read(cursor, signal): Promise<Page> {
      const page = cursor + 1;
      const text = await postQuery(
        url,
        { 'x-api-key': o.key },
        { projectId: o.project, page, pageSize: PAGE },
        "check the source key (--from-key KEY or LANGTRACE_API_KEY: the project's API key) and --project",
        signal,
      );
      const { traces, pages } = readAnswer(text, url);
      // Past the end the last page comes again: it was read already.
      if (page > pages) return { batch: batchOf([], {}, 'langtrace'), next: cursor, last: true };
      const kept = traces.filter((t) => t.length && inWindow(o.window, traceStart(t)));
      return { batch: storedToBatch(kept.flat(), o.project), next: page, last: page >= pages };
    },
  };
}
