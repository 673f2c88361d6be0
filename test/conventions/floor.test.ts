// Never worse than no translation: for every captured and hand-made span, what Weave and Langtrace
// show after translation (read back from their wire formats with their own reading rules) holds
// every text, image reference, tool call and token count they show for the span as it came.
import t, { type Test } from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Span, SpanBatch } from '../../src/model/batch.js';
import { toPlain } from '../../src/model/values.js';
import { decodeOtlpJson } from '../../src/wire/otlp-json.js';
import { decodeOtlpProto, encodeOtlpProto } from '../../src/wire/otlp-proto.js';
import { encodeLangtraceNative } from '../../src/wire/langtrace.js';
import { translateBatch } from '../../src/conventions/translate.js';
import { langtraceView, weaveView } from '../../src/inspect/views.js';
import { spansOf } from '../helpers/live.js';

type Obj = Record<string, unknown>;
const root = new URL('../../', import.meta.url).pathname;

/** Every OTLP/JSON fixture under test/fixtures and examples/traces. */
function fixtures(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.json') && readFileSync(p, 'utf8').includes('"resourceSpans"')) out.push(p);
    }
  };
  walk(join(root, 'examples/traces'));
  walk(join(root, 'test/fixtures'));
  return out;
}

/** Labels and request settings, not what was said: a role, a type, an id, a timestamp, the tools offered. */
const LABEL =
  /^(role|type|id|index|object|model|finish_reason|stop_reason|status|format|mime_type|media_type|mediaType|modality|lc|tool_call_id|call_id|callId|toolCallId|toolUseId|tool_use_id|timestamp|providerMetadata|usage|usage_metadata|created|logprobs|tools|tool_choice|toolChoice|tool_config|labels|finishReason|response_format|stream_options|parallel_tool_calls|response_metadata|additional_kwargs|system_fingerprint|service_tier|truncation|reasoning_effort|effort|model_name|model_version|modelVersion|thought_signature|signature|detail|metadata|generate_summary|modelId|stopReason|stop_sequence|requestId|anthropic_version|\$metadata|ResponseMetadata)$/;
/** A response echoes its request's settings: the instructions it was given are not output. */
const ECHO = /^(instructions|temperature|top_p|max_output_tokens|text)$/;

/** The pieces of text a UI shows of a value: string leaves, JSON inside strings opened. */
function pieces(v: unknown, out: string[] = [], key?: string, output = false): string[] {
  if (key !== undefined && (LABEL.test(key) || (output && ECHO.test(key) && typeof v !== 'string'))) return out;
  if (output && key === 'instructions') return out;
  // A reasoning setting ({effort, summary: "auto"}), not a reasoning summary (a list of texts).
  if (key === 'summary' && typeof v === 'string') return out;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^[[{"]/.test(s)) {
      try {
        return pieces(JSON.parse(s), out, undefined, output);
      } catch {
        /* text */
      }
    }
    if (s && !/^\d{4}-\d\d-\d\dT\d\d:/.test(s) && s !== '<replaced>') out.push(s);
  } else if (Array.isArray(v)) for (const x of v) pieces(x, out, key, output);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v as Obj)) pieces(x, out, k, output);
  return out;
}

const attrsOf = (s: Span): Obj => Object.fromEntries([...s.attributes].map(([k, v]) => [k, toPlain(v)]));
const eventsOf = (s: Span) => s.events.map((e) => ({ name: e.name, attributes: Object.fromEntries([...e.attributes].map(([k, v]) => [k, toPlain(v)])) }));

function missing(before: unknown, after: unknown, output = false): string[] {
  const have = pieces(after, [], undefined, output).join('\u0000');
  return pieces(before, [], undefined, output).filter((p) => !have.includes(p));
}

function langtraceOf(span: Obj) {
  try {
    return langtraceView(span.attributes as Obj, span.events as never);
  } catch {
    return undefined;
  }
}

function checkWeave(t: Test, label: string, raw: Span, out: Span): void {
  const a = weaveView(attrsOf(raw), eventsOf(raw));
  const b = weaveView(attrsOf(out), eventsOf(out));
  t.same(missing(a.input, b.input), [], `${label}: Weave's input keeps all it showed`);
  t.same(missing(a.output, b.output, true), [], `${label}: Weave's output keeps all it showed`);
  if (a.model) t.equal(b.model, a.model, `${label}: Weave's model`);
  if (a.usage.input !== undefined) t.equal(b.usage.input, a.usage.input, `${label}: Weave's input tokens`);
  if (a.usage.output !== undefined) t.equal(b.usage.output, a.usage.output, `${label}: Weave's output tokens`);
  if (a.kind) t.ok(b.kind, `${label}: Weave's span type`);
}

function checkLangtrace(t: Test, label: string, raw: Obj, out: Obj): void {
  const a = langtraceOf(raw);
  const b = langtraceOf(out);
  t.ok(b, `${label}: Langtrace reads the translated span`);
  if (!a || !b) return;
  t.same(missing(a.prompt, b.prompt ?? b.io.input), [], `${label}: Langtrace's prompt keeps all it showed`);
  t.same(missing(a.completion, b.completion ?? b.io.output, true), [], `${label}: Langtrace's completion keeps all it showed`);
  if (a.model) t.equal(b.model, a.model, `${label}: Langtrace's model`);
  // An agent or chain typed framework no longer counts its children's tokens again.
  if (b.type === 'llm' && a.usage.input !== undefined) t.equal(b.usage.input, a.usage.input, `${label}: Langtrace's input tokens`);
}

for (const file of fixtures()) {
  t.test(`never worse than no translation: ${file.slice(root.length)}`, async (t) => {
    const batch: SpanBatch = decodeOtlpJson(readFileSync(file));
    const raw = spansOf(batch);
    const weave = spansOf(decodeOtlpProto(encodeOtlpProto(translateBatch(batch, 'weave'))));
    const rawLangtrace = JSON.parse(encodeLangtraceNative(batch)) as Obj[];
    const langtrace = JSON.parse(encodeLangtraceNative(translateBatch(batch, 'langtrace'))) as Obj[];
    raw.forEach((s, i) => {
      const label = `${s.name} #${i}`;
      checkWeave(t, label, s, weave[i]);
      checkLangtrace(t, label, rawLangtrace[i], langtrace[i]);
    });
  });
}
