// The floor of a translation: Weave must show at least what it would show for the span as it
// came. Weave reads its input and output from the first truthy key of an ordered list, and the
// messages tracebridge writes (gen_ai.prompt, gen_ai.completion) come before most of them: written
// messages that say less than the raw key would are not written, and the raw key stays.
import type { Span } from '../../model/batch.js';
import { toPlain } from '../../model/values.js';
import type { ReadContext } from '../read/context.js';
import { memoByKey } from '../memo.js';
import { covers, Units, valueUnits } from '../visible.js';
import type { Written } from './index.js';

/** Weave's reading order (docs: upstreams.md); `events.<name>` is a span event's attributes. */
export const WEAVE_INPUT_KEYS = [
  'ai.prompt',
  'gen_ai.prompt',
  'input.value',
  'mlflow.spanInputs',
  'gen_ai.input.messages',
  'pydantic_ai.all_messages',
  'traceloop.entity.input',
  'gcp.vertex.agent.llm_request',
  'events.gen_ai.user.message',
  'input',
  'inputs',
];
export const WEAVE_OUTPUT_KEYS = [
  'ai.response',
  'gen_ai.completion',
  'output.value',
  'gen_ai.output.messages',
  'mlflow.spanOutputs',
  'final_result',
  'gen_ai.content.completion',
  'traceloop.entity.output',
  'gcp.vertex.agent.llm_response',
  'events.gen_ai.choice',
  'output',
  'outputs',
];

type Obj = Record<string, unknown>;

/** Weave's truthiness, after it parses JSON-looking strings: "", 0, false, [] and {} are skipped. */
function truthy(v: unknown): boolean {
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '[]' || t === '{}') return false;
    return t !== '';
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

/** Weave parses string values that look like JSON. */
function parsed(v: unknown): unknown {
  if (typeof v !== 'string' || !/^\s*[[{]/.test(v)) return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** The dotted children of `key`, un-flattened as Weave does (`gen_ai.prompt.0.role` → a tree). */
function children(attrs: Obj, key: string): Obj | undefined {
  let tree: Obj | undefined;
  const p = key + '.';
  for (const [k, v] of Object.entries(attrs)) {
    if (!k.startsWith(p)) continue;
    const path = k.slice(p.length).split('.');
    let node = (tree ??= {});
    for (const s of path.slice(0, -1)) node = (node[s] && typeof node[s] === 'object' ? node[s] : (node[s] = {})) as Obj;
    node[path[path.length - 1]] = parsed(v);
  }
  return tree && listed(tree);
}

/** Indexed children become a list, as Weave makes `gen_ai.prompt.0.role` a list of messages. */
function listed(node: Obj): Obj {
  for (const [k, v] of Object.entries(node)) if (v && typeof v === 'object' && !Array.isArray(v)) node[k] = listed(v as Obj);
  const indexed = Object.keys(node).filter((k) => /^\d+$/.test(k));
  return indexed.length ? (indexed.sort((a, b) => Number(a) - Number(b)).map((k) => node[k]) as unknown as Obj) : node;
}

/** What a lookup of Weave's keys reads a span through: a plain object (inspect) or the span itself. */
interface ShownView {
  /** An attribute's plain value, undefined when the span has no such key. */
  value(key: string): unknown;
  /** A span event's attributes, when it has such an event with any. */
  event(name: string): Obj | undefined;
  /** True when some attribute is a dotted child of `key`. */
  hasChildren(key: string): boolean;
  /** The dotted children of `key` as the tree Weave makes of them. */
  children(key: string): Obj | undefined;
}

/** The key Weave shows a field from, and its value as the span holds it (made on demand): the first truthy one of `keys`. */
function firstShown(view: ShownView, keys: string[]): { key: string; value: () => unknown } | undefined {
  for (const key of keys) {
    if (key.startsWith('events.')) {
      const e = view.event(key.slice(7));
      if (e) return { key, value: () => e };
      continue;
    }
    const v = view.value(key);
    if (v !== undefined) {
      if (truthy(v)) return { key, value: () => v };
      continue;
    }
    if (view.hasChildren(key)) return { key, value: () => view.children(key) };
  }
  return undefined;
}

/** What Weave shows for one field of a span given as plain objects: the first truthy value among its keys, parsed as Weave parses it. */
export function weaveShown(attrs: Obj, events: Array<{ name: string; attributes: Obj }>, keys: string[]): unknown {
  const view: ShownView = {
    value: (key) => attrs[key],
    event: (name) => {
      const e = events.find((x) => x.name === name);
      return e && truthy(e.attributes) ? e.attributes : undefined;
    },
    hasChildren: (key) => Object.keys(attrs).some((k) => k.startsWith(key + '.')),
    children: (key) => children(attrs, key),
  };
  const shown = firstShown(view, keys);
  return shown && parsed(shown.value());
}

/** The Weave keys a span's attribute key is a dotted child of (`input.value` → `input`), per distinct key. */
const PARENTS = memoByKey((key: string): string[] => [...WEAVE_INPUT_KEYS, ...WEAVE_OUTPUT_KEYS].filter((w) => key.startsWith(w + '.')));

/** The same lookup read straight from the span, its values made plain only when looked at. */
function spanView(span: Span): ShownView {
  let parents: Set<string> | undefined;
  return {
    value: (key) => {
      const v = span.attributes.get(key);
      return v === undefined ? undefined : toPlain(v);
    },
    event: (name) => {
      const e = span.events.find((x) => x.name === name);
      return e && e.attributes.size ? Object.fromEntries([...e.attributes].map(([k, v]) => [k, toPlain(v)])) : undefined;
    },
    hasChildren: (key) => {
      if (!parents) {
        parents = new Set();
        for (const k of span.attributes.keys()) for (const p of PARENTS(k)) parents.add(p);
      }
      return parents.has(key);
    },
    children: (key) => {
      const attrs: Obj = {};
      for (const [k, x] of span.attributes) if (k.startsWith(key + '.')) attrs[k] = toPlain(x);
      return children(attrs, key);
    },
  };
}

const JSON_START = /^\s*[[{]/;

/** A shown value as valueUnits reads it, a JSON attribute parsed once per span (the readers parsed it already). */
function readable(ctx: ReadContext, key: string, plain: unknown): unknown {
  if (typeof plain !== 'string' || !JSON_START.test(plain) || ctx.attrs.get(key)?.type !== 'string') return plain;
  return ctx.json(key) ?? plain;
}

/** Drops written Weave messages that would show less than the raw span does. */
export function keepWeaveFloor(span: Span, ctx: ReadContext, w: Written): void {
  const call = ctx.call;
  const view = spanView(span);
  const checks = [
    ['gen_ai.prompt', 'input', call.input, WEAVE_INPUT_KEYS],
    ['gen_ai.completion', 'output', call.output, WEAVE_OUTPUT_KEYS],
  ] as const;
  for (const [key, slot, msgs, order] of checks) {
    if (!w.attrs.has(key)) continue;
    const shown = firstShown(view, order);
    if (shown === undefined) continue;
    // Messages merged with the key Weave would show, or read from it (or its children) without loss, hold all of it.
    if (ctx.covered.has(`${slot}:${shown.key}`)) continue;
    const sources = ctx.sources.get(slot);
    if (sources?.some((k) => k === shown.key || k.startsWith(shown.key + '.'))) continue;
    const shownUnits = ctx.carrierUnits(shown.key) ?? valueUnits(readable(ctx, shown.key, shown.value()));
    if (covers(msgs ? ctx.units(msgs) : new Units(), shownUnits)) continue;
    w.attrs.delete(key);
    w.written.delete(slot);
  }
}
