// What migrate reads history from: a backend's query API, page by page. A page's cursor is
// what the checkpoint records; the spans carry ids that are the same on every run.
import type { SpanBatch } from '../../model/batch.js';
import { escapeControl } from '../../inspect/escape.js';

export interface Page {
  /** The spans of this page inside the window (may be none while later pages have some). */
  batch: SpanBatch;
  /** The cursor after this page. */
  next: number;
  /** No page after this one. */
  last: boolean;
}

export interface HistorySource {
  /** Names the history in the checkpoint: backend, URL, project and window. */
  key: string;
  /** How the summary names it. */
  label: string;
  read(cursor: number, signal?: AbortSignal): Promise<Page>;
}

/** The source refused the key (401/403) or the request: the run stops with its reply and the fix. */
export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const TRIES = 4;

/** The first bytes of a reply, safe to print. */
const replyText = (body: string) => escapeControl(body.trim().slice(0, 300));

/**
 * POSTs a JSON query and returns the reply's text. Connection failures and 5xx are tried again a
 * few times (0.5, 1, 2 s); any other refusal is a SourceError naming `fix` for 401/403.
 */
export async function postQuery(url: string, headers: Record<string, string>, body: unknown, fix: string, signal?: AbortSignal): Promise<string> {
  let last = '';
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
    if (signal?.aborted) throw new SourceError('interrupted');
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });
    } catch (err) {
      if (signal?.aborted) throw new SourceError('interrupted');
      last = `${url} cannot be reached (${(err as Error).cause ? String(((err as Error).cause as Error).message) : (err as Error).message})`;
      continue;
    }
    const text = await res.text();
    if (res.ok) return text;
    const reply = replyText(text);
    if (res.status === 401 || res.status === 403)
      throw new SourceError(`${url} refused the key (HTTP ${res.status}${reply ? `: ${reply}` : ''}); ${fix}, then run the same command again`, res.status);
    last = `${url} answered HTTP ${res.status}${reply ? `: ${reply}` : ''}`;
    if (res.status < 500) throw new SourceError(last, res.status);
  }
  throw new SourceError(`${last}; tried ${TRIES} times`);
}
