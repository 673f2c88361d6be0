// `tracebridge inspect [files or dirs…]`: for each span, the convention found and what Weave and Langtrace
// would show — the tool for "why does my trace look empty".
import { loadMappings } from '../conventions/mappings.js';
import { translateSpan } from '../conventions/translate.js';
import { readSpan, type ReadResult } from '../conventions/read/index.js';
import type { Slot } from '../conventions/read/context.js';
import { compileRules, type RedactRules, type Redactor } from '../conventions/redact.js';
import { UsageError } from './usage.js';
import type { Span } from '../model/batch.js';
import { toPlain } from '../model/values.js';
import { decodeFile } from '../wire/files.js';
import { readInput } from './convert.js';
import { DecodeError } from '../wire/errors.js';
import type { InputFormat } from '../wire/formats.js';
import { langtraceView, weaveView } from '../inspect/views.js';
import { escapeControl, escapeJson } from '../inspect/escape.js';
import { walk } from './inputs.js';
import { readToolCalls, toolCallsIn } from '../conventions/read/messages.js';
import type { ToolCall } from '../conventions/record.js';

type Obj = Record<string, unknown>;

const plainAttrs = (s: Span): Obj => Object.fromEntries([...s.attributes].map(([k, v]) => [k, toPlain(v)]));

/** A content part as a line of text: its text, or a bracketed reference to an image, audio or file. */
function partText(p: Obj): string {
  if (p.type === 'text') return String(p.text ?? '');
  if (p.type === 'reasoning') return `[reasoning: ${String(p.text ?? '')}]`;
  // Inline data is named by its type and size, not printed.
  const short = (u: string) => (u.startsWith('data:') ? `${u.slice(0, u.indexOf(',') + 1)}… (${Math.floor(((u.length - u.indexOf(',') - 1) * 3) / 4)} bytes)` : u);
  const url = (k: string) => short(((p[k] as Obj | undefined)?.url as string | undefined) ?? '');
  if (p.type === 'image_url') return `[image ${url('image_url')}]`;
  if (p.type === 'audio_url' || p.type === 'input_audio') return `[audio ${url('audio_url') || 'inline'}]`;
  if (p.type === 'video_url') return `[video ${url('video_url')}]`;
  if (p.type === 'file') {
    const f = (p.file ?? {}) as Obj;
    return `[file ${String(f.file_id ?? f.url ?? 'inline')}]`;
  }
  return JSON.stringify(p);
}

const callText = (c: ToolCall) => `${c.name}(${c.arguments})`;

function messages(v: unknown): Array<{ role: string; content: string }> {
  if (!Array.isArray(v)) return v === undefined ? [] : [{ role: '', content: typeof v === 'string' ? v : JSON.stringify(v) }];
  return v.map((m) => {
    const o = (m ?? {}) as Obj;
    // Langtrace's SDKs carry a turn's tool calls as JSON in its content: shown as the calls they are.
    const inContent = typeof o.content === 'string' && o.content.startsWith('[{') ? toolCallsIn(o.content) : undefined;
    const calls = (inContent ?? readToolCalls(o.tool_calls) ?? []).map(callText);
    const text = inContent
      ? ''
      : typeof o.content === 'string'
        ? o.content
        : Array.isArray(o.content)
          ? (o.content as Obj[]).map(partText).join(' ')
          : o.content === undefined || o.content === null
            ? ''
            : JSON.stringify(o.content);
    const content = [text, ...(calls.length ? [`[tool calls: ${calls.join(', ')}]`] : [])].filter(Boolean).join(' ');
    return { role: String(o.role ?? (o.tool_call_id ? 'tool' : '')), content };
  });
}

export interface SpanReport {
  name: string;
  spanId: string;
  convention: string;
  /** Set when the span failed: its status message, as Weave shows it for the call's exception. */
  error?: string;
  /** Where each field was read from: a key, a list of keys (`prefix.*`), or an event. */
  from: Record<string, string>;
  /** When nothing gave a prompt or a completion: the span's attribute keys and event names (never values). */
  keys?: string[];
  weave: { kind?: string; model?: string; input: Array<{ role: string; content: string }>; output: Array<{ role: string; content: string }>; usage: Obj; tools: string[] };
  /** `type`: Langtrace's span type (only `llm` spans count tokens); a framework span shows its input and output attributes. */
  langtrace: {
    type?: string;
    model?: string;
    prompt: Array<{ role: string; content: string }>;
    completion: Array<{ role: string; content: string }>;
    usage: Obj;
    vendor?: string;
    tools: string[];
  };
}

const FROM: Array<[string, Slot[]]> = [
  ['model', ['responseModel', 'requestModel']],
  ['input', ['input', 'inputValue', 'tool.arguments']],
  ['output', ['output', 'outputValue', 'tool.result']],
  ['tokens', ['usage.input', 'usage.output']],
  ['tools', ['tools']],
];

/** For each shown field, the keys it came from. */
function origins(read: ReadResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, slots] of FROM) {
    const found = [...new Set(slots.map((s) => read.ctx.origins.get(s)).filter((o): o is string => o !== undefined))];
    if (found.length) out[name] = found.join(', ');
  }
  return out;
}

/** The names a span carries, for a span that shows no prompt or completion. */
const keysOf = (span: Span): string[] => [...span.attributes.keys(), ...span.events.map((e) => `event ${e.name}`)];

export function inspectSpans(spans: Array<{ span: Span; scope: string }>, redactor?: Redactor): SpanReport[] {
  const mappings = loadMappings();
  const redacted = (s: Span) => (redactor ? redactor.span(s, new Map()) : s);
  return spans.map(({ span, scope }) => {
    const read = readSpan(span, scope, mappings);
    const { convention } = read;
    const w = redacted(translateSpan(span, scope, 'weave', mappings, read).span);
    const l = redacted(translateSpan(span, scope, 'langtrace', mappings, read).span);
    const wv = weaveView(
      plainAttrs(w),
      w.events.map((e) => ({ name: e.name, attributes: Object.fromEntries([...e.attributes].map(([k, v]) => [k, toPlain(v)])) })),
    );
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
      ...(span.status.code === 2 ? { error: span.status.message } : {}),
      from: origins(read),
      ...(empty(read) ? { keys: keysOf(span) } : {}),
      weave: { kind: wv.kind, model: wv.model, input: messages(wv.input), output: messages(wv.output), usage: wv.usage, tools: toolNames(params.tools) },
      langtrace: {
        type: lv.type,
        model: lv.model,
        prompt: messages(lv.prompt ?? lv.io.input),
        completion: messages(lv.completion ?? lv.io.output),
        usage: lv.usage,
        vendor: lv.vendor,
        tools: toolNames(typeof lt === 'string' ? JSON.parse(lt) : undefined),
      },
    };
  });
}

/** Nothing read as its input or its output. */
const empty = (read: ReadResult) => {
  const c = read.ctx.call;
  return !c.input && !c.inputValue && !c.tool?.arguments && !c.output && !c.outputValue && !c.tool?.result;
};

export const clip = (s: string, n = 100) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/** Text from the trace, shown on one line: control characters escaped, never obeyed. */
const one = (v: string | undefined) => escapeControl(v ?? '');

function render(r: SpanReport): string {
  const msgs = (ms: Array<{ role: string; content: string }>) =>
    ms.length ? ms.map((m) => `\n      ${m.role ? one(m.role) + ': ' : ''}${escapeControl(clip(m.content), true)}`).join('') : ' (none)';
  const usage = (u: Obj) =>
    u.input === undefined && u.output === undefined ? '(none)' : `${one(String(u.input ?? '-'))} in, ${one(String(u.output ?? '-'))} out, ${one(String(u.total ?? '-'))} total`;
  const tools = (ts: string[]) => (ts.length ? `; tools ${ts.map(one).join(', ')}` : '');
  const kind = (k: string | undefined) => (k ? one(k) + ' span; ' : '');
  const w = r.weave;
  const l = r.langtrace;
  return [
    `span ${one(r.name)} (${one(r.spanId)}) — convention: ${one(r.convention)}${r.error !== undefined ? ` — status: ERROR ${one(clip(r.error))}`.trimEnd() : ''}`,
    `  Weave:     ${kind(w.kind)}model ${one(w.model ?? '(none)')}; tokens ${usage(w.usage)}${tools(w.tools)}`,
    `    inputs:${msgs(w.input)}`,
    `    output:${msgs(w.output)}`,
    `  Langtrace: ${kind(l.type)}model ${one(l.model ?? '(none)')}; tokens ${usage(l.usage)}; vendor ${one(l.vendor ?? '(none)')}${tools(l.tools)}`,
    `    prompt:${msgs(l.prompt)}`,
    `    completion:${msgs(l.completion)}`,
    ...(Object.keys(r.from).length
      ? [
          `  read from: ${Object.entries(r.from)
            .map(([k, v]) => `${k} ← ${one(v)}`)
            .join('; ')}`,
        ]
      : []),
    ...(r.keys ? [`  no prompt or completion found; the span has: ${r.keys.map(one).join(', ') || '(no attributes)'}`] : []),
  ].join('\n');
}

type Located = { span: Span; scope: string };

const spansOf = (raw: Uint8Array, from: InputFormat | undefined): Located[] =>
  decodeFile(raw, from).flatMap((b) => b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, scope: ss.scope.name })))));

/** Every span of every input (stdin when there is none); a file that cannot be decoded is named. */
async function readAll(inputs: string[], from: InputFormat | undefined): Promise<Array<{ file?: string; spans: Located[] }>> {
  if (!inputs.length || (inputs.length === 1 && inputs[0] === '-')) return [{ spans: spansOf(await readInput(undefined), from) }];
  const out = [];
  for (const file of await walk(inputs)) {
    try {
      out.push({ file, spans: spansOf(await readInput(file), from) });
    } catch (err) {
      if (err instanceof DecodeError) throw new DecodeError(`${file}: ${err.message}`, err.status);
      throw err;
    }
  }
  return out;
}

/** A bad pattern is the caller's mistake: one line, exit 2. */
function rules(r: RedactRules): Redactor {
  try {
    return compileRules(r);
  } catch (err) {
    throw new UsageError(`--redact: ${(err as Error).message.replace(/^redact\.patterns: /, '')}`);
  }
}

export async function inspect(opts: { inputs: string[]; from?: InputFormat; json?: boolean; redact?: RedactRules }, out: (s: string) => void): Promise<void> {
  const redactor = opts.redact ? rules(opts.redact) : undefined;
  const files = await readAll(opts.inputs, opts.from);
  const sections = files.map((f) => ({ file: f.file, reports: inspectSpans(f.spans, redactor) }));
  const reports = sections.flatMap((s) => s.reports);
  if (opts.json) return out(escapeJson(JSON.stringify(reports, null, 2)));
  // Several files: each one's spans under its name.
  const text = sections.map((s) => (sections.length > 1 ? `== ${one(s.file)}\n\n` : '') + s.reports.map(render).join('\n\n')).filter(Boolean);
  out(text.join('\n\n') + `\n\n${reports.length} spans; ${reports.filter((r) => r.convention !== 'none').length} with an LLM convention`);
}
