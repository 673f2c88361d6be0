// GET /status (a page) and /status.json (its data): per upstream, spans delivered per minute over
// the last hour, queue depth and the oldest batch's age, retries and the last error, dead letters
// and their reasons; the conventions seen; the last spans received with what Weave and Langtrace
// will show for them (the `inspect` view, nothing more). No credential is ever part of it.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Upstream } from '../forward/upstream.js';
import type { ProxyActivity } from './activity.js';
import { clip, inspectSpans, type SpanReport } from '../commands/inspect.js';
import { VERSION } from '../version.js';
import { parseOrEmpty } from '../forward/spills.js';

interface UpstreamStatus {
  name: string;
  type: string;
  deliveredPerMinute: number[];
  spansDelivered: number;
  queueDepth: number;
  oldestBatchAgeSeconds: number | null;
  full: string | null;
  retries: number;
  lastError: { at: string; reason: string } | null;
  /** Spans the upstream dropped although it answered 2xx (partialSuccess), and its last such answer. */
  spansRejected: number;
  lastRejection: { at: string; rejected: number; message: string } | null;
  deadLetters: { count: number; recent: Array<{ at: string; reason: string; spans: number | null }> };
}

interface Status {
  version: string;
  now: string;
  upstreams: UpstreamStatus[];
  conventions: Array<{ convention: string; spans: number; share: number }>;
  lastSpans: Array<{ at: string } & SpanReport>;
}

/** The dead letters' count and the reasons of the newest few (the reason only: never a request or its headers). */
async function deadLetters(dir: string): Promise<UpstreamStatus['deadLetters']> {
  const files = await readdir(dir).catch(() => [] as string[]);
  const batches = files.filter((f) => f.endsWith('.batch')).sort();
  const recent = [];
  for (const f of batches.slice(-5).reverse()) {
    const note = parseOrEmpty(await readFile(join(dir, f.replace(/\.batch$/, '.json')), 'utf8').catch(() => '{}')) as {
      at?: string;
      reason?: string;
      spans?: number;
      spill?: boolean;
    };
    // A spill was not refused: it goes again by itself, which the reason says.
    const reason = String(note.reason ?? 'unknown') + (note.spill ? ' (sent again automatically once the upstream keeps up)' : '');
    recent.push({ at: note.at ?? '', reason: clip(reason, 160), spans: note.spans ?? null });
  }
  return { count: batches.length, recent };
}

function rejectionOf(u: Upstream): UpstreamStatus['lastRejection'] {
  const r = u.activity.lastRejection;
  return r ? { at: new Date(r.at).toISOString(), rejected: r.rejected, message: clip(r.message, 200) } : null;
}

export async function statusOf(upstreams: Upstream[], activity: ProxyActivity): Promise<Status> {
  const now = Date.now();
  const ups: UpstreamStatus[] = [];
  for (const u of upstreams) {
    const oldest = u.spool.oldestQueuedAt;
    ups.push({
      name: u.name,
      type: u.config.type,
      deliveredPerMinute: u.activity.delivered.series(now),
      spansDelivered: u.activity.spansDelivered,
      queueDepth: u.depth,
      oldestBatchAgeSeconds: oldest === undefined ? null : Math.max(0, Math.round((now - oldest) / 1000)),
      full: u.full ?? null,
      retries: u.activity.retries,
      lastError: u.activity.lastError ? { at: new Date(u.activity.lastError.at).toISOString(), reason: clip(u.activity.lastError.reason, 200) } : null,
      spansRejected: u.activity.spansRejected,
      lastRejection: rejectionOf(u),
      deadLetters: await deadLetters(u.deadLetterFolder),
    });
  }
  const total = [...activity.conventions.values()].reduce((a, b) => a + b, 0);
  const conventions = [...activity.conventions]
    .sort((a, b) => b[1] - a[1])
    .map(([convention, spans]) => ({ convention, spans, share: total ? Math.round((spans / total) * 1000) / 10 : 0 }));
  const recent = activity.lastSpans;
  const reports = inspectSpans(recent.map((r) => ({ span: r.span, scope: r.scope })));
  // What inspect shows, clipped: enough to see why a trace looks empty, not a copy of the data.
  const trim = (ms: Array<{ role: string; content: string }>) => ms.slice(0, 6).map((m) => ({ role: m.role, content: clip(m.content, 200) }));
  const lastSpans = reports.map((r, i) => ({
    at: new Date(recent[i].at).toISOString(),
    ...r,
    // Names only, never values, and not too many of them.
    ...(r.keys ? { keys: r.keys.slice(0, 40).map((k) => clip(k, 80)) } : {}),
    weave: { ...r.weave, input: trim(r.weave.input), output: trim(r.weave.output) },
    langtrace: { ...r.langtrace, prompt: trim(r.langtrace.prompt), completion: trim(r.langtrace.completion) },
  }));
  return { version: VERSION, now: new Date(now).toISOString(), upstreams: ups, conventions, lastSpans };
}

/** The page: no build step and nothing fetched from elsewhere; it reads /status.json every 5 s. */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tracebridge status</title>
<style>
  :root { --fg: #1d2330; --muted: #6b7385; --line: #e3e6ec; --ok: #1f8a4c; --warn: #b7791f; --bad: #c0392b; --accent: #3b5bdb; }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; background: #f6f7f9; }
  header { background: #1d2330; color: #fff; padding: 12px 24px; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header .muted { color: #aab1c0; }
  main { padding: 16px 24px; display: grid; gap: 16px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
  h2 { font-size: 15px; margin: 0 0 10px; }
  .upstreams { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 16px; }
  .figures { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; margin: 8px 0; }
  .figure b { display: block; font-size: 20px; }
  .figure span { color: var(--muted); font-size: 12px; }
  .muted { color: var(--muted); }
  .bad { color: var(--bad); } .warn { color: var(--warn); } .ok { color: var(--ok); }
  svg.chart { width: 100%; height: 60px; background: #fafbfc; border: 1px solid var(--line); border-radius: 4px; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; }
  .bar { height: 8px; background: var(--accent); border-radius: 4px; }
  .span { border-top: 1px solid var(--line); padding: 8px 0; }
  .span:first-child { border-top: 0; }
  .cols { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
  .msg { white-space: pre-wrap; word-break: break-word; font-size: 12px; }
  code { font-size: 12px; }
</style>
</head>
<body>
<header><h1>tracebridge</h1><span class="muted" id="meta">loading…</span></header>
<main>
  <div class="upstreams" id="upstreams"></div>
  <section><h2>Conventions seen</h2><table id="conventions"><tbody></tbody></table></section>
  <section><h2>Last spans received — what each backend will show</h2><div id="spans"></div></section>
</main>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const fmt = (n) => Number(n).toLocaleString('en-US');
const ago = (iso) => { const s = Math.round((Date.now() - Date.parse(iso)) / 1000); return s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago'; };
function chart(series) {
  const max = Math.max(1, ...series), w = 300, h = 60, step = w / series.length;
  const bars = series.map((v, i) => '<rect x="' + (i * step + 0.5).toFixed(1) + '" y="' + (h - (v / max) * (h - 4)).toFixed(1) + '" width="' + Math.max(1, step - 1).toFixed(1) + '" height="' + ((v / max) * (h - 4)).toFixed(1) + '" fill="#3b5bdb"></rect>').join('');
  return '<svg class="chart" viewBox="0 0 ' + w + ' ' + h + '" preserveAspectRatio="none" role="img" aria-label="spans delivered per minute, last hour">' + bars + '</svg>';
}
function messages(ms) { return ms.length ? ms.map((m) => '<div class="msg"><b>' + esc(m.role) + '</b> ' + esc(m.content) + '</div>').join('') : '<div class="muted">(none)</div>'; }
function usage(u) { return u.input === undefined && u.output === undefined ? 'no tokens' : fmt(u.input ?? 0) + ' in, ' + fmt(u.output ?? 0) + ' out'; }
function render(s) {
  document.getElementById('meta').textContent = 'v' + s.version + ' · updated ' + new Date(s.now).toLocaleTimeString() + ' · refreshes every 5 s';
  document.getElementById('upstreams').innerHTML = s.upstreams.map((u) => {
    const perMin = u.deliveredPerMinute;
    const lastMin = perMin[perMin.length - 1] + perMin[perMin.length - 2];
    return '<section data-upstream="' + esc(u.name) + '"><h2>' + esc(u.name) + ' <span class="muted">(' + esc(u.type) + ')</span>' + (u.full ? ' <span class="bad">' + esc(u.full) + '</span>' : '') + '</h2>' +
      chart(perMin) + '<div class="muted" style="font-size:12px">spans delivered per minute, last hour</div>' +
      '<div class="figures">' +
      '<div class="figure"><b class="delivered">' + fmt(u.spansDelivered) + '</b><span>spans delivered (' + fmt(lastMin) + ' in the last 2 min)</span></div>' +
      '<div class="figure"><b class="depth">' + fmt(u.queueDepth) + '</b><span>batches queued' + (u.oldestBatchAgeSeconds !== null ? ', oldest ' + u.oldestBatchAgeSeconds + ' s' : '') + '</span></div>' +
      '<div class="figure"><b class="retries ' + (u.retries ? 'warn' : '') + '">' + fmt(u.retries) + '</b><span>retries</span></div></div>' +
      (u.lastRejection ? '<div class="last-rejection"><span class="warn">' + fmt(u.spansRejected) + ' spans rejected in accepted answers</span>, last ' + ago(u.lastRejection.at) + ' (' + fmt(u.lastRejection.rejected) + '): <code>' + esc(u.lastRejection.message) + '</code></div>' : '') +
      (u.lastError ? '<div class="last-error"><span class="bad">last error</span> ' + ago(u.lastError.at) + ': <code>' + esc(u.lastError.reason) + '</code></div>' : '<div class="ok">no errors</div>') +
      '<div class="dead" style="margin-top:6px"><b class="dead-count">' + fmt(u.deadLetters.count) + '</b> dead letters' +
      (u.deadLetters.recent.length ? '<table><thead><tr><th>when</th><th>spans</th><th>reason</th></tr></thead><tbody>' + u.deadLetters.recent.map((d) => '<tr><td>' + esc(d.at ? ago(d.at) : '') + '</td><td>' + esc(d.spans ?? '?') + '</td><td><code>' + esc(d.reason) + '</code></td></tr>').join('') + '</tbody></table>' : '') +
      '</div></section>';
  }).join('');
  document.querySelector('#conventions tbody').innerHTML = s.conventions.length ? s.conventions.map((c) =>
    '<tr data-convention="' + esc(c.convention) + '"><td style="width:180px">' + esc(c.convention) + '</td><td style="width:90px" class="spans">' + fmt(c.spans) + '</td><td style="width:60px">' + c.share + '%</td><td><div class="bar" style="width:' + c.share + '%"></div></td></tr>').join('') : '<tr><td class="muted">no spans yet</td></tr>';
  document.getElementById('spans').innerHTML = s.lastSpans.length ? s.lastSpans.map((r) =>
    '<div class="span"><div><b>' + esc(r.name) + '</b> <span class="muted">' + esc(r.spanId) + ' · ' + esc(r.convention) + ' · ' + ago(r.at) + '</span></div><div class="cols">' +
    '<div><div class="muted">Weave: ' + esc(r.weave.kind ?? '') + ' · model ' + esc(r.weave.model ?? '(none)') + ' · ' + usage(r.weave.usage) + '</div>' + messages(r.weave.input) + messages(r.weave.output) + '</div>' +
    '<div><div class="muted">Langtrace: ' + esc(r.langtrace.type ?? '') + ' · model ' + esc(r.langtrace.model ?? '(none)') + ' · vendor ' + esc(r.langtrace.vendor ?? '(none)') + ' · ' + usage(r.langtrace.usage) + '</div>' + messages(r.langtrace.prompt) + messages(r.langtrace.completion) + '</div>' +
    '</div>' + (r.keys ? '<div class="keys muted">no prompt or completion found; the span has: <code>' + esc(r.keys.join(', ')) + '</code></div>' : '') + '</div>').join('') : '<div class="muted">no spans yet</div>';
  document.body.dataset.updated = s.now;
}
async function refresh() {
  try {
    const r = await fetch('status.json', { cache: 'no-store' });
    if (r.ok) render(await r.json());
    else document.getElementById('meta').textContent = 'status unavailable: HTTP ' + r.status;
  } catch (e) { document.getElementById('meta').textContent = 'tracebridge not reachable: ' + e.message; }
}
refresh();
setInterval(refresh, 5000);
</script>
</body>
</html>
`;
