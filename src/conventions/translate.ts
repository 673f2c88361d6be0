// Rewrites a batch's LLM spans for target profiles. The input batch is never modified (it is
// shared by every upstream); attributes the target has no slot for are kept as they came.
import type { AnyValue, Attributes, ScopeSpans, Span, SpanBatch, SpanEvent } from '../model/batch.js';
import { loadMappings, type Convention, type Mappings, type Profile } from './mappings.js';
import { readSpan, type ReadResult } from './read/index.js';
import { writeCall } from './write/index.js';
import { memoByKey } from './memo.js';
import { keepWeaveFloor } from './write/floor.js';

/** Where an original key goes when it would clash with a written one (Weave rejects a key that is both a JSON string and a dotted parent). */
const RENAMED_PREFIX = 'tracebridge.original.';

export interface TranslateStats {
  /** Spans per detected convention ('none' for spans with no LLM convention). */
  conventions: Map<Convention | 'none', number>;
}

/** `read`: the span's reading when the caller has it (one reading serves every profile). */
export function translateSpan(
  span: Span,
  scopeName: string,
  profile: Profile,
  mappings: Mappings,
  read: ReadResult = readSpan(span, scopeName, mappings),
): { span: Span; convention: Convention | undefined } {
  const { convention, ctx } = read;
  if (convention === undefined) return { span, convention };
  const w = writeCall(profile, ctx.call, mappings, span, ctx.writtenJson);
  if (profile === 'weave') keepWeaveFloor(span, ctx, w);
  const remove = new Set<string>();
  let removeEvents: Set<SpanEvent> | undefined;
  // The additive profile keeps every original beside what it writes.
  if (profile !== 'otel-genai-additive')
    for (const slot of w.written) {
      const keys = ctx.sources.get(slot);
      if (keys) for (let i = 0; i < keys.length; i++) remove.add(keys[i]);
      const events = ctx.eventSources.size ? ctx.eventSources.get(slot) : undefined;
      if (events) for (const e of events) (removeEvents ??= new Set()).add(e);
    }
  const clash = clashChecker(profile, w.attrs, mappings);
  // The written map becomes the span's: the originals kept are decided against the written keys
  // alone (the clash check reads them), then added after them.
  // Keys and values side by side in one list: no pair allocated per attribute.
  const kept: Array<string | AnyValue> = [];
  span.attributes.forEach((v, k) => {
    if (!remove.has(k) && !w.attrs.has(k)) kept.push(clash?.(k) ? RENAMED_PREFIX + k : k, v);
  });
  const attrs: Attributes = w.attrs;
  for (let i = 0; i < kept.length; i += 2) attrs.set(kept[i] as string, kept[i + 1] as AnyValue);
  const events = removeEvents || w.events.length ? [...(removeEvents ? span.events.filter((e) => !removeEvents.has(e)) : span.events), ...w.events] : span.events;
  return { span: { ...span, attributes: attrs, events }, convention };
}

const NO_ORIGINS = { origins: false };

/** Dotted prefixes of every key Weave's profile can write (all fixed), computed once per table. */
const weavePrefixes = new WeakMap<Mappings, Set<string>>();
const WEAVE_STRUCTURED_KEYS = ['gen_ai.prompt', 'gen_ai.completion', 'gen_ai.request.tools', 'input.value', 'output.value'];

function prefixesFor(mappings: Mappings): Set<string> {
  let set = weavePrefixes.get(mappings);
  if (!set) {
    set = new Set();
    const keys = [...mappings.write.weave.flatMap(([, ks]) => ks), ...WEAVE_STRUCTURED_KEYS];
    for (const k of keys) for (let i = k.indexOf('.'); i >= 0; i = k.indexOf('.', i + 1)) set.add(k.slice(0, i));
    weavePrefixes.set(mappings, set);
  }
  return set;
}

/** 'a.b.c' → ['a', 'a.b']: the dotted parents of a key. */
const parentsOf = memoByKey((key: string): string[] => {
  const out: string[] = [];
  for (let i = key.indexOf('.'); i >= 0; i = key.indexOf('.', i + 1)) out.push(key.slice(0, i));
  return out;
});

/**
 * For Weave only (it un-flattens dotted keys and rejects a key that is both a value and a
 * parent): true for an original key that is a dotted parent or child of a written key.
 */
function clashChecker(profile: Profile, written: Attributes, mappings: Mappings): ((key: string) => boolean) | undefined {
  if (profile !== 'weave') return undefined;
  const prefixes = prefixesFor(mappings);
  // Weave reads ai.prompt / ai.response (the AI SDK's keys) before gen_ai.prompt / gen_ai.completion:
  // what is left of them once those are written would hide the written messages.
  const shadowIn = written.has('gen_ai.prompt');
  const shadowOut = written.has('gen_ai.completion');
  return (key) => {
    if (key.charCodeAt(0) === 97 && key.startsWith('ai.')) {
      if (shadowIn && (key === 'ai.prompt' || key.startsWith('ai.prompt.'))) return true;
      if (shadowOut && (key === 'ai.response' || key.startsWith('ai.response.'))) return true;
    }
    if (prefixes.has(key)) for (const w of written.keys()) if (w.startsWith(key + '.')) return true;
    for (const p of parentsOf(key)) if (written.has(p)) return true;
    return false;
  };
}

/**
 * The batch for each profile, in one pass over its spans: a span is read once, and its reading is
 * dropped as soon as every profile has its copy. Readings kept for the whole batch outlived the
 * young generation's collections, which copy whatever is still alive.
 */
export function translateBatches(batch: SpanBatch, profiles: Profile[], mappings: Mappings = loadMappings(), stats?: TranslateStats): SpanBatch[] {
  if (profiles.length === 0) return [];
  const outs: SpanBatch[] = profiles.map(() => ({ resourceSpans: [] }));
  for (const rs of batch.resourceSpans) {
    const scopes: ScopeSpans[][] = profiles.map(() => []);
    for (const ss of rs.scopeSpans) {
      const spans: Span[][] = profiles.map(() => []);
      for (const s of ss.spans) {
        const read = readSpan(s, ss.scope.name, mappings, NO_ORIGINS);
        if (stats) {
          const c = read.convention ?? 'none';
          stats.conventions.set(c, (stats.conventions.get(c) ?? 0) + 1);
        }
        for (let i = 0; i < profiles.length; i++) spans[i].push(translateSpan(s, ss.scope.name, profiles[i], mappings, read).span);
      }
      for (let i = 0; i < profiles.length; i++) scopes[i].push({ ...ss, spans: spans[i] });
    }
    for (let i = 0; i < profiles.length; i++) outs[i].resourceSpans.push({ ...rs, scopeSpans: scopes[i] });
  }
  return outs;
}

export function translateBatch(batch: SpanBatch, profile: Profile, mappings: Mappings = loadMappings(), stats?: TranslateStats): SpanBatch {
  return translateBatches(batch, [profile], mappings, stats)[0];
}
