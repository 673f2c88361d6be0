// Weave's history: POST /calls/stream_query (CallsQueryReq, which refuses unknown fields with
// 422), oldest first, paged by limit and offset; the window is a started_at query. The offset
// is the checkpoint's cursor.
import { callToSpan, type WeaveCall } from './weave-calls.js';
import { batchOf } from './batch.js';
import { inWindow, type Window } from './times.js';
import { postQuery, SourceError, type HistorySource, type Page } from './source.js';

/** Calls per query. */
const PAGE = 200;

const NS_PER_S = 1_000_000_000n;

/** The window as Weave's query language: started_at compared with Unix seconds. */
function windowQuery(w: Window): object | undefined {
  const field = { $getField: 'started_at' };
  const parts: object[] = [];
  // Whole seconds, widened: the exact edges are applied to each call after.
  if (w.since !== undefined) parts.push({ $gte: [field, { $literal: Number(w.since / NS_PER_S) }] });
  if (w.until !== undefined) parts.push({ $not: [{ $gte: [field, { $literal: Number((w.until + NS_PER_S - 1n) / NS_PER_S) }] }] });
  if (!parts.length) return undefined;
  return { $expr: parts.length === 1 ? parts[0] : { $and: parts } };
}

function parseLines(text: string, url: string): WeaveCall[] {
  const out: WeaveCall[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as WeaveCall);
    } catch {
      throw new SourceError(`${url} answered with a line that is not JSON: ${line.slice(0, 80)}`);
    }
  }
  return out;
}

export function weaveSource(o: { url: string; project: string; key: string; window: Window }): HistorySource {
  const url = new URL('/calls/stream_query', o.url).toString();
  const auth = { authorization: `Basic ${Buffer.from(`api:${o.key}`).toString('base64')}`, accept: 'application/jsonl' };
  const query = windowQuery(o.window);
  const name = o.project.split('/')[1] ?? o.project;
  return {
    key: `weave ${new URL(o.url).origin} ${o.project} ${o.window.since ?? ''}..${o.window.until ?? ''}`,
    label: `Weave project ${o.project}`,
    async read(cursor, signal): Promise<Page> {
      const body = {
        project_id: o.project,
        sort_by: [
          { field: 'started_at', direction: 'asc' },
          { field: 'id', direction: 'asc' },
        ],
        limit: PAGE,
        offset: cursor,
        ...(query ? { query } : {}),
      };
      const calls = parseLines(await postQuery(url, auth, body, 'check the source key (--from-key KEY or WANDB_API_KEY) and that it can read --project', signal), url);
      const spans = calls.flatMap((c) => callToSpan(c) ?? []).filter((s) => inWindow(o.window, s.startTimeUnixNano));
      return {
        batch: batchOf(spans, { 'service.name': name, 'weave.project_id': o.project }, 'tracebridge.migrate.weave'),
        next: cursor + calls.length,
        last: calls.length < PAGE,
      };
    },
  };
}
