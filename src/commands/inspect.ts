// `tracebridge inspect [file]`: for each span, the convention found and what Weave and Langtrace
// would show — the tool for "why does my trace look empty".
import { loadMappings } from '../conventions/mappings.js';
import { translateSpan } from '../conventions/translate.js';
import { readSpan } from '../conventions/read/index.js';
import type { Span } from '../model/batch.js';
import { toPlain } from '../model/values.js';
import { decodeFile } from '../wire/files.js';
import { readInput } from './convert.js';
import type { InputFormat } from '../wire/formats.js';
import { langtraceView, weaveView } from '../inspect/views.js';

type Obj = Record<string, unknown>;

const plainAttrs = (s: Span): Obj => Object.fromEntries([...s.attributes].map(([k, v]) => [k, toPlain(v)]));

function messages(v: unknown): Array<{ role: string; content: string }> {
  if (!Array.isArray(v)) return v === undefined ? [] : [{ role: '', content: typeof v === 'string' ? v : JSON.stringify(v) }];
  return v.map((m) => {
    const o = (m ?? {}) as Obj;
    const calls = Array.isArray(o.tool_calls) ? ` [tool calls: ${(o.tool_calls as Obj[]).map((c) => (c.function as Obj)?.name).join(', ')}]` : '';
    return { role: String(o.role ?? ''), content: (typeof o.content === 'string' ? o.content : o.content === undefined ? '' : JSON.stringify(o.content)) + calls };
  });
}

export interface SpanReport {
  name: string;
  spanId: string;
  convention: string;
  weave: { model?: string; input: Array<{ role: string; content: string }>; output: Array<{ role: string; content: string }>; usage: Obj; tools: string[] };
  langtrace: { model?: string; prompt: Array<{ role: string; content: string }>; completion: Array<{ role: string; content: string }>; usage: Obj; vendor?: string; tools: string[] };
}

export function inspectSpans(spans: Array<{ span: Span; scope: string }>): SpanReport[] {
  const mappings = loadMappings();
  return spans.map(({ span, scope }) => {
    const read = readSpan(span, scope, mappings);
    const reads = new Map([[span, read]]);
    const { convention } = read;
    const w = translateSpan(span, scope, 'weave', mappings, reads).span;
    const l = translateSpan(span, scope, 'langtrace', mappings, reads).span;
    const wv = weaveView(plainAttrs(w));
    const lv = langtraceView(
      plainAttrs(l),
      l.events.map((e) => ({ name: e.name, attributes: Object.fromEntries([...e.attributes].map(([k, v]) => [k, toPlain(v)])) })),
    );
    const params = (wv.parameters ?? {}) as Obj;
    const toolNames = (v: unknown) => (Array.isArray(v) ? v.map((t) => String(((t as Obj).function as Obj)?.name ?? (t as Obj).name)) : []);
    const lt = plainAttrs(l)['gen_ai.request.tools'];
    return {
      name: span.name,
      spanId: span.spanId,
      convention: convention ?? 'none',
      weave: { model: wv.model, input: messages(wv.input), output: messages(wv.output), usage: wv.usage, tools: toolNames(params.tools) },
      langtrace: { model: lv.model, prompt: messages(lv.prompt), completion: messages(lv.completion), usage: lv.usage, vendor: lv.vendor, tools: toolNames(typeof lt === 'string' ? JSON.parse(lt) : undefined) },
    };
  });
}

const clip = (s: string, n = 100) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

function render(r: SpanReport): string {
  const msgs = (ms: Array<{ role: string; content: string }>) => (ms.length ? ms.map((m) => `\n      ${m.role ? m.role + ': ' : ''}${clip(m.content)}`).join('') : ' (none)');
  const usage = (u: Obj) => (u.input === undefined && u.output === undefined ? '(none)' : `${u.input ?? '-'} in, ${u.output ?? '-'} out, ${u.total ?? '-'} total`);
  return [
    `span ${r.name} (${r.spanId}) — convention: ${r.convention}`,
    `  Weave:     model ${r.weave.model ?? '(none)'}; tokens ${usage(r.weave.usage)}${r.weave.tools.length ? `; tools ${r.weave.tools.join(', ')}` : ''}`,
    `    inputs:${msgs(r.weave.input)}`,
    `    output:${msgs(r.weave.output)}`,
    `  Langtrace: model ${r.langtrace.model ?? '(none)'}; tokens ${usage(r.langtrace.usage)}; vendor ${r.langtrace.vendor ?? '(none)'}${r.langtrace.tools.length ? `; tools ${r.langtrace.tools.join(', ')}` : ''}`,
    `    prompt:${msgs(r.langtrace.prompt)}`,
    `    completion:${msgs(r.langtrace.completion)}`,
  ].join('\n');
}

export async function inspect(opts: { input?: string; from?: InputFormat; json?: boolean }, out: (s: string) => void): Promise<void> {
  const raw = await readInput(opts.input);
  const spans = decodeFile(raw, opts.from).flatMap((b) => b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, scope: ss.scope.name })))));
  const reports = inspectSpans(spans);
  if (opts.json) out(JSON.stringify(reports, null, 2));
  else out(reports.map(render).join('\n\n') + `\n\n${reports.length} spans; ${reports.filter((r) => r.convention !== 'none').length} with an LLM convention`);
}
